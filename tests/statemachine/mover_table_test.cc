// Walks every cell of the MOVER table for v2, v3 and v4 against a grid written
// out independently of the table in the shape of facts 6.6 (with this
// project's choices: SET_WINDOW in LISTEN for v2/v3 only, CLOSE lenient,
// ABORT/CLOSE in HALTED allowed no-ops), as a pure decision and on a live
// machine.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "statemachine/mover_machine.h"
#include "statemachine/mover_table.h"

namespace ndmp::sm {
namespace {

// "ISE" = ILLEGAL_STATE_ERR, "NS" = NOT_SUPPORTED_ERR, "-" = legal, nothing
// changes; otherwise the next state, "halted/REASON" or "paused/REASON".
using Line = std::array<const char*, 5>;  // IDLE LISTEN ACTIVE PAUSED HALTED
constexpr std::array kColumns = {MoverState::idle, MoverState::listen, MoverState::active,
                                 MoverState::paused, MoverState::halted};

struct GridRow {
  MoverEvent event;
  Versions versions;
  Line cells;
};

const GridRow kGrid[] = {
    {MoverEvent::get_state, kV234, {"-", "-", "-", "-", "-"}},
    {MoverEvent::set_record_size, kV234, {"-", "ISE", "ISE", "ISE", "ISE"}},
    {MoverEvent::set_window, kV2 | kV3, {"-", "-", "ISE", "-", "ISE"}},
    {MoverEvent::set_window, kV4, {"-", "ISE", "ISE", "-", "ISE"}},
    {MoverEvent::listen, kV234, {"listen", "ISE", "ISE", "ISE", "ISE"}},
    {MoverEvent::connect, kV34, {"active", "ISE", "ISE", "ISE", "ISE"}},
    {MoverEvent::connect, kV2, {"NS", "NS", "NS", "NS", "NS"}},
    {MoverEvent::read, kV234, {"ISE", "ISE", "-", "ISE", "ISE"}},
    {MoverEvent::continue_, kV234, {"ISE", "ISE", "ISE", "active", "ISE"}},
    {MoverEvent::close, kV234,
     {"ISE", "halted/CONNECT_CLOSED", "halted/CONNECT_CLOSED", "halted/CONNECT_CLOSED", "-"}},
    {MoverEvent::abort, kV234, {"ISE", "halted/ABORTED", "halted/ABORTED", "halted/ABORTED", "-"}},
    {MoverEvent::stop, kV234, {"ISE", "ISE", "ISE", "ISE", "idle"}},
    {MoverEvent::peer_connected, kV234, {"ISE", "active", "ISE", "ISE", "ISE"}},
    {MoverEvent::pause_eom, kV234, {"ISE", "ISE", "paused/EOM", "ISE", "ISE"}},
    {MoverEvent::pause_eof, kV234, {"ISE", "ISE", "paused/EOF", "ISE", "ISE"}},
    {MoverEvent::pause_seek, kV234, {"ISE", "ISE", "paused/SEEK", "ISE", "ISE"}},
    {MoverEvent::pause_eow, kV234, {"ISE", "ISE", "paused/EOW", "ISE", "ISE"}},
    {MoverEvent::connection_closed, kV234,
     {"ISE", "ISE", "halted/CONNECT_CLOSED", "halted/CONNECT_CLOSED", "ISE"}},
    {MoverEvent::connection_error, kV234,
     {"ISE", "halted/CONNECT_ERROR", "halted/CONNECT_ERROR", "halted/CONNECT_ERROR", "ISE"}},
    {MoverEvent::internal_error, kV234,
     {"ISE", "halted/INTERNAL_ERROR", "halted/INTERNAL_ERROR", "halted/INTERNAL_ERROR", "ISE"}},
    {MoverEvent::media_error, kV2 | kV3, {"ISE", "ISE", "paused/MEDIA_ERROR", "ISE", "ISE"}},
    {MoverEvent::media_error, kV4, {"ISE", "ISE", "halted/MEDIA_ERROR", "ISE", "ISE"}},
};

struct Expected {
  Error error = Error::no_err;
  MoverState to = MoverState::idle;
  MoverHaltReason halt = MoverHaltReason::na;
  MoverPauseReason pause = MoverPauseReason::na;
};

Expected parse(const std::string& cell, MoverState from) {
  static const std::map<std::string, MoverState> states = {
      {"idle", MoverState::idle},     {"listen", MoverState::listen},
      {"active", MoverState::active}, {"paused", MoverState::paused},
      {"halted", MoverState::halted}};
  static const std::map<std::string, MoverHaltReason> halts = {
      {"CONNECT_CLOSED", MoverHaltReason::connect_closed},
      {"ABORTED", MoverHaltReason::aborted},
      {"INTERNAL_ERROR", MoverHaltReason::internal_error},
      {"CONNECT_ERROR", MoverHaltReason::connect_error},
      {"MEDIA_ERROR", MoverHaltReason::media_error}};
  static const std::map<std::string, MoverPauseReason> pauses = {
      {"EOM", MoverPauseReason::eom},   {"EOF", MoverPauseReason::eof},
      {"SEEK", MoverPauseReason::seek}, {"EOW", MoverPauseReason::eow},
      {"MEDIA_ERROR", MoverPauseReason::media_error}};
  if (cell == "ISE") return {Error::illegal_state, from};
  if (cell == "NS") return {Error::not_supported, from};
  if (cell == "-") return {Error::no_err, from};
  const auto slash = cell.find('/');
  Expected e{Error::no_err, states.at(cell.substr(0, slash))};
  if (slash != std::string::npos) {
    const std::string reason = cell.substr(slash + 1);
    if (e.to == MoverState::halted) e.halt = halts.at(reason);
    if (e.to == MoverState::paused) e.pause = pauses.at(reason);
  }
  return e;
}

Expected expected_cell(MoverEvent event, int version, MoverState state) {
  const GridRow* found = nullptr;
  for (const auto& g : kGrid) {
    if (g.event == event && applies(g.versions, version)) {
      EXPECT_EQ(found, nullptr) << "grid has two lines for " << to_string(event) << " v" << version;
      found = &g;
    }
  }
  EXPECT_NE(found, nullptr) << "grid has no line for " << to_string(event) << " v" << version;
  if (!found) return {};
  for (size_t i = 0; i < kColumns.size(); ++i) {
    if (kColumns[i] == state) return parse(found->cells[i], state);
  }
  ADD_FAILURE() << "no column for " << to_string(state);
  return {};
}

void drive_to(MoverMachine& m, MoverState target) {
  auto step = [&](MoverEvent e, MoverArgs a = {}) {
    const MoverResult r = m.apply(e, a);
    EXPECT_TRUE(r.ok()) << "setup step " << to_string(e) << ": " << to_string(r.error);
  };
  const MoverArgs write_mode{MoverMode::write, 0};
  if (target != MoverState::idle) step(MoverEvent::listen, write_mode);
  if (target == MoverState::active || target == MoverState::paused ||
      target == MoverState::halted) {
    step(MoverEvent::peer_connected);
  }
  if (target == MoverState::paused) step(MoverEvent::pause_eom);
  if (target == MoverState::halted) step(MoverEvent::connection_closed);
  m.take_notifications();
  EXPECT_EQ(m.state(), target);
}

// ndmjob checks these on every MOVER_GET_STATE (ndmca_test_check_mover_state).
void expect_reasons_consistent(const MoverMachine& m) {
  if (m.state() != MoverState::paused) { EXPECT_EQ(m.pause_reason(), MoverPauseReason::na); }
  if (m.state() != MoverState::halted) { EXPECT_EQ(m.halt_reason(), MoverHaltReason::na); }
  if (m.state() == MoverState::idle) { EXPECT_EQ(m.mode(), MoverMode::noaction); }
}

class MoverEveryCell : public ::testing::TestWithParam<int> {};

TEST_P(MoverEveryCell, DecisionMatchesGrid) {
  const int v = GetParam();
  for (MoverState s : kAllMoverStates) {
    for (MoverEvent e : kAllMoverEvents) {
      SCOPED_TRACE(std::string(to_string(e)) + " in " + std::string(to_string(s)) + " v" +
                   std::to_string(v));
      const Expected want = expected_cell(e, v, s);
      const MoverDecision d = decide(s, e, v);
      EXPECT_EQ(d.error, want.error);
      EXPECT_EQ(d.legal(), want.error == Error::no_err);
      if (d.legal()) {
        EXPECT_EQ(d.row->to, want.to);
        EXPECT_EQ(d.row->halt, want.halt);
        EXPECT_EQ(d.row->pause, want.pause);
      }
    }
  }
}

TEST_P(MoverEveryCell, MachineMatchesGridAndQueuesOnePostPerHaltOrPauseEntry) {
  const int v = GetParam();
  constexpr uint64_t kSeek = 0x1234'5678'9ull;
  for (MoverState s : kAllMoverStates) {
    for (MoverEvent e : kAllMoverEvents) {
      SCOPED_TRACE(std::string(to_string(e)) + " in " + std::string(to_string(s)) + " v" +
                   std::to_string(v));
      MoverMachine m(v);
      drive_to(m, s);
      const Expected want = expected_cell(e, v, s);
      const MoverMode mode_before = m.mode();
      const MoverHaltReason halt_before = m.halt_reason();
      const MoverPauseReason pause_before = m.pause_reason();

      const MoverResult checked = m.check(e);
      EXPECT_EQ(m.state(), s) << "check() must not change state";
      const MoverResult r = m.apply(e, MoverArgs{MoverMode::read, kSeek});
      EXPECT_EQ(checked.error, r.error);
      EXPECT_EQ(checked.to, r.to);
      EXPECT_EQ(checked.transition, r.transition);

      EXPECT_EQ(r.error, want.error);
      EXPECT_EQ(r.from, s);
      EXPECT_EQ(r.to, want.to);
      EXPECT_EQ(m.state(), want.to);
      expect_reasons_consistent(m);
      const auto posts = m.take_notifications();
      if (!r.ok()) {
        EXPECT_EQ(r.transition, MoverTransition::rejected);
        EXPECT_EQ(m.mode(), mode_before);
        EXPECT_EQ(m.halt_reason(), halt_before);
        EXPECT_EQ(m.pause_reason(), pause_before);
        EXPECT_TRUE(posts.empty());
        continue;
      }
      EXPECT_NE(r.transition, MoverTransition::rejected);
      const bool enters_halted = want.to == MoverState::halted && s != MoverState::halted;
      const bool enters_paused = want.to == MoverState::paused && s != MoverState::paused;
      if (enters_halted) {
        ASSERT_EQ(posts.size(), 1u);
        EXPECT_EQ(posts[0], Notification::mover_halted(want.halt));
        EXPECT_EQ(m.halt_reason(), want.halt);
      } else if (enters_paused) {
        ASSERT_EQ(posts.size(), 1u);
        EXPECT_EQ(posts[0], Notification::mover_paused(want.pause, kSeek));
        EXPECT_EQ(m.pause_reason(), want.pause);
      } else {
        EXPECT_TRUE(posts.empty()) << "unexpected " << to_string(posts[0]);
      }
      if (m.state() == MoverState::halted && !enters_halted) {
        EXPECT_EQ(m.halt_reason(), halt_before) << "a no-op in HALTED keeps the reason";
      }
      if (e == MoverEvent::listen || e == MoverEvent::connect) {
        EXPECT_EQ(m.mode(), MoverMode::read) << "LISTEN/CONNECT take the request's mode";
      } else if (m.state() != MoverState::idle) {
        EXPECT_EQ(m.mode(), mode_before);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, MoverEveryCell, ::testing::Values(2, 3, 4),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

TEST(MoverTable, NoTwoRowsAnswerTheSameCell) {
  for (int v = kMinVersion; v <= kMaxVersion; ++v) {
    std::set<std::pair<MoverState, MoverEvent>> seen;
    for (const auto& row : mover_rows()) {
      if (!applies(row.versions, v)) continue;
      EXPECT_TRUE(seen.insert({row.from, row.event}).second)
          << to_string(row.event) << " in " << to_string(row.from) << " v" << v;
    }
  }
}

TEST(MoverTable, RowsOweAPostExactlyWhenTheyEnterHaltedOrPaused) {
  for (const auto& row : mover_rows()) {
    SCOPED_TRACE(std::string(to_string(row.event)) + " in " + std::string(to_string(row.from)));
    const bool halts = row.to == MoverState::halted && row.from != MoverState::halted;
    const bool pauses = row.to == MoverState::paused && row.from != MoverState::paused;
    EXPECT_EQ(row.notify.has_value(), halts || pauses);
    if (halts) { EXPECT_EQ(row.notify, NotificationKind::mover_halted); }
    if (pauses) { EXPECT_EQ(row.notify, NotificationKind::mover_paused); }
    EXPECT_EQ(row.halt != MoverHaltReason::na, halts);
    EXPECT_EQ(row.pause != MoverPauseReason::na, pauses);
    EXPECT_EQ(row.sets_mode, row.event == MoverEvent::listen || row.event == MoverEvent::connect);
    EXPECT_NE(row.versions, kNoVersion);
    EXPECT_EQ(row.versions & ~mover_event_versions(row.event), 0);
    // Reasons that a version lacks on the wire never come out of its rows.
    if (row.versions & (kV2 | kV3)) { EXPECT_NE(row.halt, MoverHaltReason::media_error); }
    if (row.versions & kV4) { EXPECT_NE(row.pause, MoverPauseReason::media_error); }
  }
}

TEST(MoverTable, UnservedVersionsAreNotSupported) {
  for (int v : {0, 1, 5}) {
    EXPECT_EQ(decide(MoverState::idle, MoverEvent::get_state, v).error, Error::not_supported);
    EXPECT_THROW(MoverMachine{v}, std::invalid_argument);
  }
}

}  // namespace
}  // namespace ndmp::sm

// The MOVER checks that depend on more than the state (mover_guards.h), and
// the per-version wire values (reasons.h, data_types.h, mover_types.h).
#include <gtest/gtest.h>

#include "statemachine/data_types.h"
#include "statemachine/mover_guards.h"
#include "statemachine/mover_types.h"
#include "statemachine/reasons.h"

namespace ndmp::sm {
namespace {

TEST(MoverGuards, ReadOnARestoreMoverWithNoReadOutstandingIsAccepted) {
  for (int v : {2, 3, 4}) EXPECT_EQ(audit_read(v, MoverMode::write, 0), Error::no_err) << v;
}

TEST(MoverGuards, ReadOnABackupMoverIsIllegalState) {
  for (int v : {2, 3, 4}) EXPECT_EQ(audit_read(v, MoverMode::read, 0), Error::illegal_state) << v;
}

TEST(MoverGuards, SecondReadIsReadInProgressInV4AndIllegalStateBefore) {
  EXPECT_EQ(audit_read(4, MoverMode::write, 1), Error::read_in_progress);
  EXPECT_EQ(audit_read(3, MoverMode::write, 1), Error::illegal_state);
  EXPECT_EQ(audit_read(2, MoverMode::write, 512), Error::illegal_state);
}

TEST(MoverGuards, ContinueWithoutNewWindowIsPreconditionInV4Only) {
  EXPECT_EQ(audit_continue(4, false), Error::precondition);
  EXPECT_EQ(audit_continue(4, true), Error::no_err);
  EXPECT_EQ(audit_continue(3, false), Error::no_err);
  EXPECT_EQ(audit_continue(2, false), Error::no_err);
}

TEST(MoverGuards, ListenModeAcceptsReadAndWriteOnly) {
  MoverMode m = MoverMode::noaction;
  EXPECT_EQ(audit_listen_mode(0, m), Error::no_err);
  EXPECT_EQ(m, MoverMode::read);
  EXPECT_EQ(audit_listen_mode(1, m), Error::no_err);
  EXPECT_EQ(m, MoverMode::write);
  m = MoverMode::noaction;
  for (uint32_t bad : {2u, 3u, 123u, 0xFFFFFFFFu}) {
    EXPECT_EQ(audit_listen_mode(bad, m), Error::illegal_args) << bad;
    EXPECT_EQ(m, MoverMode::noaction) << "a refused mode leaves the output alone";
  }
}

TEST(WireValues, DataPausedIsActiveOnTheWireAndListenExistsFromV3) {
  for (int v : {2, 3, 4}) {
    EXPECT_EQ(wire_state(DataState::idle, v), 0u);
    EXPECT_EQ(wire_state(DataState::active, v), 1u);
    EXPECT_EQ(wire_state(DataState::paused, v), 1u);
    EXPECT_EQ(wire_state(DataState::halted, v), 2u);
  }
  for (int v : {3, 4}) {
    EXPECT_EQ(wire_state(DataState::listen, v), 3u);
    EXPECT_EQ(wire_state(DataState::connected, v), 4u);
  }
  EXPECT_EQ(wire_state(DataState::listen, 2), kNoWireDataState);
  EXPECT_EQ(wire_state(DataState::connected, 2), kNoWireDataState);
  EXPECT_EQ(wire_state(DataState::idle, 1), kNoWireDataState);
}

TEST(WireValues, MoverStatesAreTheSameInEveryVersion) {
  for (int v : {2, 3, 4}) {
    EXPECT_EQ(wire_state(MoverState::idle, v), 0u);
    EXPECT_EQ(wire_state(MoverState::listen, v), 1u);
    EXPECT_EQ(wire_state(MoverState::active, v), 2u);
    EXPECT_EQ(wire_state(MoverState::paused, v), 3u);
    EXPECT_EQ(wire_state(MoverState::halted, v), 4u);
  }
}

TEST(WireValues, EndOfWindowIsReportedAsEofInV2) {
  EXPECT_EQ(wire_pause_reason(MoverPauseReason::eow, 2), 2u);
  EXPECT_EQ(wire_pause_reason(MoverPauseReason::eow, 3), 5u);
  EXPECT_EQ(wire_pause_reason(MoverPauseReason::eow, 4), 5u);
  for (int v : {2, 3, 4}) {
    EXPECT_EQ(wire_pause_reason(MoverPauseReason::na, v), 0u);
    EXPECT_EQ(wire_pause_reason(MoverPauseReason::eom, v), 1u);
    EXPECT_EQ(wire_pause_reason(MoverPauseReason::eof, v), 2u);
    EXPECT_EQ(wire_pause_reason(MoverPauseReason::seek, v), 3u);
  }
  EXPECT_EQ(wire_pause_reason(MoverPauseReason::media_error, 2), 4u);
  EXPECT_EQ(wire_pause_reason(MoverPauseReason::media_error, 3), 4u);
  EXPECT_EQ(wire_pause_reason(MoverPauseReason::media_error, 4), 2u) << "v4 has no MEDIA_ERROR pause";
}

TEST(WireValues, IdleMoverModeIsNoactionInV4AndReadBefore) {
  EXPECT_EQ(wire_mode(MoverMode::noaction, 4), 2u);
  EXPECT_EQ(wire_mode(MoverMode::noaction, 3), 0u);
  EXPECT_EQ(wire_mode(MoverMode::noaction, 2), 0u) << "2 would mean DATA in v2";
  for (int v : {2, 3, 4}) {
    EXPECT_EQ(wire_mode(MoverMode::read, v), 0u);
    EXPECT_EQ(wire_mode(MoverMode::write, v), 1u);
  }
}

TEST(WireValues, ErrorsAreTheNdmpNumbers) {
  EXPECT_EQ(static_cast<uint32_t>(Error::no_err), 0u);
  EXPECT_EQ(static_cast<uint32_t>(Error::not_supported), 1u);
  EXPECT_EQ(static_cast<uint32_t>(Error::illegal_args), 9u);
  EXPECT_EQ(static_cast<uint32_t>(Error::illegal_state), 19u);
  EXPECT_EQ(static_cast<uint32_t>(Error::read_in_progress), 25u);
  EXPECT_EQ(static_cast<uint32_t>(Error::precondition), 26u);
}

}  // namespace
}  // namespace ndmp::sm

namespace ndmp::sm {
namespace {

TEST(MessageNumbers, RequestsMapFromTheirNdmpMessageCodes) {
  EXPECT_EQ(data_request_for(0x400), DataEvent::get_state);
  EXPECT_EQ(data_request_for(0x401), DataEvent::start_backup);
  EXPECT_EQ(data_request_for(0x407), DataEvent::stop);
  EXPECT_EQ(data_request_for(0x408), DataEvent::continue_);
  EXPECT_EQ(data_request_for(0x40A), DataEvent::connect);
  EXPECT_EQ(data_request_for(0x40B), DataEvent::start_recover_filehist);
  EXPECT_EQ(data_request_for(0x405), std::nullopt) << "reserved in v2-v4";
  EXPECT_EQ(data_request_for(0x10000), std::nullopt) << "internal events are not messages";
  EXPECT_EQ(mover_request_for(0xA00), MoverEvent::get_state);
  EXPECT_EQ(mover_request_for(0xA06), MoverEvent::read);
  EXPECT_EQ(mover_request_for(0xA09), MoverEvent::connect);
  EXPECT_EQ(mover_request_for(0xA0A), std::nullopt);
  EXPECT_EQ(mover_request_for(0x10005), std::nullopt);
  for (DataEvent e : kAllDataEvents) {
    if (is_request(e)) { EXPECT_EQ(data_request_for(static_cast<uint32_t>(e)), e); }
  }
  for (MoverEvent e : kAllMoverEvents) {
    if (is_request(e)) { EXPECT_EQ(mover_request_for(static_cast<uint32_t>(e)), e); }
  }
}

}  // namespace
}  // namespace ndmp::sm

// Named scenarios: the message sequences real DMAs send (facts 6.7, 6.9;
// ndmjob NOTES section 5; ndmjob's test-mover and test-data series), played on
// a DATA and a MOVER machine as a server would drive them.
#include <gtest/gtest.h>

#include <vector>

#include "statemachine/data_machine.h"
#include "statemachine/mover_guards.h"
#include "statemachine/mover_machine.h"

namespace ndmp::sm {
namespace {

constexpr MoverArgs kBackupMode{MoverMode::read, 0};
constexpr MoverArgs kRestoreMode{MoverMode::write, 0};

std::vector<Notification> none() { return {}; }

TEST(Scenario, V3ThreeWayBackupEndsSuccessfulAndConnectClosed) {
  DataMachine data(3);
  MoverMachine mover(3);
  // Tape connection: record size, tape open (not ours), listen, window in LISTEN (v2/v3 order).
  EXPECT_TRUE(mover.apply(MoverEvent::set_record_size).ok());
  EXPECT_TRUE(mover.apply(MoverEvent::listen, kBackupMode).ok());
  EXPECT_EQ(mover.wire_state(), 1u);
  EXPECT_TRUE(mover.apply(MoverEvent::set_window).ok());
  // Data connection: connect to the mover's address, start.
  EXPECT_EQ(data.apply(DataEvent::connect).transition, DataTransition::connect_to_peer);
  EXPECT_EQ(data.wire_state(), 4u) << "CONNECTED";
  EXPECT_EQ(mover.apply(MoverEvent::peer_connected).to, MoverState::active);
  EXPECT_EQ(data.apply(DataEvent::start_backup).to, DataState::active);
  EXPECT_EQ(data.operation(), DataOperation::backup);
  EXPECT_EQ(mover.mode(), MoverMode::read);
  // Polls while running.
  EXPECT_TRUE(data.apply(DataEvent::get_state).ok());
  EXPECT_TRUE(mover.apply(MoverEvent::get_state).ok());
  EXPECT_EQ(data.take_notifications(), none());
  EXPECT_EQ(mover.take_notifications(), none());
  // End: data finishes and closes the connection; the mover sees the close.
  EXPECT_EQ(data.apply(DataEvent::completed).transition, DataTransition::finish);
  EXPECT_EQ(mover.apply(MoverEvent::connection_closed).to, MoverState::halted);
  EXPECT_EQ(data.take_notifications(),
            std::vector{Notification::data_halted(DataHaltReason::successful)});
  EXPECT_EQ(mover.take_notifications(),
            std::vector{Notification::mover_halted(MoverHaltReason::connect_closed)});
  // What ndmjob judges success by.
  EXPECT_EQ(data.halt_reason(), DataHaltReason::successful);
  EXPECT_EQ(mover.halt_reason(), MoverHaltReason::connect_closed);
  // Wrap-up: GET_ENV, DATA_STOP, MOVER_STOP.
  EXPECT_TRUE(data.apply(DataEvent::get_env).ok());
  EXPECT_EQ(data.apply(DataEvent::stop).to, DataState::idle);
  EXPECT_EQ(mover.apply(MoverEvent::stop).to, MoverState::idle);
  EXPECT_EQ(data.operation(), DataOperation::noaction);
  EXPECT_EQ(data.halt_reason(), DataHaltReason::na);
  EXPECT_EQ(mover.mode(), MoverMode::noaction);
  EXPECT_EQ(mover.halt_reason(), MoverHaltReason::na);
  EXPECT_FALSE(data.has_notifications());
  EXPECT_FALSE(mover.has_notifications());
}

TEST(Scenario, V4BackupSetsWindowBeforeListenAndNotAfter) {
  MoverMachine mover(4);
  EXPECT_TRUE(mover.apply(MoverEvent::set_record_size).ok());
  EXPECT_TRUE(mover.apply(MoverEvent::set_window).ok()) << "v4 order: window in IDLE";
  EXPECT_TRUE(mover.apply(MoverEvent::listen, kBackupMode).ok());
  EXPECT_EQ(mover.apply(MoverEvent::set_window).error, Error::illegal_state)
      << "SPEC4 and ndmjob's v4 test-mover refuse SET_WINDOW in LISTEN";
  EXPECT_EQ(mover.state(), MoverState::listen);
}

TEST(Scenario, V2BackupStartsFromIdleWithoutListenOrConnect) {
  DataMachine data(2);
  MoverMachine mover(2);
  EXPECT_EQ(data.apply(DataEvent::listen).error, Error::not_supported);
  EXPECT_EQ(data.apply(DataEvent::connect).error, Error::not_supported);
  EXPECT_EQ(mover.apply(MoverEvent::connect, kBackupMode).error, Error::not_supported);
  EXPECT_TRUE(mover.apply(MoverEvent::set_record_size).ok());
  EXPECT_TRUE(mover.apply(MoverEvent::listen, kBackupMode).ok());
  EXPECT_TRUE(mover.apply(MoverEvent::set_window).ok());
  // START_BACKUP carries the mover address; the data service connects itself.
  const DataResult r = data.apply(DataEvent::start_backup);
  EXPECT_EQ(r.from, DataState::idle);
  EXPECT_EQ(r.to, DataState::active);
  EXPECT_EQ(data.wire_state(), 1u);
  EXPECT_TRUE(mover.apply(MoverEvent::peer_connected).ok());
  EXPECT_TRUE(data.apply(DataEvent::completed).ok());
  EXPECT_TRUE(mover.apply(MoverEvent::connection_closed).ok());
  EXPECT_EQ(data.wire_state(), 2u);
  EXPECT_EQ(data.take_notifications().size(), 1u);
  EXPECT_EQ(mover.take_notifications().size(), 1u);
  EXPECT_TRUE(data.apply(DataEvent::stop).ok());
  EXPECT_TRUE(mover.apply(MoverEvent::stop).ok());
}

TEST(Scenario, TapeChangePausesOnEomAndContinuesAfterNewWindow) {
  DataMachine data(4);
  MoverMachine mover(4);
  mover.apply(MoverEvent::set_record_size);
  mover.apply(MoverEvent::set_window);
  mover.apply(MoverEvent::listen, kBackupMode);
  data.apply(DataEvent::connect);
  mover.apply(MoverEvent::peer_connected);
  data.apply(DataEvent::start_backup);

  // Early warning on tape 1 after 3 GiB.
  constexpr uint64_t kAt = 3ull << 30;
  EXPECT_EQ(mover.apply(MoverEvent::pause_eom, MoverArgs{MoverMode::noaction, kAt}).to,
            MoverState::paused);
  EXPECT_EQ(mover.take_notifications(),
            std::vector{Notification::mover_paused(MoverPauseReason::eom, kAt)});
  EXPECT_EQ(mover.mode(), MoverMode::read) << "a pause keeps the mode";
  EXPECT_EQ(data.apply(DataEvent::tape_side_paused).to, DataState::paused);
  EXPECT_EQ(data.wire_state(), 1u) << "DATA stays ACTIVE on the wire";
  EXPECT_EQ(data.take_notifications(), none()) << "the mover's post announces the pause";
  EXPECT_TRUE(data.apply(DataEvent::get_state).ok());

  // The DMA tries CONTINUE before setting a new window: v4 precondition.
  ASSERT_TRUE(mover.check(MoverEvent::continue_).ok());
  EXPECT_EQ(audit_continue(mover.version(), mover.window_set_since_pause()), Error::precondition);
  // Tape change happens on the tape interface; then window and CONTINUE.
  EXPECT_TRUE(mover.apply(MoverEvent::set_window).ok());
  EXPECT_EQ(audit_continue(mover.version(), mover.window_set_since_pause()), Error::no_err);
  EXPECT_EQ(mover.apply(MoverEvent::continue_).transition, MoverTransition::resume);
  EXPECT_EQ(mover.pause_reason(), MoverPauseReason::na);
  EXPECT_EQ(data.apply(DataEvent::tape_side_continued).to, DataState::active);

  // A second pause needs a second window.
  mover.apply(MoverEvent::pause_eow);
  EXPECT_FALSE(mover.window_set_since_pause());
  EXPECT_EQ(mover.take_notifications().size(), 1u);
}

TEST(Scenario, V2EndOfWindowPauseIsEofOnTheWire) {
  MoverMachine mover(2);
  mover.apply(MoverEvent::listen, kBackupMode);
  mover.apply(MoverEvent::peer_connected);
  mover.apply(MoverEvent::pause_eow);
  EXPECT_EQ(mover.pause_reason(), MoverPauseReason::eow);
  EXPECT_EQ(mover.wire_pause_reason(), 2u);
  const auto posts = mover.take_notifications();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(wire_pause_reason(posts[0].pause, 2), 2u);
}

TEST(Scenario, RestoreReadsOneWindowAtATime) {
  DataMachine data(4);
  MoverMachine mover(4);
  mover.apply(MoverEvent::set_record_size);
  mover.apply(MoverEvent::set_window);
  mover.apply(MoverEvent::listen, kRestoreMode);
  data.apply(DataEvent::connect);
  mover.apply(MoverEvent::peer_connected);
  EXPECT_EQ(data.apply(DataEvent::start_recover).to, DataState::active);
  EXPECT_EQ(data.operation(), DataOperation::recover);
  // NOTIFY_DATA_READ (the server's) -> MOVER_READ.
  ASSERT_TRUE(mover.check(MoverEvent::read).ok());
  EXPECT_EQ(audit_read(4, mover.mode(), 0), Error::no_err);
  EXPECT_EQ(mover.apply(MoverEvent::read).transition, MoverTransition::accept_read);
  // A second read while the first is still moving bytes.
  EXPECT_EQ(audit_read(4, mover.mode(), 4096), Error::read_in_progress);
  // End of the last tape: the mover pauses EOF, the DMA closes the mover.
  mover.apply(MoverEvent::pause_eof, MoverArgs{MoverMode::noaction, 1 << 20});
  data.apply(DataEvent::tape_side_paused);
  EXPECT_EQ(mover.apply(MoverEvent::read).error, Error::illegal_state) << "READ only in ACTIVE";
  EXPECT_EQ(mover.apply(MoverEvent::close).transition, MoverTransition::close_connection);
  EXPECT_EQ(mover.halt_reason(), MoverHaltReason::connect_closed);
  EXPECT_EQ(data.apply(DataEvent::completed).to, DataState::halted);
  EXPECT_EQ(data.halt_reason(), DataHaltReason::successful);
  EXPECT_EQ(mover.take_notifications(),
            (std::vector{Notification::mover_paused(MoverPauseReason::eof, 1 << 20),
                         Notification::mover_halted(MoverHaltReason::connect_closed)}));
  EXPECT_EQ(data.take_notifications(),
            std::vector{Notification::data_halted(DataHaltReason::successful)});
}

TEST(Scenario, MediaErrorHaltsInV4AndPausesInV2V3) {
  for (int v : {2, 3, 4}) {
    MoverMachine mover(v);
    mover.apply(MoverEvent::listen, kBackupMode);
    mover.apply(MoverEvent::peer_connected);
    mover.apply(MoverEvent::media_error);
    const auto posts = mover.take_notifications();
    ASSERT_EQ(posts.size(), 1u) << v;
    if (v == 4) {
      EXPECT_EQ(mover.state(), MoverState::halted);
      EXPECT_EQ(posts[0], Notification::mover_halted(MoverHaltReason::media_error));
    } else {
      EXPECT_EQ(mover.state(), MoverState::paused) << v;
      EXPECT_EQ(posts[0], Notification::mover_paused(MoverPauseReason::media_error, 0));
      // ndmjob's DMA answers any backup pause other than EOM/EOW with ABORT.
      EXPECT_EQ(mover.apply(MoverEvent::abort).to, MoverState::halted);
    }
  }
}

TEST(Scenario, DataAbortFromEveryNonIdleStatePostsOnceAndStopResets) {
  for (int v : {2, 3, 4}) {
    std::vector<std::vector<DataEvent>> paths = {
        {DataEvent::start_backup},
        {DataEvent::start_recover, DataEvent::tape_side_paused},
        {DataEvent::start_recover_filehist, DataEvent::connection_error},
    };
    if (v >= 3) {
      for (auto& p : paths) p.insert(p.begin(), DataEvent::connect);
      paths.push_back({DataEvent::listen});
      paths.push_back({DataEvent::connect});
      paths.push_back({DataEvent::listen, DataEvent::peer_connected});
    }
    for (const auto& path : paths) {
      DataMachine data(v);
      for (DataEvent e : path) ASSERT_TRUE(data.apply(e).ok()) << to_string(e) << " v" << v;
      const bool was_halted = data.state() == DataState::halted;
      const DataHaltReason reason_before = data.halt_reason();
      data.take_notifications();

      const DataResult r = data.apply(DataEvent::abort);
      EXPECT_TRUE(r.ok());
      EXPECT_EQ(data.state(), DataState::halted);
      if (was_halted) {
        EXPECT_EQ(r.transition, DataTransition::abort_ignored_halted);
        EXPECT_EQ(data.halt_reason(), reason_before);
        EXPECT_EQ(data.take_notifications(), none());
      } else {
        EXPECT_EQ(data.halt_reason(), DataHaltReason::aborted);
        EXPECT_EQ(data.take_notifications(),
                  std::vector{Notification::data_halted(DataHaltReason::aborted)});
      }
      EXPECT_EQ(data.apply(DataEvent::stop).to, DataState::idle);
      EXPECT_EQ(data.operation(), DataOperation::noaction);
      EXPECT_EQ(data.halt_reason(), DataHaltReason::na);
      EXPECT_EQ(data.wire_state(), 0u);
    }
    DataMachine idle(v);
    EXPECT_EQ(idle.apply(DataEvent::abort).error, Error::illegal_state);
  }
}

TEST(Scenario, MoverAbortFromEveryNonIdleStatePostsOnceAndStopResets) {
  for (int v : {2, 3, 4}) {
    const std::vector<std::vector<MoverEvent>> paths = {
        {MoverEvent::listen},
        {MoverEvent::listen, MoverEvent::peer_connected},
        {MoverEvent::listen, MoverEvent::peer_connected, MoverEvent::pause_seek},
        {MoverEvent::listen, MoverEvent::peer_connected, MoverEvent::internal_error},
    };
    for (const auto& path : paths) {
      MoverMachine mover(v);
      for (MoverEvent e : path) ASSERT_TRUE(mover.apply(e, kRestoreMode).ok()) << to_string(e);
      const bool was_halted = mover.state() == MoverState::halted;
      mover.take_notifications();

      const MoverResult r = mover.apply(MoverEvent::abort);
      EXPECT_TRUE(r.ok());
      EXPECT_EQ(mover.state(), MoverState::halted);
      EXPECT_EQ(mover.pause_reason(), MoverPauseReason::na);
      if (was_halted) {
        EXPECT_EQ(r.transition, MoverTransition::abort_ignored_halted);
        EXPECT_EQ(mover.halt_reason(), MoverHaltReason::internal_error);
        EXPECT_EQ(mover.take_notifications(), none());
      } else {
        EXPECT_EQ(mover.take_notifications(),
                  std::vector{Notification::mover_halted(MoverHaltReason::aborted)});
      }
      EXPECT_EQ(mover.apply(MoverEvent::stop).to, MoverState::idle);
      EXPECT_EQ(mover.mode(), MoverMode::noaction);
      EXPECT_EQ(mover.halt_reason(), MoverHaltReason::na);
      EXPECT_EQ(mover.pause_reason(), MoverPauseReason::na);
      EXPECT_FALSE(mover.window_set_since_pause());
    }
    MoverMachine idle(v);
    EXPECT_EQ(idle.apply(MoverEvent::abort).error, Error::illegal_state);
  }
}

// ndmjob -o test-mover, M-IDLE and M-LISTEN (ndma_ctst_mover.c): the state
// answers it expects, per version.
TEST(Scenario, NdmjobTestMoverIdleAndListenSeries) {
  for (int v : {2, 3, 4}) {
    SCOPED_TRACE("v" + std::to_string(v));
    MoverMachine m(v);
    // M-IDLE
    EXPECT_EQ(m.wire_state(), 0u);
    EXPECT_EQ(m.apply(MoverEvent::continue_).error, Error::illegal_state);
    EXPECT_EQ(m.apply(MoverEvent::abort).error, Error::illegal_state);
    EXPECT_EQ(m.apply(MoverEvent::stop).error, Error::illegal_state);
    EXPECT_EQ(m.apply(MoverEvent::close).error, Error::illegal_state);
    EXPECT_EQ(m.apply(MoverEvent::set_window).error, Error::no_err);
    EXPECT_EQ(m.apply(MoverEvent::set_record_size).error, Error::no_err);
    // M-LISTEN subroutine, for each mode.
    for (MoverMode mode : {MoverMode::read, MoverMode::write}) {
      EXPECT_EQ(m.state(), MoverState::idle);
      EXPECT_EQ(m.apply(MoverEvent::listen, MoverArgs{mode, 0}).error, Error::no_err);
      EXPECT_EQ(m.wire_state(), 1u);
      EXPECT_EQ(m.pause_reason(), MoverPauseReason::na);
      EXPECT_EQ(m.halt_reason(), MoverHaltReason::na);
      EXPECT_EQ(m.apply(MoverEvent::listen, MoverArgs{mode, 0}).error, Error::illegal_state);
      EXPECT_EQ(m.apply(MoverEvent::continue_).error, Error::illegal_state);
      EXPECT_EQ(m.apply(MoverEvent::stop).error, Error::illegal_state);
      EXPECT_EQ(m.apply(MoverEvent::set_window).error,
                v < 4 ? Error::no_err : Error::illegal_state);
      EXPECT_EQ(m.apply(MoverEvent::set_record_size).error, Error::illegal_state);
      EXPECT_EQ(m.apply(MoverEvent::abort).error, Error::no_err);
      EXPECT_EQ(m.wire_state(), 4u);
      EXPECT_EQ(m.halt_reason(), MoverHaltReason::aborted);
      EXPECT_EQ(m.pause_reason(), MoverPauseReason::na);
      EXPECT_EQ(m.apply(MoverEvent::stop).error, Error::no_err);
      EXPECT_EQ(m.wire_state(), 0u);
      EXPECT_EQ(m.take_notifications(),
                std::vector{Notification::mover_halted(MoverHaltReason::aborted)});
    }
  }
}

// ndmjob -o test-data, D-IDLE and (v3/v4) D-LISTEN (ndma_ctst_data.c).
TEST(Scenario, NdmjobTestDataIdleAndListenSeries) {
  for (int v : {2, 3, 4}) {
    SCOPED_TRACE("v" + std::to_string(v));
    DataMachine d(v);
    EXPECT_EQ(d.wire_state(), 0u);
    EXPECT_EQ(d.halt_reason(), DataHaltReason::na);
    EXPECT_EQ(d.apply(DataEvent::abort).error, Error::illegal_state);
    EXPECT_EQ(d.apply(DataEvent::stop).error, Error::illegal_state);
    if (v < 3) {
      EXPECT_EQ(d.apply(DataEvent::listen).error, Error::not_supported);
      continue;
    }
    for (int round = 0; round < 2; ++round) {  // TCP, then LOCAL: same states
      EXPECT_EQ(d.apply(DataEvent::listen).error, Error::no_err);
      EXPECT_EQ(d.wire_state(), 3u);
      EXPECT_EQ(d.apply(DataEvent::listen).error, Error::illegal_state);
      EXPECT_EQ(d.apply(DataEvent::stop).error, Error::illegal_state);
      EXPECT_EQ(d.apply(DataEvent::abort).error, Error::no_err);
      EXPECT_EQ(d.wire_state(), 2u);
      EXPECT_EQ(d.halt_reason(), DataHaltReason::aborted);
      EXPECT_EQ(d.apply(DataEvent::stop).error, Error::no_err);
      EXPECT_EQ(d.wire_state(), 0u);
      EXPECT_EQ(d.take_notifications(),
                std::vector{Notification::data_halted(DataHaltReason::aborted)});
    }
  }
}

// SPEC4 2.11.5.1: a request crossing NOTIFY_DATA_HALTED on the wire is
// answered ILLEGAL_STATE and changes nothing; no second post.
TEST(Scenario, StartCrossingHaltNotificationIsRefusedWithoutChange) {
  DataMachine d(3);
  d.apply(DataEvent::connect);
  d.apply(DataEvent::connection_error);
  ASSERT_EQ(d.take_notifications().size(), 1u);
  const DataResult r = d.apply(DataEvent::start_backup);
  EXPECT_EQ(r.error, Error::illegal_state);
  EXPECT_EQ(r.transition, DataTransition::rejected);
  EXPECT_EQ(d.state(), DataState::halted);
  EXPECT_EQ(d.halt_reason(), DataHaltReason::connect_error);
  EXPECT_EQ(d.operation(), DataOperation::noaction);
  EXPECT_FALSE(d.has_notifications());
}

// The engine finishing just after the DMA aborted: the late event loses the
// race and must not post a second NOTIFY_DATA_HALTED or change the reason.
TEST(Scenario, InternalEventAfterAbortIsIgnored) {
  DataMachine d(4);
  MoverMachine m(4);
  d.apply(DataEvent::connect);
  d.apply(DataEvent::start_backup);
  m.apply(MoverEvent::listen, kBackupMode);
  m.apply(MoverEvent::peer_connected);
  d.apply(DataEvent::abort);
  m.apply(MoverEvent::abort);
  d.take_notifications();
  m.take_notifications();
  EXPECT_EQ(d.apply(DataEvent::completed).error, Error::illegal_state);
  EXPECT_EQ(m.apply(MoverEvent::connection_closed).error, Error::illegal_state);
  EXPECT_EQ(d.halt_reason(), DataHaltReason::aborted);
  EXPECT_EQ(m.halt_reason(), MoverHaltReason::aborted);
  EXPECT_FALSE(d.has_notifications());
  EXPECT_FALSE(m.has_notifications());
}

TEST(Scenario, ContinueIsNotSupportedInEveryServedVersion) {
  for (int v : {2, 3, 4}) {
    DataMachine d(v);
    if (v >= 3) d.apply(DataEvent::connect);
    d.apply(DataEvent::start_backup);
    d.apply(DataEvent::tape_side_paused);
    ASSERT_EQ(d.state(), DataState::paused);
    EXPECT_EQ(d.apply(DataEvent::continue_).error, Error::not_supported) << v;
    EXPECT_EQ(d.state(), DataState::paused);
  }
}

}  // namespace
}  // namespace ndmp::sm

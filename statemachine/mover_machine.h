// MoverMachine: the MOVER's state for one session, driven by mover_table.
//
// Use as DataMachine (data_machine.h): check() before acting, apply() after the
// work succeeded, reply, then send take_notifications() as posts. Guards that
// need more than the state (read mode, v4 read in progress, v4 window before
// CONTINUE) are in mover_guards.h and are the handler's to call before apply().
//
// Variables kept here: state, mode, halt_reason, pause_reason, and whether a
// window was set since the last pause (the v4 CONTINUE precondition). The
// invariants ndmjob checks on every MOVER_GET_STATE hold after every call:
// pause_reason is NA unless PAUSED, halt_reason is NA unless HALTED. Entering
// IDLE resets mode to NOACTION (facts 6.6). Record size, window, record_num,
// bytes moved, seek position and the address are the server's, which resets
// them (except record size, which persists: SPEC4) when apply() reports an
// entry into IDLE.
//
// Threads: not thread-safe; the owning session serialises every call, and the
// tape and connection threads post their events to it.
#pragma once

#include <cstdint>
#include <vector>

#include "statemachine/error.h"
#include "statemachine/mover_table.h"
#include "statemachine/mover_types.h"
#include "statemachine/notification.h"
#include "statemachine/reasons.h"

namespace ndmp::sm {

// Arguments some events carry. Others ignore them.
struct MoverArgs {
  MoverMode mode = MoverMode::noaction;  // listen, connect (audited by the handler)
  uint64_t seek_position = 0;            // pause_*: goes into NOTIFY_MOVER_PAUSED
};

// For an illegal event: error != no_err, to == from, transition == rejected.
struct MoverResult {
  Error error = Error::no_err;
  MoverState from = MoverState::idle;
  MoverState to = MoverState::idle;
  MoverTransition transition = MoverTransition::rejected;
  bool ok() const { return error == Error::no_err; }
};

class MoverMachine {
 public:
  // `version` is the negotiated protocol version, 2..4; any other value throws
  // std::invalid_argument.
  explicit MoverMachine(int version);

  int version() const { return version_; }
  MoverState state() const { return state_; }
  MoverMode mode() const { return mode_; }
  MoverHaltReason halt_reason() const { return halt_reason_; }
  MoverPauseReason pause_reason() const { return pause_reason_; }
  // True once SET_WINDOW succeeded after the latest entry into PAUSED (and
  // before any pause: the window set while preparing the job counts).
  bool window_set_since_pause() const { return window_set_since_pause_; }

  uint32_t wire_state() const { return sm::wire_state(state_, version_); }
  uint32_t wire_pause_reason() const { return sm::wire_pause_reason(pause_reason_, version_); }
  uint32_t wire_mode() const { return sm::wire_mode(mode_, version_); }

  MoverResult check(MoverEvent event) const;
  MoverResult apply(MoverEvent event, const MoverArgs& args = {});

  std::vector<Notification> take_notifications();
  bool has_notifications() const { return !pending_.empty(); }

 private:
  int version_;
  MoverState state_ = MoverState::idle;
  MoverMode mode_ = MoverMode::noaction;
  MoverHaltReason halt_reason_ = MoverHaltReason::na;
  MoverPauseReason pause_reason_ = MoverPauseReason::na;
  bool window_set_since_pause_ = false;
  std::vector<Notification> pending_;
};

}  // namespace ndmp::sm

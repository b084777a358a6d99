// The MOVER machine as data: rows keyed by (state, event, versions).
//
//   IDLE   --MOVER_LISTEN-->                 LISTEN
//   IDLE   --MOVER_CONNECT (v3/v4)-->        ACTIVE
//   LISTEN --peer connected-->               ACTIVE
//   ACTIVE --EOM, EOF, SEEK, EOW
//            (v2/v3 also media error)-->     PAUSED   posts NOTIFY_MOVER_PAUSED
//   PAUSED --MOVER_CONTINUE-->               ACTIVE
//   LISTEN, ACTIVE, PAUSED --abort, close, connection closed/error,
//            internal error (v4 ACTIVE also media error)-->
//                                            HALTED   posts NOTIFY_MOVER_HALTED
//   HALTED --MOVER_STOP-->                   IDLE
//
// Sources and choices (facts 6.6, 6.7, 7.3, section 8):
//  - SET_RECORD_SIZE only in IDLE (SPEC4, illumos; ndmjob's test-mover expects
//    ILLEGAL_STATE in LISTEN).
//  - SET_WINDOW in IDLE and PAUSED in every version, and in LISTEN in v2/v3
//    only. The facts sheet suggests LISTEN for v4 too, but SPEC4 allows only
//    IDLE/PAUSED in v4 and ndmjob's `-o test-mover` (M-LISTEN, v4) requires
//    ILLEGAL_STATE_ERR there, while its v2/v3 runs require NO_ERR; no DMA we
//    know sets the window in LISTEN at v4 (ndmjob sets it before LISTEN).
//    IDLE is accepted in every version (a NetBackup/NetWorker DMA needs it,
//    illumos; ndmjob's M-IDLE checks it in all versions).
//  - MOVER_CONNECT exists in v3/v4 only (NOT_SUPPORTED in v2).
//  - MOVER_READ only in ACTIVE. Two guards stay out of the table because they
//    depend on more than state: mode WRITE, and v4 READ_IN_PROGRESS when
//    bytes_left_to_read > 0 (see mover_guards.h).
//  - MOVER_CONTINUE only in PAUSED; v4's "new window since the pause" is a
//    guard (mover_guards.h), not a row.
//  - MOVER_CLOSE in PAUSED (SPEC4), and leniently in LISTEN and ACTIVE
//    (ndmjob's server): -> HALTED(CONNECT_CLOSED). In HALTED an allowed no-op.
//    In IDLE ILLEGAL_STATE (ndmjob's test-mover M-IDLE).
//  - MOVER_ABORT in LISTEN/ACTIVE/PAUSED -> HALTED(ABORTED); in HALTED an
//    allowed no-op (SPEC4) that keeps the reason and posts nothing; in IDLE
//    ILLEGAL_STATE.
//  - Media error: v4 halts with MEDIA_ERROR; v2/v3 pause with MEDIA_ERROR
//    (v2/v3 have no MEDIA_ERROR halt reason).
//  - Every entry into HALTED owes NOTIFY_MOVER_HALTED, every entry into PAUSED
//    NOTIFY_MOVER_PAUSED (ndmjob's DMA waits for the post, not the state).
//
// A request whose (state, event, version) has no row is answered
// ILLEGAL_STATE_ERR; a request the version lacks, NOT_SUPPORTED_ERR. An
// internal event with no row does not apply (a race): ILLEGAL_STATE_ERR and
// nothing changes.
#pragma once

#include <optional>
#include <span>

#include "statemachine/error.h"
#include "statemachine/mover_types.h"
#include "statemachine/notification.h"
#include "statemachine/reasons.h"
#include "statemachine/version.h"

namespace ndmp::sm {

struct MoverRow {
  MoverState from;
  MoverEvent event;
  Versions versions;
  MoverState to;
  MoverTransition transition;
  MoverHaltReason halt = MoverHaltReason::na;    // set on entering HALTED
  MoverPauseReason pause = MoverPauseReason::na;  // set on entering PAUSED
  bool sets_mode = false;                         // LISTEN/CONNECT take the request's mode
  std::optional<NotificationKind> notify = {};
};

std::span<const MoverRow> mover_rows();

// The versions in which a request exists at all (internal events: all).
Versions mover_event_versions(MoverEvent e);

struct MoverDecision {
  Error error = Error::illegal_state;  // no_err exactly when row != nullptr
  const MoverRow* row = nullptr;
  bool legal() const { return row != nullptr; }
};
MoverDecision decide(MoverState state, MoverEvent event, int version);

}  // namespace ndmp::sm

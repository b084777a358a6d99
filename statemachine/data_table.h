// The DATA machine as data: rows keyed by (state, event, versions).
//
//   IDLE      --DATA_LISTEN (v3/v4)-->       LISTEN
//   IDLE      --DATA_CONNECT (v3/v4)-->      CONNECTED
//   LISTEN    --peer connected-->            CONNECTED
//   CONNECTED --START_* (v3/v4)-->           ACTIVE
//   IDLE      --START_* (v2)-->              ACTIVE
//   ACTIVE    --tape side paused-->          Paused (internal; ACTIVE on the wire)
//   Paused    --tape side continued-->       ACTIVE
//   ACTIVE, Paused --completed, abort, errors-->     HALTED
//   LISTEN, CONNECTED --abort, errors-->             HALTED
//                                  (each entry posts NOTIFY_DATA_HALTED)
//   HALTED    --DATA_STOP-->                 IDLE
//
// Sources and choices (facts 6.5, 7.2, 7.4, section 8):
//  - v2 has no LISTEN/CONNECTED: START_* is legal in IDLE in v2 only (the
//    request carries the mover address); v3/v4 need CONNECTED.
//  - DATA_LISTEN/DATA_CONNECT in v2 and DATA_CONTINUE in v2-v4 are
//    NOT_SUPPORTED (the version lacks the message), not ILLEGAL_STATE.
//  - DATA_ABORT in any non-IDLE state (SPEC4, illumos; ndmjob's own server
//    allows ACTIVE only). In HALTED it is an allowed no-op that keeps the halt
//    reason and posts nothing (the machine did not enter HALTED again).
//  - DATA_GET_ENV in ACTIVE and HALTED for any operation (SPEC4; ndmjob's DMA
//    asks after restores too).
//  - Every entry into HALTED owes NOTIFY_DATA_HALTED, including after ABORT.
//  - Entering internal Paused owes nothing here: the MOVER's transition owes
//    NOTIFY_MOVER_PAUSED, and a second post would duplicate it (facts 7.4).
//
// A request whose (state, event, version) has no row is answered
// ILLEGAL_STATE_ERR; a request the version lacks, NOT_SUPPORTED_ERR. An
// internal event with no row does not apply (a race the owner logs): the
// answer is ILLEGAL_STATE_ERR and nothing changes.
#pragma once

#include <optional>
#include <span>

#include "statemachine/data_types.h"
#include "statemachine/error.h"
#include "statemachine/notification.h"
#include "statemachine/reasons.h"
#include "statemachine/version.h"

namespace ndmp::sm {

struct DataRow {
  DataState from;
  DataEvent event;
  Versions versions;  // the protocol versions this row applies to
  DataState to;
  DataTransition transition;
  DataHaltReason halt = DataHaltReason::na;          // set on entering HALTED
  std::optional<DataOperation> operation = {};       // set by START_*
  std::optional<NotificationKind> notify = {};       // post owed by this row
};

// Every row; no two rows share (from, event) for the same version.
std::span<const DataRow> data_rows();

// The versions in which a request exists at all (internal events: all).
Versions data_event_versions(DataEvent e);

// What the table says about `event` in `state` for `version`. Pure.
struct DataDecision {
  Error error = Error::illegal_state;  // no_err exactly when row != nullptr
  const DataRow* row = nullptr;
  bool legal() const { return row != nullptr; }
};
DataDecision decide(DataState state, DataEvent event, int version);

}  // namespace ndmp::sm

// DataMachine: the DATA service's state for one session, driven by data_table.
//
// Use (server/ handlers, "audit, then act"):
//   1. auto r = m.check(DataEvent::connect);   // is it legal here? no change
//      if (!r.ok()) reply r.error;
//   2. do the work the request needs (connect the socket, start the engine);
//      if that fails, reply its error and do not apply (a rejected request
//      changes nothing, SPEC4 2.11.1)
//   3. m.apply(DataEvent::connect);            // commit the transition
//   4. reply; then send every m.take_notifications() as a post.
// Internal events (completed, connection_error, ...) go straight to apply();
// an illegal answer there means the event lost a race (for example the DMA
// aborted first) and nothing changed.
//
// Variables kept here: state, operation, halt_reason. Entering IDLE resets
// operation to NOACTION and halt_reason to NA (facts 6.5); byte counters,
// estimates, read offset/length and the connection address are the server's
// and are reset by it when apply() reports an entry into IDLE.
//
// Threads: not thread-safe. The session that owns it serialises every call
// (one strand per session); other threads (engine, connection) post events to
// that strand rather than calling in.
#pragma once

#include <cstdint>
#include <vector>

#include "statemachine/data_table.h"
#include "statemachine/data_types.h"
#include "statemachine/error.h"
#include "statemachine/notification.h"
#include "statemachine/reasons.h"

namespace ndmp::sm {

// What a check() or apply() found. For an illegal event: error != no_err,
// to == from and transition == rejected.
struct DataResult {
  Error error = Error::no_err;
  DataState from = DataState::idle;
  DataState to = DataState::idle;
  DataTransition transition = DataTransition::rejected;
  bool ok() const { return error == Error::no_err; }
};

class DataMachine {
 public:
  // `version` is the negotiated protocol version, 2..4; any other value throws
  // std::invalid_argument (the session must refuse it before building us).
  explicit DataMachine(int version);

  int version() const { return version_; }
  DataState state() const { return state_; }
  DataOperation operation() const { return operation_; }
  // NA unless HALTED.
  DataHaltReason halt_reason() const { return halt_reason_; }
  // The state value DATA_GET_STATE sends in this machine's version.
  uint32_t wire_state() const { return sm::wire_state(state_, version_); }

  // What apply(event) would do, without doing it.
  DataResult check(DataEvent event) const;
  // Performs the table's transition for `event`, or changes nothing and
  // returns the error. A legal transition that owes a post queues it.
  DataResult apply(DataEvent event);

  // The posts owed, oldest first; the queue is empty afterwards. The owner
  // sends them after the reply to the request that caused them.
  std::vector<Notification> take_notifications();
  bool has_notifications() const { return !pending_.empty(); }

 private:
  int version_;
  DataState state_ = DataState::idle;
  DataOperation operation_ = DataOperation::noaction;
  DataHaltReason halt_reason_ = DataHaltReason::na;
  std::vector<Notification> pending_;
};

}  // namespace ndmp::sm

#include "statemachine/data_table.h"

#include <array>

namespace ndmp::sm {
namespace {

using S = DataState;
using E = DataEvent;
using T = DataTransition;
using H = DataHaltReason;
using O = DataOperation;
constexpr auto kHalted = NotificationKind::data_halted;

// Read a row as: in state FROM, event EVENT, for VERSIONS, goes to TO by
// TRANSITION, setting HALT / OPERATION and owing NOTIFY.
constexpr std::array kRows = {
    // GET_STATE: every state of the version.
    DataRow{S::idle, E::get_state, kV234, S::idle, T::report},
    DataRow{S::listen, E::get_state, kV34, S::listen, T::report},
    DataRow{S::connected, E::get_state, kV34, S::connected, T::report},
    DataRow{S::active, E::get_state, kV234, S::active, T::report},
    DataRow{S::paused, E::get_state, kV234, S::paused, T::report},
    DataRow{S::halted, E::get_state, kV234, S::halted, T::report},

    // GET_ENV: ACTIVE (and Paused, which is ACTIVE on the wire) and HALTED.
    DataRow{S::active, E::get_env, kV234, S::active, T::report},
    DataRow{S::paused, E::get_env, kV234, S::paused, T::report},
    DataRow{S::halted, E::get_env, kV234, S::halted, T::report},

    // Setting up the data connection (v3/v4).
    DataRow{S::idle, E::listen, kV34, S::listen, T::open_listen},
    DataRow{S::idle, E::connect, kV34, S::connected, T::connect_to_peer},
    DataRow{S::listen, E::peer_connected, kV34, S::connected, T::accept_peer},

    // START_*: from IDLE in v2 (the request carries the mover address), from
    // CONNECTED in v3/v4.
    DataRow{S::idle, E::start_backup, kV2, S::active, T::start_backup, H::na, O::backup},
    DataRow{S::connected, E::start_backup, kV34, S::active, T::start_backup, H::na, O::backup},
    DataRow{S::idle, E::start_recover, kV2, S::active, T::start_recover, H::na, O::recover},
    DataRow{S::connected, E::start_recover, kV34, S::active, T::start_recover, H::na, O::recover},
    DataRow{S::idle, E::start_recover_filehist, kV2, S::active, T::start_recover_filehist, H::na,
            O::recover_filehist},
    DataRow{S::connected, E::start_recover_filehist, kV34, S::active, T::start_recover_filehist,
            H::na, O::recover_filehist},

    // Tape change: internal pause, announced by the MOVER.
    DataRow{S::active, E::tape_side_paused, kV234, S::paused, T::wait_for_tape},
    DataRow{S::paused, E::tape_side_continued, kV234, S::active, T::resume_after_tape},

    // Completion. A restore may finish while the tape side sits paused at the
    // end of the last tape (EOF/SEEK before MOVER_CLOSE, facts 6.9).
    DataRow{S::active, E::completed, kV234, S::halted, T::finish, H::successful, {}, kHalted},
    DataRow{S::paused, E::completed, kV234, S::halted, T::finish, H::successful, {}, kHalted},

    // ABORT: any non-IDLE state; a no-op once HALTED.
    DataRow{S::listen, E::abort, kV34, S::halted, T::abort, H::aborted, {}, kHalted},
    DataRow{S::connected, E::abort, kV34, S::halted, T::abort, H::aborted, {}, kHalted},
    DataRow{S::active, E::abort, kV234, S::halted, T::abort, H::aborted, {}, kHalted},
    DataRow{S::paused, E::abort, kV234, S::halted, T::abort, H::aborted, {}, kHalted},
    DataRow{S::halted, E::abort, kV234, S::halted, T::abort_ignored_halted},

    // Failures from any state that holds a connection or an operation.
    DataRow{S::listen, E::internal_error, kV34, S::halted, T::fail_internal, H::internal_error, {},
            kHalted},
    DataRow{S::connected, E::internal_error, kV34, S::halted, T::fail_internal,
            H::internal_error, {}, kHalted},
    DataRow{S::active, E::internal_error, kV234, S::halted, T::fail_internal, H::internal_error,
            {}, kHalted},
    DataRow{S::paused, E::internal_error, kV234, S::halted, T::fail_internal, H::internal_error,
            {}, kHalted},
    DataRow{S::listen, E::connection_error, kV34, S::halted, T::fail_connection, H::connect_error,
            {}, kHalted},
    DataRow{S::connected, E::connection_error, kV34, S::halted, T::fail_connection,
            H::connect_error, {}, kHalted},
    DataRow{S::active, E::connection_error, kV234, S::halted, T::fail_connection,
            H::connect_error, {}, kHalted},
    DataRow{S::paused, E::connection_error, kV234, S::halted, T::fail_connection,
            H::connect_error, {}, kHalted},

    // STOP: only from HALTED; entering IDLE resets the machine's variables.
    DataRow{S::halted, E::stop, kV234, S::idle, T::stop_reset},
};

struct EventVersions {
  DataEvent event;
  Versions versions;
};

// Requests that some served version lacks. Every other event exists in all.
constexpr std::array kRestricted = {
    EventVersions{E::listen, kV34},
    EventVersions{E::connect, kV34},
    EventVersions{E::continue_, kNoVersion},  // v1 draft only
};

}  // namespace

std::span<const DataRow> data_rows() { return kRows; }

Versions data_event_versions(DataEvent e) {
  for (const auto& r : kRestricted) {
    if (r.event == e) return r.versions;
  }
  return kV234;
}

DataDecision decide(DataState state, DataEvent event, int version) {
  if (!applies(data_event_versions(event), version)) return {Error::not_supported, nullptr};
  for (const auto& row : kRows) {
    if (row.from == state && row.event == event && applies(row.versions, version)) {
      return {Error::no_err, &row};
    }
  }
  return {Error::illegal_state, nullptr};
}

}  // namespace ndmp::sm

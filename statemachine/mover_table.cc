#include "statemachine/mover_table.h"

#include <array>

namespace ndmp::sm {
namespace {

using S = MoverState;
using E = MoverEvent;
using T = MoverTransition;
using H = MoverHaltReason;
using P = MoverPauseReason;
constexpr auto kHalted = NotificationKind::mover_halted;
constexpr auto kPaused = NotificationKind::mover_paused;
constexpr bool kSetsMode = true;

// Read a row as: in state FROM, event EVENT, for VERSIONS, goes to TO by
// TRANSITION, setting HALT / PAUSE / mode and owing NOTIFY.
constexpr std::array kRows = {
    // GET_STATE: every state.
    MoverRow{S::idle, E::get_state, kV234, S::idle, T::report},
    MoverRow{S::listen, E::get_state, kV234, S::listen, T::report},
    MoverRow{S::active, E::get_state, kV234, S::active, T::report},
    MoverRow{S::paused, E::get_state, kV234, S::paused, T::report},
    MoverRow{S::halted, E::get_state, kV234, S::halted, T::report},

    // Preparing a job.
    MoverRow{S::idle, E::set_record_size, kV234, S::idle, T::accept_record_size},
    MoverRow{S::idle, E::set_window, kV234, S::idle, T::accept_window},
    MoverRow{S::listen, E::set_window, kV2 | kV3, S::listen, T::accept_window},
    MoverRow{S::paused, E::set_window, kV234, S::paused, T::accept_window},
    MoverRow{S::idle, E::listen, kV234, S::listen, T::open_listen, H::na, P::na, kSetsMode},
    MoverRow{S::idle, E::connect, kV34, S::active, T::connect_to_peer, H::na, P::na, kSetsMode},
    MoverRow{S::listen, E::peer_connected, kV234, S::active, T::accept_peer},

    // Running.
    MoverRow{S::active, E::read, kV234, S::active, T::accept_read},
    MoverRow{S::active, E::pause_eom, kV234, S::paused, T::pause_for_dma, H::na, P::eom, false,
             kPaused},
    MoverRow{S::active, E::pause_eof, kV234, S::paused, T::pause_for_dma, H::na, P::eof, false,
             kPaused},
    MoverRow{S::active, E::pause_seek, kV234, S::paused, T::pause_for_dma, H::na, P::seek, false,
             kPaused},
    MoverRow{S::active, E::pause_eow, kV234, S::paused, T::pause_for_dma, H::na, P::eow, false,
             kPaused},
    MoverRow{S::active, E::media_error, kV2 | kV3, S::paused, T::pause_media_error, H::na,
             P::media_error, false, kPaused},
    MoverRow{S::active, E::media_error, kV4, S::halted, T::halt_media_error, H::media_error,
             P::na, false, kHalted},
    MoverRow{S::paused, E::continue_, kV234, S::active, T::resume},

    // Normal end: the data connection closes, or the DMA closes it.
    MoverRow{S::active, E::connection_closed, kV234, S::halted, T::finish_connection_closed,
             H::connect_closed, P::na, false, kHalted},
    MoverRow{S::paused, E::connection_closed, kV234, S::halted, T::finish_connection_closed,
             H::connect_closed, P::na, false, kHalted},
    MoverRow{S::listen, E::close, kV234, S::halted, T::close_connection, H::connect_closed, P::na,
             false, kHalted},
    MoverRow{S::active, E::close, kV234, S::halted, T::close_connection, H::connect_closed, P::na,
             false, kHalted},
    MoverRow{S::paused, E::close, kV234, S::halted, T::close_connection, H::connect_closed, P::na,
             false, kHalted},
    MoverRow{S::halted, E::close, kV234, S::halted, T::close_ignored_halted},

    // ABORT: any non-IDLE state; a no-op once HALTED.
    MoverRow{S::listen, E::abort, kV234, S::halted, T::abort, H::aborted, P::na, false, kHalted},
    MoverRow{S::active, E::abort, kV234, S::halted, T::abort, H::aborted, P::na, false, kHalted},
    MoverRow{S::paused, E::abort, kV234, S::halted, T::abort, H::aborted, P::na, false, kHalted},
    MoverRow{S::halted, E::abort, kV234, S::halted, T::abort_ignored_halted},

    // Failures.
    MoverRow{S::listen, E::connection_error, kV234, S::halted, T::fail_connection,
             H::connect_error, P::na, false, kHalted},
    MoverRow{S::active, E::connection_error, kV234, S::halted, T::fail_connection,
             H::connect_error, P::na, false, kHalted},
    MoverRow{S::paused, E::connection_error, kV234, S::halted, T::fail_connection,
             H::connect_error, P::na, false, kHalted},
    MoverRow{S::listen, E::internal_error, kV234, S::halted, T::fail_internal, H::internal_error,
             P::na, false, kHalted},
    MoverRow{S::active, E::internal_error, kV234, S::halted, T::fail_internal, H::internal_error,
             P::na, false, kHalted},
    MoverRow{S::paused, E::internal_error, kV234, S::halted, T::fail_internal, H::internal_error,
             P::na, false, kHalted},

    // STOP: only from HALTED; entering IDLE resets the machine's variables.
    MoverRow{S::halted, E::stop, kV234, S::idle, T::stop_reset},
};

struct EventVersions {
  MoverEvent event;
  Versions versions;
};

// Requests that some served version lacks. Every other event exists in all.
constexpr std::array kRestricted = {
    EventVersions{E::connect, kV34},
};

}  // namespace

std::span<const MoverRow> mover_rows() { return kRows; }

Versions mover_event_versions(MoverEvent e) {
  for (const auto& r : kRestricted) {
    if (r.event == e) return r.versions;
  }
  return kV234;
}

MoverDecision decide(MoverState state, MoverEvent event, int version) {
  if (!applies(mover_event_versions(event), version)) return {Error::not_supported, nullptr};
  for (const auto& row : kRows) {
    if (row.from == state && row.event == event && applies(row.versions, version)) {
      return {Error::no_err, &row};
    }
  }
  return {Error::illegal_state, nullptr};
}

}  // namespace ndmp::sm

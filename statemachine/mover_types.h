// States, events and transition names of the MOVER machine (v2, v3, v4).
// The mover states have the same wire numbers in every version (facts 5.7).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ndmp::sm {

// Values are the wire numbers (all versions).
enum class MoverState : uint32_t {
  idle = 0,
  listen = 1,
  active = 2,
  paused = 3,
  halted = 4,
};

inline constexpr std::array kAllMoverStates = {
    MoverState::idle, MoverState::listen, MoverState::active, MoverState::paused,
    MoverState::halted,
};

// Requests are numbered by NDMP message code; internal events from 0x10000.
enum class MoverEvent : uint32_t {
  get_state = 0xA00,
  listen = 0xA01,
  continue_ = 0xA02,
  abort = 0xA03,
  stop = 0xA04,
  set_window = 0xA05,
  read = 0xA06,
  close = 0xA07,
  set_record_size = 0xA08,
  connect = 0xA09,  // v3/v4

  peer_connected = 0x10000,     // the listening data connection was accepted
  pause_eom = 0x10001,          // logical end of medium (early warning / blank)
  pause_eof = 0x10002,          // file mark while reading with a maximum window
  pause_seek = 0x10003,         // wanted offset outside the window
  pause_eow = 0x10004,          // end of window while writing
  connection_closed = 0x10005,  // the data connection closed (normal end)
  connection_error = 0x10006,   // the data connection failed
  internal_error = 0x10007,     // the mover itself failed
  media_error = 0x10008,        // tape I/O failed: v4 halts, v2/v3 pause
};

inline constexpr std::array kAllMoverEvents = {
    MoverEvent::get_state,        MoverEvent::listen,         MoverEvent::continue_,
    MoverEvent::abort,            MoverEvent::stop,           MoverEvent::set_window,
    MoverEvent::read,             MoverEvent::close,          MoverEvent::set_record_size,
    MoverEvent::connect,
    MoverEvent::peer_connected,   MoverEvent::pause_eom,      MoverEvent::pause_eof,
    MoverEvent::pause_seek,       MoverEvent::pause_eow,      MoverEvent::connection_closed,
    MoverEvent::connection_error, MoverEvent::internal_error, MoverEvent::media_error,
};

constexpr bool is_request(MoverEvent e) { return static_cast<uint32_t>(e) < 0x10000; }

// The request event for an NDMP message code (0xA00-0xA09), or nullopt.
std::optional<MoverEvent> mover_request_for(uint32_t message);

enum class MoverTransition : uint32_t {
  rejected = 0,               // no row: the answer is an error, nothing changed
  report = 1,                 // GET_STATE: no change
  accept_record_size = 2,     // SET_RECORD_SIZE: no state change
  accept_window = 3,          // SET_WINDOW: no state change
  accept_read = 4,            // READ: no state change
  open_listen = 5,            // IDLE -> LISTEN, mode set
  connect_to_peer = 6,        // IDLE -> ACTIVE, mode set
  accept_peer = 7,            // LISTEN -> ACTIVE
  pause_for_dma = 8,          // ACTIVE -> PAUSED(EOM/EOF/SEEK/EOW)
  pause_media_error = 9,      // v2/v3: ACTIVE -> PAUSED(MEDIA_ERROR)
  resume = 10,                // PAUSED -> ACTIVE (MOVER_CONTINUE)
  close_connection = 11,      // MOVER_CLOSE -> HALTED(CONNECT_CLOSED)
  close_ignored_halted = 12,  // MOVER_CLOSE while HALTED: allowed, nothing changes
  finish_connection_closed = 13,  // peer closed -> HALTED(CONNECT_CLOSED)
  abort = 14,                 // -> HALTED(ABORTED)
  abort_ignored_halted = 15,  // MOVER_ABORT while HALTED: allowed, nothing changes
  fail_connection = 16,       // -> HALTED(CONNECT_ERROR)
  fail_internal = 17,         // -> HALTED(INTERNAL_ERROR)
  halt_media_error = 18,      // v4: ACTIVE -> HALTED(MEDIA_ERROR)
  stop_reset = 19,            // HALTED -> IDLE, variables reset
};

std::string_view to_string(MoverState s);
std::string_view to_string(MoverEvent e);
std::string_view to_string(MoverTransition t);

// The MOVER state value for MOVER_GET_STATE: the same in every version.
constexpr uint32_t wire_state(MoverState s, int /*version*/) { return static_cast<uint32_t>(s); }

}  // namespace ndmp::sm

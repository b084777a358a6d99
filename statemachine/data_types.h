// States, events and transition names of the DATA machine, and how each state
// appears on the wire of each version.
//
// Internal model (the product's Idle/Active/Paused/Halted plus the v3/v4 LISTEN
// and CONNECTED states). Paused is internal only: in v2-v4 a pause for a tape
// change belongs to the MOVER, and DATA stays ACTIVE on the wire while the
// mover reports PAUSED (facts 7.4). Never put "paused" on the wire as a DATA
// state: value 3 is LISTEN in v3/v4 and does not exist in v2.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ndmp::sm {

// Values 0-4 are the v3/v4 wire numbers; paused has no wire number.
enum class DataState : uint32_t {
  idle = 0,
  active = 1,
  halted = 2,
  listen = 3,     // v3/v4 only
  connected = 4,  // v3/v4 only
  paused = 5,     // internal: the tape side waits for the DMA (EOM/EOF)
};

inline constexpr std::array kAllDataStates = {
    DataState::idle,   DataState::listen, DataState::connected,
    DataState::active, DataState::paused, DataState::halted,
};

// Requests are numbered by their NDMP message code, so the server's dispatch
// table maps a message to an event by number; internal events (what the data
// path, the connection or the tape side report) are numbered from 0x10000,
// outside every message range.
enum class DataEvent : uint32_t {
  get_state = 0x400,
  start_backup = 0x401,
  start_recover = 0x402,
  abort = 0x403,
  get_env = 0x404,
  stop = 0x407,
  continue_ = 0x408,  // v1 draft DATA_CONTINUE; NOT_SUPPORTED in v2-v4
  listen = 0x409,     // v3/v4
  connect = 0x40A,    // v3/v4
  start_recover_filehist = 0x40B,  // ndmjob extension, all versions

  peer_connected = 0x10000,       // the listening data connection was accepted
  tape_side_paused = 0x10001,     // the mover paused (EOM/EOF/EOW/SEEK), local job
  tape_side_continued = 0x10002,  // the mover was continued after the pause
  completed = 0x10003,            // the backup/recover engine finished
  internal_error = 0x10004,       // the engine failed (disk, archive, memory)
  connection_error = 0x10005,     // the data connection failed or dropped
};

inline constexpr std::array kAllDataEvents = {
    DataEvent::get_state,      DataEvent::start_backup,        DataEvent::start_recover,
    DataEvent::abort,          DataEvent::get_env,             DataEvent::stop,
    DataEvent::continue_,      DataEvent::listen,              DataEvent::connect,
    DataEvent::start_recover_filehist,
    DataEvent::peer_connected, DataEvent::tape_side_paused,    DataEvent::tape_side_continued,
    DataEvent::completed,      DataEvent::internal_error,      DataEvent::connection_error,
};

// True for DMA requests (answered with a reply); false for internal events.
constexpr bool is_request(DataEvent e) { return static_cast<uint32_t>(e) < 0x10000; }

// The request event for an NDMP message code (0x400-0x40B), or nullopt for a
// code that is not a DATA request, so dispatch never casts an unchecked number.
std::optional<DataEvent> data_request_for(uint32_t message);

// The name of the change a table row makes; reported with every result so the
// operator log and tests can say what happened, not only where it ended.
enum class DataTransition : uint32_t {
  rejected = 0,            // no row: the answer is an error, nothing changed
  report = 1,              // GET_STATE / GET_ENV: no change
  open_listen = 2,         // IDLE -> LISTEN
  connect_to_peer = 3,     // IDLE -> CONNECTED
  accept_peer = 4,         // LISTEN -> CONNECTED
  start_backup = 5,        // -> ACTIVE, operation BACKUP
  start_recover = 6,       // -> ACTIVE, operation RECOVER
  start_recover_filehist = 7,
  wait_for_tape = 8,       // ACTIVE -> Paused
  resume_after_tape = 9,   // Paused -> ACTIVE
  finish = 10,             // -> HALTED(SUCCESSFUL)
  abort = 11,              // -> HALTED(ABORTED)
  abort_ignored_halted = 12,  // ABORT while HALTED: allowed, nothing changes
  fail_internal = 13,      // -> HALTED(INTERNAL_ERROR)
  fail_connection = 14,    // -> HALTED(CONNECT_ERROR)
  stop_reset = 15,         // HALTED -> IDLE, variables reset
};

std::string_view to_string(DataState s);
std::string_view to_string(DataEvent e);
std::string_view to_string(DataTransition t);

// The DATA state value for DATA_GET_STATE in `version`:
//   idle 0, active 1, halted 2 in every version; listen 3, connected 4 in v3/v4;
//   paused -> 1 (ACTIVE; the MOVER reports the pause).
// Returns kNoWireDataState for listen/connected in v2 or an unserved version:
// no v2 table row enters those states, so a v2 machine never asks.
inline constexpr uint32_t kNoWireDataState = 0xFFFFFFFFu;
uint32_t wire_state(DataState s, int version);

}  // namespace ndmp::sm

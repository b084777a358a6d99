// The values the DATA and MOVER machines keep besides their state: operation,
// halt and pause reasons, mover mode. Numbers are the wire values of v4 (facts
// 5.6, 5.7); where a version numbers or lacks a value differently, the wire_*
// functions below give the value to send, so a handler never writes a version
// `if` of its own.
#pragma once

#include <cstdint>
#include <string_view>

namespace ndmp::sm {

// ndmp_data_operation. recover_filehist is ndmjob's 0x40B extension (v2/v3
// DATA_OP_RESTORE_FILEHIST, v4 RECOVER_FILEHIST); same number in every version.
enum class DataOperation : uint32_t {
  noaction = 0,
  backup = 1,
  recover = 2,
  recover_filehist = 3,
};

// ndmp_data_halt_reason; same in v2-v4. Valid only while DATA is HALTED.
enum class DataHaltReason : uint32_t {
  na = 0,
  successful = 1,
  aborted = 2,
  internal_error = 3,
  connect_error = 4,
};

// ndmp_mover_halt_reason. media_error exists on the wire only in v4; the v2/v3
// tables pause with MoverPauseReason::media_error instead, so a v2/v3 machine
// never holds it.
enum class MoverHaltReason : uint32_t {
  na = 0,
  connect_closed = 1,  // the data connection closed: the normal end of a job
  aborted = 2,
  internal_error = 3,
  connect_error = 4,
  media_error = 5,
};

// ndmp_mover_pause_reason (v3/v4 numbering). v2 has no EOW and v4 no
// MEDIA_ERROR; see wire_pause_reason.
enum class MoverPauseReason : uint32_t {
  na = 0,
  eom = 1,          // end of medium (write: early warning; read: blank tape)
  eof = 2,          // file mark hit (read side of a maximum-length window)
  seek = 3,         // wanted offset outside the window; seek_position says where
  media_error = 4,  // v2/v3 only
  eow = 5,          // end of window while writing (backup)
};

// ndmp_mover_mode, v4 numbering: the mover's view of the data connection.
// read = read the connection, write tape (backup); write = the reverse.
enum class MoverMode : uint32_t {
  read = 0,
  write = 1,
  noaction = 2,  // not listening/connected (IDLE)
};

std::string_view to_string(DataOperation v);
std::string_view to_string(DataHaltReason v);
std::string_view to_string(MoverHaltReason v);
std::string_view to_string(MoverPauseReason v);
std::string_view to_string(MoverMode v);

// Pause reason as sent in NOTIFY_MOVER_PAUSED and MOVER_GET_STATE.
// v2 has no EOW: end of window is reported as EOF there (ndmjob's DMA treats a
// v2 EOF pause during backup as end of window). v4 has no MEDIA_ERROR pause; the
// v4 table halts instead, and should the value ever reach here it is sent as
// EOF, the nearest v4 value (as Bareos' ndmjob translation does).
uint32_t wire_pause_reason(MoverPauseReason reason, int version);

// Mover mode as sent in v4 MOVER_GET_STATE (v2/v3 replies have no mode field,
// but ndmjob's v2/v3 internal model does): noaction is 2 in v4 only; v2's value
// 2 means DATA (connection to connection), which we never offer, and v3 has no
// value 2, so IDLE is reported as READ (0) there.
uint32_t wire_mode(MoverMode mode, int version);

}  // namespace ndmp::sm

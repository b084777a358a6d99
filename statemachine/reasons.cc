// Names and per-version wire values for reasons.h. The switches
// have no default so that -Wswitch reports a value added without a name.
#include "statemachine/reasons.h"

namespace ndmp::sm {

std::string_view to_string(DataOperation v) {
  switch (v) {
    case DataOperation::noaction: return "NOACTION";
    case DataOperation::backup: return "BACKUP";
    case DataOperation::recover: return "RECOVER";
    case DataOperation::recover_filehist: return "RECOVER_FILEHIST";
  }
  return "?operation";
}

std::string_view to_string(DataHaltReason v) {
  switch (v) {
    case DataHaltReason::na: return "NA";
    case DataHaltReason::successful: return "SUCCESSFUL";
    case DataHaltReason::aborted: return "ABORTED";
    case DataHaltReason::internal_error: return "INTERNAL_ERROR";
    case DataHaltReason::connect_error: return "CONNECT_ERROR";
  }
  return "?data_halt_reason";
}

std::string_view to_string(MoverHaltReason v) {
  switch (v) {
    case MoverHaltReason::na: return "NA";
    case MoverHaltReason::connect_closed: return "CONNECT_CLOSED";
    case MoverHaltReason::aborted: return "ABORTED";
    case MoverHaltReason::internal_error: return "INTERNAL_ERROR";
    case MoverHaltReason::connect_error: return "CONNECT_ERROR";
    case MoverHaltReason::media_error: return "MEDIA_ERROR";
  }
  return "?mover_halt_reason";
}

std::string_view to_string(MoverPauseReason v) {
  switch (v) {
    case MoverPauseReason::na: return "NA";
    case MoverPauseReason::eom: return "EOM";
    case MoverPauseReason::eof: return "EOF";
    case MoverPauseReason::seek: return "SEEK";
    case MoverPauseReason::media_error: return "MEDIA_ERROR";
    case MoverPauseReason::eow: return "EOW";
  }
  return "?mover_pause_reason";
}

std::string_view to_string(MoverMode v) {
  switch (v) {
    case MoverMode::read: return "READ";
    case MoverMode::write: return "WRITE";
    case MoverMode::noaction: return "NOACTION";
  }
  return "?mover_mode";
}

uint32_t wire_pause_reason(MoverPauseReason reason, int version) {
  if (version == 2 && reason == MoverPauseReason::eow) return static_cast<uint32_t>(MoverPauseReason::eof);
  if (version >= 4 && reason == MoverPauseReason::media_error) {
    return static_cast<uint32_t>(MoverPauseReason::eof);
  }
  return static_cast<uint32_t>(reason);
}

uint32_t wire_mode(MoverMode mode, int version) {
  if (mode == MoverMode::noaction && version < 4) return static_cast<uint32_t>(MoverMode::read);
  return static_cast<uint32_t>(mode);
}

}  // namespace ndmp::sm

#include "statemachine/data_types.h"

#include "statemachine/version.h"

namespace ndmp::sm {

std::string_view to_string(DataState s) {
  switch (s) {
    case DataState::idle: return "IDLE";
    case DataState::active: return "ACTIVE";
    case DataState::halted: return "HALTED";
    case DataState::listen: return "LISTEN";
    case DataState::connected: return "CONNECTED";
    case DataState::paused: return "PAUSED(internal)";
  }
  return "?data_state";
}

std::string_view to_string(DataEvent e) {
  switch (e) {
    case DataEvent::get_state: return "DATA_GET_STATE";
    case DataEvent::start_backup: return "DATA_START_BACKUP";
    case DataEvent::start_recover: return "DATA_START_RECOVER";
    case DataEvent::abort: return "DATA_ABORT";
    case DataEvent::get_env: return "DATA_GET_ENV";
    case DataEvent::stop: return "DATA_STOP";
    case DataEvent::continue_: return "DATA_CONTINUE";
    case DataEvent::listen: return "DATA_LISTEN";
    case DataEvent::connect: return "DATA_CONNECT";
    case DataEvent::start_recover_filehist: return "DATA_START_RECOVER_FILEHIST";
    case DataEvent::peer_connected: return "peer connected";
    case DataEvent::tape_side_paused: return "tape side paused";
    case DataEvent::tape_side_continued: return "tape side continued";
    case DataEvent::completed: return "operation completed";
    case DataEvent::internal_error: return "internal error";
    case DataEvent::connection_error: return "data connection error";
  }
  return "?data_event";
}

std::string_view to_string(DataTransition t) {
  switch (t) {
    case DataTransition::rejected: return "rejected";
    case DataTransition::report: return "report";
    case DataTransition::open_listen: return "open listen";
    case DataTransition::connect_to_peer: return "connect to peer";
    case DataTransition::accept_peer: return "accept peer";
    case DataTransition::start_backup: return "start backup";
    case DataTransition::start_recover: return "start recover";
    case DataTransition::start_recover_filehist: return "start recover (file history)";
    case DataTransition::wait_for_tape: return "wait for tape";
    case DataTransition::resume_after_tape: return "resume after tape";
    case DataTransition::finish: return "finish";
    case DataTransition::abort: return "abort";
    case DataTransition::abort_ignored_halted: return "abort ignored (already halted)";
    case DataTransition::fail_internal: return "fail (internal error)";
    case DataTransition::fail_connection: return "fail (connection error)";
    case DataTransition::stop_reset: return "stop and reset";
  }
  return "?data_transition";
}

std::optional<DataEvent> data_request_for(uint32_t message) {
  for (DataEvent e : kAllDataEvents) {
    if (is_request(e) && static_cast<uint32_t>(e) == message) return e;
  }
  return std::nullopt;
}

uint32_t wire_state(DataState s, int version) {
  if (!is_supported_version(version)) return kNoWireDataState;
  switch (s) {
    case DataState::idle:
    case DataState::active:
    case DataState::halted:
      return static_cast<uint32_t>(s);
    case DataState::paused:
      return static_cast<uint32_t>(DataState::active);
    case DataState::listen:
    case DataState::connected:
      return version >= 3 ? static_cast<uint32_t>(s) : kNoWireDataState;
  }
  return kNoWireDataState;
}

}  // namespace ndmp::sm

#include "statemachine/mover_types.h"

namespace ndmp::sm {

std::string_view to_string(MoverState s) {
  switch (s) {
    case MoverState::idle: return "IDLE";
    case MoverState::listen: return "LISTEN";
    case MoverState::active: return "ACTIVE";
    case MoverState::paused: return "PAUSED";
    case MoverState::halted: return "HALTED";
  }
  return "?mover_state";
}

std::string_view to_string(MoverEvent e) {
  switch (e) {
    case MoverEvent::get_state: return "MOVER_GET_STATE";
    case MoverEvent::listen: return "MOVER_LISTEN";
    case MoverEvent::continue_: return "MOVER_CONTINUE";
    case MoverEvent::abort: return "MOVER_ABORT";
    case MoverEvent::stop: return "MOVER_STOP";
    case MoverEvent::set_window: return "MOVER_SET_WINDOW";
    case MoverEvent::read: return "MOVER_READ";
    case MoverEvent::close: return "MOVER_CLOSE";
    case MoverEvent::set_record_size: return "MOVER_SET_RECORD_SIZE";
    case MoverEvent::connect: return "MOVER_CONNECT";
    case MoverEvent::peer_connected: return "peer connected";
    case MoverEvent::pause_eom: return "end of medium";
    case MoverEvent::pause_eof: return "end of file";
    case MoverEvent::pause_seek: return "seek outside window";
    case MoverEvent::pause_eow: return "end of window";
    case MoverEvent::connection_closed: return "data connection closed";
    case MoverEvent::connection_error: return "data connection error";
    case MoverEvent::internal_error: return "internal error";
    case MoverEvent::media_error: return "media error";
  }
  return "?mover_event";
}

std::string_view to_string(MoverTransition t) {
  switch (t) {
    case MoverTransition::rejected: return "rejected";
    case MoverTransition::report: return "report";
    case MoverTransition::accept_record_size: return "accept record size";
    case MoverTransition::accept_window: return "accept window";
    case MoverTransition::accept_read: return "accept read";
    case MoverTransition::open_listen: return "open listen";
    case MoverTransition::connect_to_peer: return "connect to peer";
    case MoverTransition::accept_peer: return "accept peer";
    case MoverTransition::pause_for_dma: return "pause for DMA";
    case MoverTransition::pause_media_error: return "pause (media error)";
    case MoverTransition::resume: return "resume";
    case MoverTransition::close_connection: return "close connection";
    case MoverTransition::close_ignored_halted: return "close ignored (already halted)";
    case MoverTransition::finish_connection_closed: return "finish (connection closed)";
    case MoverTransition::abort: return "abort";
    case MoverTransition::abort_ignored_halted: return "abort ignored (already halted)";
    case MoverTransition::fail_connection: return "fail (connection error)";
    case MoverTransition::fail_internal: return "fail (internal error)";
    case MoverTransition::halt_media_error: return "halt (media error)";
    case MoverTransition::stop_reset: return "stop and reset";
  }
  return "?mover_transition";
}

std::optional<MoverEvent> mover_request_for(uint32_t message) {
  for (MoverEvent e : kAllMoverEvents) {
    if (is_request(e) && static_cast<uint32_t>(e) == message) return e;
  }
  return std::nullopt;
}

}  // namespace ndmp::sm

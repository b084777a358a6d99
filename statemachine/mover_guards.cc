#include "statemachine/mover_guards.h"

namespace ndmp::sm {

Error audit_read(int version, MoverMode mode, uint64_t bytes_left_to_read) {
  if (mode != MoverMode::write) return Error::illegal_state;
  if (bytes_left_to_read > 0) return version >= 4 ? Error::read_in_progress : Error::illegal_state;
  return Error::no_err;
}

Error audit_continue(int version, bool window_set_since_pause) {
  if (version >= 4 && !window_set_since_pause) return Error::precondition;
  return Error::no_err;
}

Error audit_listen_mode(uint32_t wire_mode, MoverMode& out) {
  switch (wire_mode) {
    case static_cast<uint32_t>(MoverMode::read): out = MoverMode::read; return Error::no_err;
    case static_cast<uint32_t>(MoverMode::write): out = MoverMode::write; return Error::no_err;
    default: return Error::illegal_args;
  }
}

}  // namespace ndmp::sm

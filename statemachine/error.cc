#include "statemachine/error.h"

namespace ndmp::sm {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::no_err: return "NO_ERR";
    case Error::not_supported: return "NOT_SUPPORTED_ERR";
    case Error::illegal_args: return "ILLEGAL_ARGS_ERR";
    case Error::illegal_state: return "ILLEGAL_STATE_ERR";
    case Error::read_in_progress: return "READ_IN_PROGRESS_ERR";
    case Error::precondition: return "PRECONDITION_ERR";
  }
  return "?error";
}

}  // namespace ndmp::sm

#include "backup/status.h"

namespace ndmp::backup {

const char* to_string(Status::Code code) {
  switch (code) {
    case Status::Code::ok: return "ok";
    case Status::Code::invalid_argument: return "invalid_argument";
    case Status::Code::io_error: return "io_error";
    case Status::Code::connection: return "connection";
    case Status::Code::disk_full: return "disk_full";
    case Status::Code::aborted: return "aborted";
    case Status::Code::corrupt: return "corrupt";
  }
  return "?";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return std::string(backup::to_string(code())) + ": " + text();
}

}  // namespace ndmp::backup

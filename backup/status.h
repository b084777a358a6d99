// Result of a backup-engine operation: OK, or a code plus operator text.
//
// The server maps the code to an NDMP halt reason / error in one table
// (server/ owns that table; this part knows nothing of NDMP numbers):
//   invalid_argument -> ILLEGAL_ARGS (bad environment, path outside export)
//   io_error         -> DATA halt INTERNAL_ERROR (source or destination I/O)
//   connection       -> DATA halt CONNECT_ERROR (the ByteSink/ByteSource failed)
//   disk_full        -> DATA halt INTERNAL_ERROR, reason names the full disk
//   aborted          -> DATA halt ABORTED (cancel() was called)
//   corrupt          -> DATA halt INTERNAL_ERROR (stream is not a readable tar)
// Values are cheap to copy; text is meant for LOG_MESSAGE and GET_STATE logs.
#pragma once

#include <string>
#include <utility>

#include "common/status.h"

namespace ndmp::backup {

enum class StatusCode { ok, invalid_argument, io_error, connection, disk_full, aborted, corrupt };

class [[nodiscard]] Status : public BasicStatus<StatusCode> {
 public:
  using Code = StatusCode;

  Status() = default;  // OK
  static Status Ok() { return {}; }
  static Status invalid_argument(std::string t) { return {Code::invalid_argument, std::move(t)}; }
  static Status io_error(std::string t) { return {Code::io_error, std::move(t)}; }
  static Status connection(std::string t) { return {Code::connection, std::move(t)}; }
  static Status disk_full(std::string t) { return {Code::disk_full, std::move(t)}; }
  static Status aborted(std::string t) { return {Code::aborted, std::move(t)}; }
  static Status corrupt(std::string t) { return {Code::corrupt, std::move(t)}; }

  std::string to_string() const;  // "io_error: cannot open ..." or "ok"

 private:
  Status(Code c, std::string t) : BasicStatus(c, std::move(t)) {}
};

const char* to_string(Status::Code code);

}  // namespace ndmp::backup

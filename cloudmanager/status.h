// A result that carries its reason: ok, or an error with operator text.
// Used by the bridge, the journal and the simulator for start/open/connect
// results (LevelDB's Status, reduced to what this part needs).
#pragma once

#include <string>
#include <utility>

#include "common/status.h"

namespace ndmp::cm {

enum class StatusCode { ok, error };

class [[nodiscard]] Status : public BasicStatus<StatusCode> {
 public:
  static Status Ok() { return Status(); }
  static Status Error(std::string text) { return Status(StatusCode::error, std::move(text)); }

 private:
  Status() = default;
  Status(StatusCode c, std::string text) : BasicStatus(c, std::move(text)) {}
};

}  // namespace ndmp::cm

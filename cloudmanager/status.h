// A result that carries its reason: ok, or an error with operator text.
// Used by the bridge, the journal and the simulator for start/open/connect
// results (LevelDB's Status, reduced to what this part needs).
#pragma once

#include <string>
#include <utility>

namespace ndmp::cm {

class Status {
 public:
  static Status Ok() { return Status(); }
  static Status Error(std::string text) { return Status(std::move(text)); }

  bool ok() const { return !failed_; }
  // Operator text: what failed and why ("connect 192.0.2.7:9000: Connection refused").
  const std::string& text() const { return text_; }

 private:
  Status() = default;
  explicit Status(std::string text) : failed_(true), text_(std::move(text)) {}
  bool failed_ = false;
  std::string text_;
};

}  // namespace ndmp::cm

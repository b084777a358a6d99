// One shape for errors as values, whatever part returns them (LevelDB's and
// Abseil's Status): OK, or a code plus operator text. Each part keeps its own
// code enum (a SCSI category in devices/, a backup outcome in backup/, a bare
// failure in cloudmanager/), because each is mapped to the NDMP error or halt
// reason in one table of its own; what is shared is how a caller asks:
//
//   Status s = drive.rewind();
//   if (!s.ok()) return s;            // ok() always means "is it OK"
//   return Status::Ok();              // the OK value
//
// [[nodiscard]]: a Status nobody looks at is a lost error. Code's zero value
// must be its OK value.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace ndmp {

template <class Code>
class [[nodiscard]] BasicStatus {
  static_assert(std::is_enum_v<Code>, "a status code is an enum whose zero value means OK");

 public:
  BasicStatus() = default;  // OK
  BasicStatus(Code code, std::string text) : code_(code), text_(std::move(text)) {}

  bool ok() const { return code_ == Code{}; }
  explicit operator bool() const { return ok(); }
  Code code() const { return code_; }
  bool is(Code c) const { return code_ == c; }
  // Operator text: what failed and why.
  const std::string& text() const { return text_; }

 private:
  Code code_{};
  std::string text_;
};

// A value, or the Status saying why there is none. value() on a failed
// StatusOr is a programming error (asserted).
template <class T, class S>
class [[nodiscard]] BasicStatusOr {
 public:
  BasicStatusOr(T v) : value_(std::move(v)) {}
  BasicStatusOr(S s) : status_(std::move(s)) { assert(!status_.ok() && "a StatusOr without a value needs a reason"); }

  bool ok() const { return value_.has_value(); }
  const S& status() const { return status_; }
  T& value() & { return assert(ok()), *value_; }
  const T& value() const& { return assert(ok()), *value_; }
  T&& value() && { return assert(ok()), std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  S status_;
  std::optional<T> value_;
};

}  // namespace ndmp

// How an ndmpctl command ends: an exit status and one line naming the cause.
// Errors are values (house rule): every layer returns an Outcome or a
// Result<T>; nothing throws across the command code.
//
// Exit statuses are part of the interface scripts rely on (man/ndmpctl.1,
// EXIT STATUS); numbers are never reused for another meaning.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace ndmp::ctl {

enum class Exit : int {
  ok = 0,
  failure = 1,     // anything else: a local file could not be read or written
  usage = 2,       // bad command line
  connection = 3,  // could not reach, negotiate with or log in to the server
  device = 4,      // the changer or drive refused (NDMP error, SCSI sense)
  job = 5,         // a backup or restore ended without success
  interrupted = 130,  // Ctrl-C during a job: it was aborted (128 + SIGINT, as a shell reports a SIGINT death)
};

struct Outcome {
  Exit exit = Exit::ok;
  std::string text;  // one line for the operator; empty when ok

  bool ok() const { return exit == Exit::ok; }
  static Outcome success() { return {}; }
  static Outcome usage(std::string t) { return {Exit::usage, std::move(t)}; }
  static Outcome connection(std::string t) { return {Exit::connection, std::move(t)}; }
  static Outcome device(std::string t) { return {Exit::device, std::move(t)}; }
  static Outcome job(std::string t) { return {Exit::job, std::move(t)}; }
  static Outcome failure(std::string t) { return {Exit::failure, std::move(t)}; }
  static Outcome interrupted(std::string t) { return {Exit::interrupted, std::move(t)}; }
};

// A value or the Outcome that explains why there is none.
template <class T>
class Result {
 public:
  Result(T v) : value_(std::move(v)) {}
  Result(Outcome o) : outcome_(std::move(o)) {}
  bool ok() const { return value_.has_value(); }
  const Outcome& outcome() const { return outcome_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  T& operator*() { return *value_; }

 private:
  std::optional<T> value_;
  Outcome outcome_;
};

}  // namespace ndmp::ctl

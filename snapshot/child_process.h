// Runs a tool (btrfs, lvcreate, mount...) or a site script as a child
// process: argv only, never a shell string; stdin /dev/null; a fixed PATH
// and C locale; no descriptor of ndmpd's but stdout and stderr; a deadline
// after which the child's process group is killed; at most kMaxOutput bytes
// of each output kept (the rest is read and dropped, so a chatty child never
// blocks on a full pipe).
//
// Threads: blocks the calling thread (a job's data thread, or start-up)
// until the child has exited and been reaped. Call it with no lock held.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ndmp::snapshot {

struct ChildResult {
  bool started = false;   // false: the program could not be run (start_error says why)
  bool timed_out = false;  // killed at the deadline
  int exit_code = -1;      // when it exited by itself
  int signal = 0;          // when a signal ended it
  std::string out, err;    // each at most kMaxOutput bytes
  std::string start_error;
  bool ok() const { return started && !timed_out && signal == 0 && exit_code == 0; }
  // "exit status 3: <last line of stderr>", escaped, for a log line or a LOG message.
  std::string failure_text() const;
};

inline constexpr size_t kMaxOutput = 64 * 1024;

ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds deadline);

// argv as one line for the log, each word escaped.
std::string show_argv(const std::vector<std::string>& argv);

}  // namespace ndmp::snapshot

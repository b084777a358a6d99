// Starting a child program from a test process that has threads running (an
// in-process ndmpd, its sessions and workers). After fork() only
// async-signal-safe calls are allowed in the child; setenv() or building an
// argv there can hang on a lock another thread held at the fork, which
// showed as an ndmjob run that never connected. posix_spawn() does the
// fork-and-exec with everything prepared beforehand.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace ndmp::test {

struct SpawnRequest {
  std::vector<std::string> argv;                            // argv[0] is the program's path
  std::vector<std::pair<std::string, std::string>> env;     // set (or replaced) over ours
  int output_fd = -1;                                       // stdout and stderr go here when >= 0
};

// The child's pid, or -1 with errno set.
pid_t spawn(const SpawnRequest& request);

// What /proc says about a running child, for a test's failure message when it
// did not end in time: which program it is, its state and where it waits.
std::string describe_process(pid_t pid);

}  // namespace ndmp::test

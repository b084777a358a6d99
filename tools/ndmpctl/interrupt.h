// Ctrl-C during a backup or restore. The first SIGINT only raises a flag:
// the job loop (job_run.h) sees it, aborts the server's job (DATA_ABORT,
// MOVER_ABORT), waits for both halts, stops both sides, puts back a tape
// the command loaded, and the command exits with Exit::interrupted (130).
// A second SIGINT leaves at once (status 130) after saying on stderr what
// may be left behind: a job still running on the server, a tape in the
// drive.
//
// Threads: the scope is made and destroyed on the command's thread; the
// handler only stores to a lock-free atomic and calls write(2) and _exit(2),
// which are async-signal-safe.
#pragma once

namespace ndmp::ctl {

class InterruptScope {
 public:
  InterruptScope();   // installs the SIGINT handler, clears the flag
  ~InterruptScope();  // puts the previous handler back
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

// True once Ctrl-C was pressed inside an InterruptScope.
bool interrupt_requested();

}  // namespace ndmp::ctl

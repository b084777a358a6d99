// The DATA and MOVER services of one session.
#pragma once

namespace ndmp::server {

class Session;

struct SessionJobs {
  // True while the MOVER is LISTEN or ACTIVE: the tape belongs to it then.
  bool mover_holds_tape() const { return false; }
  // Halts any running DATA or MOVER operation and waits for its threads.
  // Called when the session ends (the DMA's connection dropped or closed).
  void shutdown(Session& s);
};

}  // namespace ndmp::server

// The real ndmpd binary as a child process, for faults that need a process
// boundary (SIGKILL and restart) or a process to measure (RSS and open file
// descriptors under load). Configured on the command line only (ndmpd.conf
// keys as options), everything under one directory that survives restarts:
//   <dir>/passwd  <dir>/export/  <dir>/state/  <dir>/library/  <dir>/ndmpd.log
//
// Threads: used by the test thread.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/test_server.h"
#include "tools/client/client.h"

namespace ndmp::faults {

struct ChildOptions {
  unsigned drives = 1, slots = 4;
  uint64_t tape_mib = 64;
  std::vector<std::string> extra_args;  // e.g. {"--cloudmanager.address", "127.0.0.1", ...}
  std::vector<std::pair<std::string, std::string>> env;  // set in the child before exec
};

class ChildServer {
 public:
  // Starts ndmpd (path from NDMPD_BINARY, set by CMake) on a free loopback
  // port and waits until it accepts connections. `dir` must exist.
  ChildServer(std::filesystem::path dir, ChildOptions opts);
  ~ChildServer();  // SIGTERM and reap, if still running

  // Starts the process again with the same directory and port.
  bool start();
  // SIGTERM, then waits for the exit; returns the exit status (or -1).
  int stop();
  void kill9();  // SIGKILL and reap

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path export_dir() const { return dir_ / "export"; }
  std::string log_text() const;

  // Logged in with MD5 at `version`; null (with a test failure) if not.
  std::unique_ptr<client::Client> login(int version = 4);

  // /proc figures of the child.
  long rss_kib() const;
  size_t open_fds() const;

 private:
  std::filesystem::path dir_;
  ChildOptions opts_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

using test::free_loopback_port;

}  // namespace ndmp::faults

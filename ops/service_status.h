// The service's status line (`systemctl status ndmpd`: "Status: ..."),
// refreshed when a job starts or ends (poke) and every few seconds for the
// session count, which changes without telling anyone. The periodic
// refresh only keeps a displayed figure fresh; nothing waits on it.
//
// Threads: one of its own, started by start() and joined by stop() or the
// destructor; poke() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "ops/sd_notify.h"

namespace ndmp::ops {

class ServiceStatus {
 public:
  // `line` builds the status text (sessions, jobs); called on the thread.
  ServiceStatus(const SdNotify& notify, std::function<std::string()> line,
                std::chrono::seconds every = std::chrono::seconds(5));
  ~ServiceStatus();

  void start();  // does nothing when systemd is not listening
  void poke();
  void stop();

 private:
  void run();

  const SdNotify& notify_;
  std::function<std::string()> line_;
  std::chrono::seconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ = false, stopping_ = false;
  std::thread thread_;
};

}  // namespace ndmp::ops

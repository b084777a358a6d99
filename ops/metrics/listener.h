// The metrics listener: HTTP/1.x GET /metrics on metrics-listen, answered
// with render()'s text and closed (Connection: close).
//
// Limits (the project's rule: every input has a size limit and a deadline):
// one scrape at a time, on this listener's own thread; a request head of
// at most kMaxRequest bytes; kDeadline for the whole exchange, request and
// answer, after which the connection is dropped. A slow or stuck scraper
// therefore delays the next scrape by at most kDeadline and holds nothing
// else: render() runs before the first byte is written, and no lock is held
// while the socket is read or written.
//
// Threads: start() and stop() from the owner's thread; render() is called
// on the listener's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "server/context/config.h"

namespace ndmp::ops::metrics {

class Listener {
 public:
  static constexpr size_t kMaxRequest = 8192;
  static constexpr std::chrono::seconds kDeadline{10};

  explicit Listener(std::function<std::string()> render) : render_(std::move(render)) {}
  ~Listener();  // stop()

  // Binds and starts the thread; "" or an operator-readable error.
  std::string start(const server::ListenAddress& where);
  void stop();
  uint16_t port() const { return port_; }

 private:
  void run();
  void serve_one(int fd, std::chrono::steady_clock::time_point deadline);

  std::function<std::string()> render_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace ndmp::ops::metrics

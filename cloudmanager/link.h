// One TCP connection to the Cloud Manager carrying one request at a time.
//
// The header has no request id, so a reply is matched by being the next
// frame on the connection and carrying the request's command. A request
// whose reply does not come by its deadline leaves the connection unusable
// (its late reply would answer the next request), so the Link closes itself
// then; the same for a bad frame, a reply to another command, or the peer
// closing. The reason is kept for the caller's log.
//
// Threads: a Link belongs to the one thread that uses it; `wake_fd` lets
// another thread interrupt a wait (the owner decides what a wake-up means).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "cloudmanager/frame.h"
#include "cloudmanager/status.h"
#include "cloudmanager/tcp.h"

namespace ndmp::cm {

enum class Exchange {
  answered,  // `reply` holds the answer (any error code)
  timeout,   // no answer by the deadline; the connection is closed
  closed,    // the connection broke or the peer misbehaved; it is closed
  woken,     // wake_fd fired and `keep_waiting` said stop; the connection is closed
};

class Link {
 public:
  Link(std::string address, uint16_t port, int32_t max_body)
      : address_(std::move(address)), port_(port), max_body_(max_body) {}
  ~Link() { close(); }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  bool open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  Status connect(std::chrono::milliseconds timeout);
  void close();
  // Points the link at another Cloud Manager (a reload changed the
  // address): closes the connection; the next connect() goes there.
  void retarget(std::string address, uint16_t port) {
    close();
    address_ = std::move(address);
    port_ = port;
  }

  // Sends `request` and reads its reply before `deadline`. On a wake-up
  // `keep_waiting` is asked whether to go on waiting. Anything but
  // `answered` closes the connection and sets why().
  template <class KeepWaiting>
  Exchange exchange(const std::string& request, wire::Command command, Clock::time_point deadline,
                    int wake_fd, KeepWaiting keep_waiting, Frame& reply) {
    return exchange_impl(request, command, deadline, wake_fd, &keep_waiting, &call<KeepWaiting>, reply);
  }

  // Reads what arrives unasked (nothing should) without blocking; false when
  // the connection has gone (closed, why() set).
  bool drain_unasked();

  const std::string& why() const { return why_; }
  std::string where() const;

 private:
  template <class F>
  static bool call(void* f) { return (*static_cast<F*>(f))(); }
  Exchange exchange_impl(const std::string& request, wire::Command command, Clock::time_point deadline,
                         int wake_fd, void* keep, bool (*keep_fn)(void*), Frame& reply);
  Exchange fail(Exchange how, std::string why);

  std::string address_;
  uint16_t port_;
  const int32_t max_body_;
  int fd_ = -1;
  FrameBuffer in_{FrameRules{}};
  std::string why_;
};

}  // namespace ndmp::cm

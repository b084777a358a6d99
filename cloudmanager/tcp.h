// Plain TCP for the bridge and the simulator: connect with a timeout, send
// whole buffers, and wait for input or a wake-up. POSIX sockets; no threads
// of its own. Every call that waits takes a deadline and a wake fd (an
// eventfd another thread writes to), so a waiting thread can be stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloudmanager/status.h"

namespace ndmp::cm {

using Clock = std::chrono::steady_clock;

// Connects to host:port (any address getaddrinfo gives, in order) within
// `timeout`. On success `fd` is a connected, non-blocking, TCP_NODELAY socket.
Status tcp_connect(const std::string& host, uint16_t port, std::chrono::milliseconds timeout, int& fd);

// Sends all of `data` before `deadline`; false (with `why`) on error/timeout.
bool send_all(int fd, std::string_view data, Clock::time_point deadline, std::string& why);

enum class Wait { readable, woken, timeout, error };
// Waits until `fd` is readable (fd < 0: never), `wake_fd` is readable, or
// `deadline` passes. Does not consume the wake-up; see drain_wake.
Wait wait_for(int fd, int wake_fd, Clock::time_point deadline);

// eventfd helpers: a counter any thread may bump to wake the waiter.
int make_wake_fd();
void wake(int wake_fd);
void drain_wake(int wake_fd);

// "host:port" of a connected socket's peer, for logs.
std::string peer_name(int fd);

}  // namespace ndmp::cm

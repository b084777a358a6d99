#include "ops/metrics/listener.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/log.h"

namespace ndmp::ops::metrics {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on fd until `deadline`; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

bool send_all(int fd, const std::string& data, Clock::time_point deadline) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_for(fd, POLLOUT, deadline)) return false;
    } else {
      return false;
    }
  }
  return true;
}

std::string response(int code, const char* reason, const std::string& type, const std::string& body) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", code,
                     reason, type, body.size(), body);
}

}  // namespace

Listener::~Listener() { stop(); }

std::string Listener::start(const server::ListenAddress& where) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const bool any = where.host.empty() || where.host == "*";
  if (int rc = ::getaddrinfo(any ? nullptr : where.host.c_str(), std::to_string(where.port).c_str(), &hints, &res); rc)
    return fmt::format("metrics-listen {}: {}", where.host, gai_strerror(rc));
  std::string err = fmt::format("metrics-listen {}:{}: no usable address", where.host, where.port);
  for (addrinfo* ai = res; ai && listen_fd_ < 0; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 8) == 0) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      port_ = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
      listen_fd_ = fd;
    } else {
      err = fmt::format("cannot listen for metrics on {}:{}: {}", where.host, where.port, std::strerror(errno));
      ::close(fd);
    }
  }
  ::freeaddrinfo(res);
  if (listen_fd_ < 0) return err;
  if (::pipe2(wake_, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  thread_ = std::thread([this] { run(); });
  log::info("serving Prometheus metrics on http://{}:{}/metrics", where.host, port_);
  return {};
}

void Listener::stop() {
  if (wake_[1] >= 0) {
    char c = 1;
    [[maybe_unused]] auto w = ::write(wake_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int* fd : {&listen_fd_, &wake_[0], &wake_[1]})
    if (*fd >= 0) ::close(*fd), *fd = -1;
}

void Listener::run() {
  pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  for (;;) {
    if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
    if (p[1].revents) return;
    if (!(p[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    const auto deadline = Clock::now() + kDeadline;  // for the whole exchange
    serve_one(fd, deadline);
    // Closing with unread bytes would reset the connection and could destroy
    // the answer before the scraper reads it: say we are done, and take
    // (a bounded amount of) what it still sends until it closes too.
    ::shutdown(fd, SHUT_WR);
    char sink[4096];
    for (size_t taken = 0; taken < 16 * kMaxRequest;) {
      const ssize_t n = ::recv(fd, sink, sizeof sink, 0);
      if (n > 0) taken += static_cast<size_t>(n);
      else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && wait_for(fd, POLLIN, deadline)) continue;
      else break;
    }
    ::close(fd);
  }
}

void Listener::serve_one(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string head;
  char buf[1024];
  while (head.find("\r\n\r\n") == std::string::npos && head.find("\n\n") == std::string::npos) {
    if (head.size() >= kMaxRequest) {
      send_all(fd, response(431, "Request Header Fields Too Large", "text/plain", "request too large\n"), deadline);
      return;
    }
    const ssize_t n = ::recv(fd, buf, std::min(sizeof buf, kMaxRequest - head.size()), 0);
    if (n > 0) {
      head.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_for(fd, POLLIN, deadline)) return;  // too slow: dropped without an answer
    } else {
      return;  // closed or failed before a whole request
    }
  }
  const std::string line = head.substr(0, head.find_first_of("\r\n"));
  const auto sp1 = line.find(' ');
  const auto sp2 = line.find(' ', sp1 == std::string::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos || line.compare(sp2 + 1, 5, "HTTP/") != 0) {
    send_all(fd, response(400, "Bad Request", "text/plain", "expected GET /metrics HTTP/1.1\n"), deadline);
    return;
  }
  const std::string method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD") {
    send_all(fd, response(405, "Method Not Allowed", "text/plain", "only GET\n"), deadline);
  } else if (target != "/metrics") {
    send_all(fd, response(404, "Not Found", "text/plain", "metrics are at /metrics\n"), deadline);
  } else {
    std::string r = response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", render_());
    if (method == "HEAD") r.resize(r.find("\r\n\r\n") + 4);
    send_all(fd, r, deadline);
  }
}

}  // namespace ndmp::ops::metrics

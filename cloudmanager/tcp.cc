#include "cloudmanager/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ndmp::cm {
namespace {

int ms_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 24LL * 3600 * 1000));
}

}  // namespace

Status tcp_connect(const std::string& host, uint16_t port, std::chrono::milliseconds timeout, int& fd) {
  fd = -1;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
    return Status::Error(fmt::format("resolve {}: {}", host, ::gai_strerror(rc)));
  const auto deadline = Clock::now() + timeout;
  std::string last = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    const int s = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (s < 0) {
      last = std::strerror(errno);
      continue;
    }
    int err = 0;
    if (::connect(s, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        err = errno;
      } else {
        pollfd p{s, POLLOUT, 0};
        const int n = ::poll(&p, 1, ms_until(deadline));
        if (n == 0) {
          err = ETIMEDOUT;
        } else {
          socklen_t len = sizeof err;
          if (::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
    }
    if (err == 0) {
      const int one = 1;
      ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
      fd = s;
      ::freeaddrinfo(res);
      return Status::Ok();
    }
    last = std::strerror(err);
    ::close(s);
  }
  ::freeaddrinfo(res);
  return Status::Error(fmt::format("connect {}:{}: {}", host, port, last));
}

bool send_all(int fd, std::string_view data, Clock::time_point deadline, std::string& why) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, ms_until(deadline)) == 0) {
        why = "send timed out";
        return false;
      }
      continue;
    }
    why = fmt::format("send: {}", std::strerror(errno));
    return false;
  }
  return true;
}

Wait wait_for(int fd, int wake_fd, Clock::time_point deadline) {
  for (;;) {
    pollfd p[2] = {{wake_fd, POLLIN, 0}, {fd, POLLIN, 0}};
    const int n = ::poll(p, fd >= 0 ? 2 : 1, ms_until(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Wait::error;
    if (n == 0) return Wait::timeout;
    if (p[0].revents) return Wait::woken;
    return Wait::readable;  // includes POLLHUP/POLLERR: the read says which
  }
}

int make_wake_fd() { return ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void wake(int wake_fd) {
  const uint64_t one = 1;
  if (::write(wake_fd, &one, sizeof one) < 0) {
    // Counter saturated or fd closed: either way the waiter is already awake.
  }
}

void drain_wake(int wake_fd) {
  uint64_t v;
  while (::read(wake_fd, &v, sizeof v) > 0) {
  }
}

std::string peer_name(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "?";
  return fmt::format("{}:{}", host, serv);
}

}  // namespace ndmp::cm

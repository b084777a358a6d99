#include "cloudmanager/link.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/log.h"

namespace ndmp::cm {

Status Link::connect(std::chrono::milliseconds timeout) {
  close();
  int fd = -1;
  if (Status s = tcp_connect(address_, port_, timeout, fd); !s.ok()) {
    why_ = s.text();
    return s;
  }
  fd_ = fd;
  in_ = FrameBuffer(FrameRules{wire::MessageDirection_CloudManagerToStreamer, max_body_});
  why_.clear();
  return Status::Ok();
}

void Link::close() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
}

std::string Link::where() const { return fmt::format("{}:{}", address_, port_); }

Exchange Link::fail(Exchange how, std::string why) {
  why_ = std::move(why);
  close();
  return how;
}

Exchange Link::exchange_impl(const std::string& request, wire::Command command, Clock::time_point deadline,
                             int wake_fd, void* keep, bool (*keep_fn)(void*), Frame& reply) {
  if (fd_ < 0) return Exchange::closed;
  std::string why;
  if (!send_all(fd_, request, deadline, why)) return fail(Exchange::closed, why);
  for (;;) {
    switch (in_.next(reply, why)) {
      case DecodeStatus::complete:
        if (reply.header.command != command)
          return fail(Exchange::closed, fmt::format("reply {} to request {}", wire::Command_Name(reply.header.command),
                                                    wire::Command_Name(command)));
        return Exchange::answered;
      case DecodeStatus::bad: return fail(Exchange::closed, fmt::format("bad frame from the Cloud Manager: {}", why));
      case DecodeStatus::need_more: break;
    }
    const Wait w = wait_for(fd_, wake_fd, deadline);
    if (w == Wait::woken) {
      drain_wake(wake_fd);
      if (!keep_fn(keep)) return fail(Exchange::woken, "stopping");
      continue;
    }
    if (w == Wait::timeout) return fail(Exchange::timeout, fmt::format("no reply to {}", wire::Command_Name(command)));
    if (w == Wait::error) return fail(Exchange::closed, "poll failed");
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return fail(Exchange::closed, "the Cloud Manager closed the connection");
    } else if (errno != EAGAIN && errno != EINTR) {
      return fail(Exchange::closed, fmt::format("recv: {}", std::strerror(errno)));
    }
  }
}

bool Link::drain_unasked() {
  if (fd_ < 0) return false;
  char buf[4096];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n == 0) {
    fail(Exchange::closed, "the Cloud Manager closed the connection");
    return false;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return true;
    fail(Exchange::closed, fmt::format("recv: {}", std::strerror(errno)));
    return false;
  }
  in_.append(buf, static_cast<std::size_t>(n));
  Frame f;
  std::string why;
  for (;;) {
    const DecodeStatus s = in_.next(f, why);
    if (s == DecodeStatus::need_more) return true;
    if (s == DecodeStatus::bad) {
      fail(Exchange::closed, fmt::format("bad frame from the Cloud Manager: {}", why));
      return false;
    }
    ndmp::log::warn("cloud manager {} sent {} unasked; ignored", where(), wire::Command_Name(f.header.command));
  }
}

}  // namespace ndmp::cm

#include "ops/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace ndmp::ops {

SdNotify::SdNotify() : SdNotify([] {
  const char* s = std::getenv("NOTIFY_SOCKET");
  return std::string(s ? s : "");
}()) {}

SdNotify::SdNotify(std::string socket_path) : path_(std::move(socket_path)) {
  // Only a path or an abstract name ('@'); systemd 252 (Debian 12) sends no other form.
  if (path_.empty() || path_.size() >= sizeof(sockaddr_un::sun_path) || (path_[0] != '/' && path_[0] != '@')) return;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

SdNotify::~SdNotify() {
  if (fd_ >= 0) ::close(fd_);
}

bool SdNotify::send(std::string_view state) const {
  if (fd_ < 0) return false;
  sockaddr_un to{};
  to.sun_family = AF_UNIX;
  std::memcpy(to.sun_path, path_.data(), path_.size());
  if (path_[0] == '@') to.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size());
  // Never blocks: a status line systemd has not read yet is not worth stalling for.
  return ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to), len) ==
         static_cast<ssize_t>(state.size());
}

}  // namespace ndmp::ops

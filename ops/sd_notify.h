// Tells systemd how the service is doing (Type=notify): READY=1 once the
// listen sockets are bound, STATUS=<one line> for `systemctl status`,
// RELOADING=1 / READY=1 around a reload, STOPPING=1 on the way out.
//
// Speaks the documented NOTIFY_SOCKET datagram protocol (sd_notify(3),
// "NOTIFY_SOCKET" in systemd.exec(5)) itself rather than linking
// libsystemd: twenty lines, no new library in the daemon's address space,
// and the same binary runs where libsystemd is absent (containers). Without
// NOTIFY_SOCKET (not started by systemd) every call does nothing.
//
// Thread-safe: each call is one sendto on a socket opened at construction.
#pragma once

#include <string>
#include <string_view>

namespace ndmp::ops {

class SdNotify {
 public:
  SdNotify();  // reads NOTIFY_SOCKET
  explicit SdNotify(std::string socket_path);  // tests: "" = off, "@name" = abstract
  ~SdNotify();
  SdNotify(const SdNotify&) = delete;
  SdNotify& operator=(const SdNotify&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // Sends "KEY=value" lines (newline-separated); false when off or refused.
  bool send(std::string_view state) const;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace ndmp::ops

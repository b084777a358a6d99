#include "tests/interop/tshark_capture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

namespace ndmp::test {
namespace {

constexpr auto kDeadline = std::chrono::seconds(60);
constexpr auto kProbeEvery = std::chrono::milliseconds(200);
constexpr const char* kMarker = "ndmpd-capture-end";

bool on_path(const std::string& prog) {
  std::istringstream path(::getenv("PATH") ? ::getenv("PATH") : "/usr/bin:/bin");
  for (std::string dir; std::getline(path, dir, ':');)
    if (::access((dir + "/" + prog).c_str(), X_OK) == 0) return true;
  return false;
}

// Reads from `fd` into `into` until `done(into)` or the deadline or EOF.
template <class Done>
bool read_until(int fd, std::string& into, std::chrono::steady_clock::time_point deadline, Done done) {
  char buf[8192];
  while (!done(into)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    into.append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == '\t') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// A UDP socket bound to an ephemeral port of lo; -1 on failure.
int bind_udp(uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  port = ntohs(a.sin_port);
  return fd;
}

void send_to(int fd, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  EXPECT_GT(::sendto(fd, kMarker, strlen(kMarker), 0, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
}

}  // namespace

bool enter_private_loopback(std::string& why) {
  if (::unshare(CLONE_NEWNET) != 0) {
    why = std::string("cannot make a network namespace of its own (needs root): ") + strerror(errno);
    return false;
  }
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = fd >= 0 && ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  up = up && ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  if (!up) why = std::string("cannot bring up lo in the new namespace: ") + strerror(errno);
  if (fd >= 0) ::close(fd);
  return up;
}

TsharkCapture::~TsharkCapture() { stop(); }

bool TsharkCapture::start(uint16_t ndmp_port, std::string& why) {
  if (!on_path("tshark")) {
    why = "tshark is not installed (apt-get install tshark)";
    return false;
  }
  marker_ = bind_udp(marker_port_);
  probe_ = bind_udp(probe_port_);
  if (marker_ < 0 || probe_ < 0) {
    why = std::string("cannot bind the marker sockets: ") + strerror(errno);
    return false;
  }
  const std::string p = std::to_string(ndmp_port), m = std::to_string(marker_port_),
                    q = std::to_string(probe_port_);
  const std::vector<std::string> args = {
      "tshark", "-l", "-n", "-i", "lo", "-f", "tcp port " + p + " or udp port " + m + " or udp port " + q, "-d", "tcp.port==" + p + ",ndmp",
      "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "udp.dstport", "-e", "ndmp.msg", "-e",
      "ndmp.msg_type", "-e", "_ws.malformed", "-e", "_ws.expert.message", "-e", "frame.protocols"};
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    why = "pipe failed";
    return false;
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> argv;
    for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    ::execvp("tshark", argv.data());
    _exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  out_ = out[0];
  err_ = err[0];
  // tshark says so on stderr once dumpcap has the interface open and filtered.
  std::string text;
  const bool capturing = read_until(err_, text, std::chrono::steady_clock::now() + kDeadline,
                                    [](const std::string& t) { return t.find("Capturing on") != std::string::npos; });
  if (!capturing) {
    why = "tshark cannot capture on lo here: " + text;
    stop();
    return false;
  }
  // "Capturing on" can come before dumpcap receives packets: probe until a
  // probe comes back decoded. Each probe waits kProbeEvery for its line; the
  // job starts only after one did, so no packet of it can be missed.
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  const std::string probe = std::to_string(probe_port_);
  while (std::chrono::steady_clock::now() < deadline) {
    send_to(probe_, probe_port_);
    const auto until = std::min(deadline, std::chrono::steady_clock::now() + kProbeEvery);
    while (read_until(out_, pending_, until, [](const std::string& t) { return t.find('\n') != std::string::npos; })) {
      const size_t nl = pending_.find('\n');
      const std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      if (split_tabs(line)[0] == probe) return true;
    }
  }
  why = "tshark never decoded a probe packet within " + std::to_string(kDeadline.count()) + " s";
  stop();
  return false;
}

std::vector<DecodedPacket> TsharkCapture::finish() {
  std::vector<DecodedPacket> packets;
  send_to(marker_, marker_port_);
  const std::string port = std::to_string(marker_port_);
  bool seen = false;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!seen) {
    if (!read_until(out_, pending_, deadline, [](const std::string& t) { return t.find('\n') != std::string::npos; })) {
      ADD_FAILURE() << "tshark did not decode the end marker within " << kDeadline.count() << " s";
      break;
    }
    size_t nl;
    while (!seen && (nl = pending_.find('\n')) != std::string::npos) {
      const std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      auto f = split_tabs(line);
      f.resize(6);
      if (f[0] == port) {
        seen = true;
        break;
      }
      if (f[0] == std::to_string(probe_port_)) continue;  // a late start probe
      packets.push_back({f[1], f[2], f[3], f[4], f[5]});
    }
  }
  stop();
  return packets;
}

void TsharkCapture::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  for (int* fd : {&out_, &err_, &marker_, &probe_})
    if (*fd >= 0) ::close(*fd), *fd = -1;
}

}  // namespace ndmp::test

#include "tests/faults/child_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "tests/faults/fault_rig.h"
#include "tests/support/spawn.h"

namespace ndmp::faults {

ChildServer::ChildServer(std::filesystem::path dir, ChildOptions opts) : dir_(std::move(dir)), opts_(std::move(opts)) {
  {
    std::ofstream pw(dir_ / "passwd");
    pw << test::kUser << ":" << test::kPassword << "\n";
  }
  ::chmod((dir_ / "passwd").c_str(), 0600);
  std::filesystem::create_directories(dir_ / "export");
  std::filesystem::create_directories(dir_ / "state");
  port_ = free_loopback_port();
  start();
}

ChildServer::~ChildServer() {
  if (running()) stop();
}

bool ChildServer::start() {
  std::vector<std::string> args = {
      NDMPD_BINARY,
      "--listen", "127.0.0.1:" + std::to_string(port_),
      "--password-file", (dir_ / "passwd").string(),
      "--export", (dir_ / "export").string(),
      "--state-dir", (dir_ / "state").string(),
      "--library", (dir_ / "library").string(),
      "--library-drives", std::to_string(opts_.drives),
      "--library-slots", std::to_string(opts_.slots),
      "--library-tape-size", std::to_string(opts_.tape_mib),
      "--log-file", (dir_ / "ndmpd.log").string(),
      "--auth", "md5",
  };
  for (const auto& a : opts_.extra_args) args.push_back(a);

  // Ready when ndmpd says so: it sends READY=1 to $NOTIFY_SOCKET once it
  // listens, as it does for systemd (ops/sd_notify.h). Waiting on that
  // datagram and on the child's pidfd needs no polling of the port.
  const auto sock_path = dir_ / "notify.sock";
  std::filesystem::remove(sock_path);
  const int notify = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sp = sock_path.string();
  if (notify < 0 || sp.size() >= sizeof addr.sun_path) {
    ADD_FAILURE() << "cannot make the notify socket " << sp;
    if (notify >= 0) ::close(notify);
    return false;
  }
  std::memcpy(addr.sun_path, sp.c_str(), sp.size() + 1);
  if (::bind(notify, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ADD_FAILURE() << "bind " << sp << ": " << std::strerror(errno);
    ::close(notify);
    return false;
  }
  test::SpawnRequest req;
  req.argv = std::move(args);
  req.env = opts_.env;
  req.env.emplace_back("NOTIFY_SOCKET", sp);
  pid_ = test::spawn(req);
  if (pid_ < 0) {
    ADD_FAILURE() << "cannot start " << req.argv[0] << ": " << std::strerror(errno);
    ::close(notify);
    return false;
  }
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool ready = false, exited = false;
  while (!ready && !exited) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p[2] = {{notify, POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (::poll(p, pidfd >= 0 ? 2 : 1, static_cast<int>(left.count())) <= 0) continue;
    if (p[1].revents & POLLIN) exited = true;
    if (p[0].revents & POLLIN) {
      char buf[512];
      const ssize_t n = ::recv(notify, buf, sizeof buf, 0);
      if (n > 0 && std::string_view(buf, static_cast<size_t>(n)).find("READY=1") != std::string_view::npos) ready = true;
    }
  }
  ::close(notify);  // later STATUS= datagrams fail at ndmpd's side, which it ignores
  if (pidfd >= 0) ::close(pidfd);
  std::filesystem::remove(sock_path);
  if (ready) return true;
  int status = 0;
  if (exited || ::waitpid(pid_, &status, WNOHANG) == pid_) {
    if (exited) ::waitpid(pid_, &status, 0);
    pid_ = -1;
    ADD_FAILURE() << "ndmpd exited at start (status " << status << "): " << log_text();
    return false;
  }
  ADD_FAILURE() << "ndmpd did not report READY within 60 s; " << test::describe_process(pid_) << "\n" << log_text();
  return false;
}

int ChildServer::stop() {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ChildServer::kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ChildServer::log_text() const { return slurp(dir_ / "ndmpd.log"); }

std::unique_ptr<client::Client> ChildServer::login(int version) {
  auto c = std::make_unique<client::Client>();
  std::string err = c->connect("127.0.0.1", port_);
  if (err.empty()) err = c->open(version);
  if (err.empty()) err = c->auth_md5(test::kUser, test::kPassword);
  if (!err.empty()) {
    ADD_FAILURE() << "login to the ndmpd child: " << err;
    return nullptr;
  }
  return c;
}

long ChildServer::rss_kib() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

size_t ChildServer::open_fds() const {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

}  // namespace ndmp::faults

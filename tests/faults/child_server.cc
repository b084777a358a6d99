#include "tests/faults/child_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/faults/fault_rig.h"

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
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    for (const auto& [k, v] : opts_.env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (pid_ < 0) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    return false;
  }
  // Ready when it accepts a connection and greets (a state, polled).
  for (int i = 0; i < 1000; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << "ndmpd exited at start (status " << status << "): " << log_text();
      return false;
    }
    client::Client c;
    if (c.connect("127.0.0.1", port_).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "ndmpd did not accept connections within 10 s";
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

#include "tests/support/test_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>

namespace ndmp::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ndmpd-test-XXXXXX").string();
  char* p = ::mkdtemp(tmpl.data());
  if (!p) throw std::runtime_error("mkdtemp failed");
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestServer::TestServer(std::function<void(server::Config&)> tune, std::function<void(server::Server&)> before_start) {
  server::Config cfg;
  cfg.listen = {{"127.0.0.1", 0}};
  cfg.password_file = (dir() / "passwd").string();
  {
    std::ofstream pw(cfg.password_file);
    pw << kUser << ":" << kPassword << "\n";
  }
  ::chmod(cfg.password_file.c_str(), 0600);
  std::filesystem::create_directories(dir() / "export");
  cfg.exports = {(dir() / "export").string()};
  cfg.state_dir = (dir() / "state").string();
  cfg.allow_auth_text = true;
  if (tune) tune(cfg);
  server_ = std::make_unique<server::Server>(cfg);
  if (before_start) before_start(*server_);
  std::string err = server_->start();
  if (!err.empty()) throw std::runtime_error("test server did not start: " + err);
  port_ = server_->bound_ports().at(0);
  thread_ = std::thread([this] { server_->serve(); });
}

TestServer::~TestServer() {
  server_->stop();
  thread_.join();
  server_.reset();
}

std::unique_ptr<client::Client> TestServer::login(int version) {
  auto c = std::make_unique<client::Client>();
  std::string err = c->connect("127.0.0.1", port_);
  if (err.empty()) err = c->open(version);
  if (err.empty()) err = c->auth_md5(kUser, kPassword);
  if (!err.empty()) {
    ADD_FAILURE() << "login at v" << version << ": " << err;
    return nullptr;
  }
  return c;
}

uint16_t free_loopback_port() {
  // Bound on every address (a child such as ndmjob's test daemon binds
  // 0.0.0.0) and taken below the kernel's ephemeral range (32768 and up by
  // default): an ephemeral port can be handed to any outgoing connection of
  // a test running beside this one between our close() and the child's
  // bind(), a port outside that range only to another explicit binder.
  static std::atomic<uint32_t> next{static_cast<uint32_t>(::getpid()) * 7919u};
  for (int tries = 0; tries < 4096; ++tries) {
    const uint16_t port = static_cast<uint16_t>(20000 + next.fetch_add(1) % 12000);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(port);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return port;
  }
  return 0;
}

}  // namespace ndmp::test

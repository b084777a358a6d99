// An ndmpd built through the composition root, serving on an ephemeral
// loopback port inside the test process, with its own temporary password
// file, export directory and (optionally) emulated library.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "server/root/server.h"
#include "tools/client/client.h"

namespace ndmp::test {

inline constexpr const char* kUser = "ndmp";
inline constexpr const char* kPassword = "s3cret-Pass";

// A fresh temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class TestServer {
 public:
  // `tune` may change the configuration before start (auth types, exports...);
  // `before_start` sees the built Server just before start() (observers).
  explicit TestServer(std::function<void(server::Config&)> tune = {},
                      std::function<void(server::Server&)> before_start = {});
  ~TestServer();

  uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  server::Server& server() { return *server_; }
  // Blocks until every session has ended and released what it held: after a
  // client closed its connection, the server's side ends asynchronously.
  void wait_until_no_sessions() { server_->wait_sessions_at_most(0); }

  // A client connected, opened at `version` and logged in with MD5.
  std::unique_ptr<client::Client> login(int version);

 private:
  TempDir dir_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

// A loopback port nobody listens on now (bound, then closed): for a child
// server to listen on, or as an address that refuses connections.
uint16_t free_loopback_port();

}  // namespace ndmp::test

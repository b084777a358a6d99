#include "tests/ops/service_rig.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "ops/metrics/collect.h"

namespace ndmp::test {

int connect_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

Http http(uint16_t port, const std::string& request) {
  Http h;
  int fd = connect_loopback(port);
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) all.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const auto split = all.find("\r\n\r\n");
  if (split == std::string::npos) return h;
  h.head = all.substr(0, split);
  h.body = all.substr(split + 4);
  if (h.head.rfind("HTTP/1.1 ", 0) == 0) h.status = std::stoi(h.head.substr(9, 3));
  return h;
}

ParsedMetrics scrape(uint16_t port) {
  const Http h = http(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(h.status, 200) << h.head;
  EXPECT_NE(h.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << h.head;
  auto m = parse_exposition(h.body);
  EXPECT_TRUE(m.problems.empty()) << ::testing::PrintToString(m.problems) << "\n" << h.body;
  return m;
}

void write_file(const faults::fs::path& p, const std::string& text, mode_t mode) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), mode);
}

Service::Service(std::function<void(server::Config&)> tune)
    : rig{{1, 4, 64},
          [tune](server::Config& c) {
            c.cm_progress_interval = std::chrono::milliseconds(0);  // every chunk: the counters move
            if (tune) tune(c);
          },
          [this](server::Server& s) { s.observe_jobs(observer); }},
      metrics{[this] {
        auto& s = rig.server().server();
        return ops::metrics::render({&s.context(), &observer, s.bridge()});
      }} {
  EXPECT_EQ(metrics.start({"127.0.0.1", 0}), "");
  write_conf("");
}

void Service::write_conf(const std::string& extra, const std::string& cloudmanager) {
  write_file(conf, "password-file = " + (dir / "passwd").string() + "\nexport = " + (dir / "export").string() +
                       "\nauth = md5,text\n" + cloudmanager + extra,
             0644);
}

ops::ReloadOutcome Service::reload() {
  const std::string c = conf.string();
  const char* argv[] = {"ndmpd", "--config", c.c_str()};
  return ops::reload(rig.server().server(), 3, argv);
}

std::string Service::login_error(const std::string& user, const std::string& password) {
  client::Client c;
  std::string err = c.connect("127.0.0.1", rig.server().port());
  if (err.empty()) err = c.open(4);
  if (err.empty()) err = c.auth_md5(user, password);
  return err;
}

}  // namespace ndmp::test

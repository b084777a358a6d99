// MOVER_CONNECT and DATA_CONNECT open TCP connections where the DMA says.
// Without a rule a DMA could probe this host's ports (error 0 against 23),
// send bytes of its choosing to a local service and read the answer back
// from tape (issue 15, item 5). data-connect-allow is the rule
// (server/context/connect_policy.h): a refused address is NDMP_ILLEGAL_ARGS_ERR
// before any connection is tried, open port or not, and logged.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "fmt/format.h"
#include "server/datapath/channel.h"
#include "server/context/connect_policy.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace code = msg::code;
using msg::Error;

// A TCP listener that can tell whether anyone connected to it.
class Listener {
 public:
  explicit Listener(uint32_t ip, uint16_t port = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(ip);
    a.sin_port = htons(port);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(a.sin_port);
  }
  ~Listener() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  uint16_t port() const { return port_; }
  // True if a connection waits in the accept queue within `ms`.
  bool contacted(int ms = 300) const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

constexpr uint32_t kLoopback = 0x7f000001;

// A port on `ip` where nothing listens (bound, then closed).
uint16_t closed_port(uint32_t ip) {
  Listener l(ip);
  return l.port();
}

// A non-loopback IPv4 address of this host, if it has one.
std::optional<uint32_t> non_loopback_address() {
  for (uint32_t ip : server::local_ipv4_addresses())
    if ((ip >> 24) != 127) return ip;
  return std::nullopt;
}

msg::Addr tcp(uint32_t ip, uint16_t port) {
  msg::Addr a;
  a.type = msg::AddrType::tcp;
  a.tcp.push_back({ip, port, {}});
  return a;
}

Error data_connect(client::Client& c, uint32_t ip, uint16_t port) {
  msg::DataConnectRequest r;
  r.addr = tcp(ip, port);
  return c.call(code::DATA_CONNECT, r).error();
}

// Loads slot 1000 into drive 500, opens emu-drive0 read/write and sets a
// record size: what MOVER_CONNECT needs before it looks at the address.
void prepare_mover(client::Client& c) {
  msg::ScsiOpenRequest so;
  so.device = "emu-changer";
  ASSERT_EQ(c.call(code::SCSI_OPEN, so).error(), Error::no_err);
  msg::ExecuteCdbRequest cdb;
  cdb.cdb = {0xA5, 0, 0, 1, 0x03, 0xE8, 0x01, 0xF4, 0, 0, 0, 0};
  ASSERT_EQ(c.call(code::SCSI_EXECUTE_CDB, cdb).as<msg::ExecuteCdbReply>().status, 0);
  ASSERT_EQ(c.call(code::SCSI_CLOSE).error(), Error::no_err);
  msg::TapeOpenRequest o;
  o.device = "emu-drive0";
  o.mode = msg::TapeOpenMode::rdwr;
  ASSERT_EQ(c.call(code::TAPE_OPEN, o).error(), Error::no_err);
  msg::MoverSetRecordSizeRequest rs;
  rs.len = 32768;
  ASSERT_EQ(c.call(code::MOVER_SET_RECORD_SIZE, rs).error(), Error::no_err);
}

Error mover_connect(client::Client& c, uint32_t ip, uint16_t port) {
  msg::MoverConnectRequest r;
  r.mode = msg::MoverMode::read;
  r.addr = tcp(ip, port);
  return c.call(code::MOVER_CONNECT, r).error();
}

void allow_only_elsewhere(server::Config& c) {
  with_library(c);
  c.data_connect_allow = std::vector<server::Ipv4Net>{{0xc6336400, 24}};  // 198.51.100.0/24
}

class DataConnect : public ::testing::TestWithParam<int> {};

// Outside data-connect-allow: the same error for an open and a closed port,
// and the open one never sees a connection.
TEST_P(DataConnect, RefusedAddressAnswersTheSameForOpenAndClosedPortsAndSendsNothing) {
  test::TestServer server{allow_only_elsewhere};
  auto c = server.login(GetParam());
  ASSERT_TRUE(c);
  Listener open(kLoopback);
  ASSERT_TRUE(open.ok());
  const uint16_t closed = closed_port(kLoopback);
  LogCapture log;
  EXPECT_EQ(data_connect(*c, kLoopback, open.port()), Error::illegal_args) << "DATA_CONNECT to an open port";
  EXPECT_EQ(data_connect(*c, kLoopback, closed), Error::illegal_args) << "DATA_CONNECT to a closed port";
  EXPECT_FALSE(open.contacted()) << "DATA_CONNECT reached the listener";
  EXPECT_TRUE(log.contains(fmt::format("DATA_CONNECT to 127.0.0.1:{} refused", open.port()))) << log.text();

  prepare_mover(*c);
  EXPECT_EQ(mover_connect(*c, kLoopback, open.port()), Error::illegal_args) << "MOVER_CONNECT to an open port";
  EXPECT_EQ(mover_connect(*c, kLoopback, closed), Error::illegal_args) << "MOVER_CONNECT to a closed port";
  EXPECT_FALSE(open.contacted()) << "MOVER_CONNECT reached the listener";
  EXPECT_TRUE(log.contains(fmt::format("MOVER_CONNECT to 127.0.0.1:{} refused", closed))) << log.text();
}

// The default rule never connects to a port below 1024, even for a DMA on
// this host: no NDMP peer listens there, system services do.
TEST_P(DataConnect, DefaultRefusesPrivilegedPorts) {
  test::TestServer server{with_library};
  auto c = server.login(GetParam());
  ASSERT_TRUE(c);
  std::unique_ptr<Listener> open;
  for (uint16_t p = 1023; p > 900 && !(open && open->ok()); --p) open = std::make_unique<Listener>(kLoopback, p);
  if (!open->ok()) GTEST_SKIP() << "SKIPPED: cannot bind a port below 1024 (not root)";
  LogCapture log;
  EXPECT_EQ(data_connect(*c, kLoopback, open->port()), Error::illegal_args);
  EXPECT_FALSE(open->contacted());
  prepare_mover(*c);
  EXPECT_EQ(mover_connect(*c, kLoopback, open->port()), Error::illegal_args);
  EXPECT_FALSE(open->contacted());
  EXPECT_TRUE(log.contains("a privileged port")) << log.text();
}

// A DMA elsewhere on the network may not aim the server at this host's own
// services (loopback or its other addresses). Run with the DMA reaching the
// server on a non-loopback address of this host.
TEST_P(DataConnect, DefaultRefusesThisHostsAddressesForADmaNotOnLoopback) {
  const auto here = non_loopback_address();
  if (!here) GTEST_SKIP() << "SKIPPED: this host has no IPv4 address besides loopback";
  const std::string here_text = server::ipv4_text(*here);
  test::TestServer server{[&](server::Config& c) {
    with_library(c);
    c.listen = {{here_text, 0}};
  }};
  auto c = std::make_unique<client::Client>();
  ASSERT_EQ(c->connect(here_text, server.port()), "");
  ASSERT_EQ(c->open(GetParam()), "");
  ASSERT_EQ(c->auth_md5(test::kUser, test::kPassword), "");
  Listener on_loopback(kLoopback), on_here(*here);
  ASSERT_TRUE(on_loopback.ok() && on_here.ok());
  LogCapture log;
  EXPECT_EQ(data_connect(*c, kLoopback, on_loopback.port()), Error::illegal_args);
  EXPECT_EQ(data_connect(*c, kLoopback, closed_port(kLoopback)), Error::illegal_args);
  EXPECT_EQ(data_connect(*c, *here, on_here.port()), Error::illegal_args);
  EXPECT_EQ(data_connect(*c, *here, closed_port(*here)), Error::illegal_args);
  EXPECT_EQ(data_connect(*c, 0, on_loopback.port()), Error::illegal_args) << "0.0.0.0 is this host too";
  EXPECT_FALSE(on_loopback.contacted());
  EXPECT_FALSE(on_here.contacted());
  EXPECT_TRUE(log.contains("an address of this host")) << log.text();
}

// The default still serves a DMA on this host (ndmjob's three-way jobs, two
// servers on one machine): loopback data connections go through.
TEST_P(DataConnect, DefaultAllowsLoopbackForADmaOnLoopback) {
  test::TestServer server{with_library};
  auto c = server.login(GetParam());
  ASSERT_TRUE(c);
  Listener open(kLoopback);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(data_connect(*c, kLoopback, open.port()), Error::no_err);
  EXPECT_TRUE(open.contacted(2000));
}

INSTANTIATE_TEST_SUITE_P(Versions, DataConnect, ::testing::Values(3, 4),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

// The rule itself, for the cases a loopback test cannot reach.
TEST(DataConnectRule, DefaultAndConfiguredLists) {
  using server::data_connect_refusal;
  const std::vector<uint32_t> local = {0x7f000001, 0xc0000202};  // 127.0.0.1, 192.0.2.2
  const std::optional<std::vector<server::Ipv4Net>> dflt;
  const uint32_t remote = 0xcb007105;  // 203.0.113.5
  EXPECT_EQ(data_connect_refusal(remote, 40000, dflt, false, local), "");
  EXPECT_NE(data_connect_refusal(remote, 22, dflt, false, local), "");
  EXPECT_NE(data_connect_refusal(remote, 0, dflt, true, local), "");
  EXPECT_NE(data_connect_refusal(0x7f000001, 40000, dflt, false, local), "");
  EXPECT_NE(data_connect_refusal(0x7f0000fe, 40000, dflt, false, local), "") << "all of 127/8";
  EXPECT_NE(data_connect_refusal(0xc0000202, 40000, dflt, false, local), "");
  EXPECT_NE(data_connect_refusal(0, 40000, dflt, false, local), "");
  EXPECT_EQ(data_connect_refusal(0x7f000001, 40000, dflt, true, local), "");
  EXPECT_EQ(data_connect_refusal(0xc0000202, 40000, dflt, true, local), "");
  EXPECT_NE(data_connect_refusal(0xe0000001, 40000, dflt, true, local), "") << "multicast";
  EXPECT_NE(data_connect_refusal(0xffffffff, 40000, dflt, true, local), "") << "broadcast";

  server::Ipv4Net net;
  ASSERT_TRUE(server::parse_ipv4_net("10.1.0.0/16", net));
  const std::optional<std::vector<server::Ipv4Net>> list = std::vector<server::Ipv4Net>{net};
  EXPECT_EQ(data_connect_refusal(0x0a01ff01, 40000, list, false, local), "");
  EXPECT_NE(data_connect_refusal(0x0a02ff01, 40000, list, false, local), "");
  EXPECT_NE(data_connect_refusal(0x7f000001, 40000, list, true, local), "") << "a list replaces the default";
  EXPECT_NE(data_connect_refusal(0x0a01ff01, 1023, list, false, local), "") << "ports below 1024 never";
  const std::optional<std::vector<server::Ipv4Net>> none = std::vector<server::Ipv4Net>{};
  EXPECT_NE(data_connect_refusal(remote, 40000, none, true, local), "");
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "host/8", "10.0.0.0/", "10.0.0.0/-1", ""})
    EXPECT_FALSE(server::parse_ipv4_net(bad, net)) << bad;
}

// data-connect-allow in ndmpd.conf: CIDRs, "any", "none"; a bad entry stops the start.
TEST(DataConnectRule, ConfigurationKey) {
  test::TempDir dir;
  auto parse = [&](const std::string& line, server::Config& c) {
    const auto file = dir.path() / "ndmpd.conf";
    std::ofstream(file) << line << "\n";
    const std::string f = file.string();
    const char* argv[] = {"ndmpd", "--config", f.c_str()};
    return server::parse_config(3, argv, c);
  };
  server::Config c;
  ASSERT_EQ(parse("data-connect-allow = 10.0.0.0/8, 192.0.2.7", c), server::ParseOutcome::run);
  ASSERT_TRUE(c.data_connect_allow);
  ASSERT_EQ(c.data_connect_allow->size(), 2u);
  EXPECT_EQ((*c.data_connect_allow)[1].prefix, 32);
  server::Config d;
  ASSERT_EQ(parse("# nothing", d), server::ParseOutcome::run);
  EXPECT_FALSE(d.data_connect_allow) << "unset = the default rule";
  server::Config n;
  ASSERT_EQ(parse("data-connect-allow = none", n), server::ParseOutcome::run);
  ASSERT_TRUE(n.data_connect_allow);
  EXPECT_TRUE(n.data_connect_allow->empty());
  server::Config b;
  EXPECT_EQ(parse("data-connect-allow = 10.0.0.0/40", b), server::ParseOutcome::exit_error);
}

}  // namespace
}  // namespace ndmp::security

// The front door (issue 15, items 3 and 4): what a crowd that never logs in
// can hold, and how long; the record cap and the memory bound before login;
// deadlines on records and on idle sessions. Against the real server over
// loopback; other hosts are played by other loopback addresses (127.0.0.2,
// 127.0.1.x, ...), which Linux routes to lo without any setup.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "server/context/context.h"
#include "server/context/front_door.h"
#include "xdr/codec.h"
#include "xdr/record.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace code = msg::code;
using msg::Error;

// The test process holds both ends of every connection: make sure the soft
// descriptor limit allows `need`, raising it up to the hard limit.
void need_descriptors(rlim_t need) {
  rlimit rl{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur >= need) return;
  if (rl.rlim_max < need) GTEST_SKIP() << "needs " << need << " descriptors; hard limit (ulimit -Hn) is " << rl.rlim_max;
  rl.rlim_cur = need;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &rl), 0);
}

// From /proc/net/tcp, over the server's sockets (local address 127.0.0.1,
// local port `port`; a test client bound to another loopback address may
// have the same port number, so the address counts too): the sum of the
// rx_queue column, either of its connections (bytes it has not read yet) or
// of its listening socket (connections it has not accepted yet).
size_t queued_at(uint16_t port, bool listening) {
  std::ifstream f("/proc/self/net/tcp");
  std::string line;
  std::getline(f, line);  // header
  size_t queued = 0;
  char want[32];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);  // 127.0.0.1, as the kernel prints it
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string sl, local, remote, st, queues;
    in >> sl >> local >> remote >> st >> queues;
    if (local != want) continue;
    if ((st == "0A") != listening) continue;  // 0A = LISTEN
    auto colon = queues.find(':');
    if (colon != std::string::npos) queued += std::stoul(queues.substr(colon + 1), nullptr, 16);
  }
  return queued;
}
size_t unread_bytes(uint16_t port) { return queued_at(port, false); }
size_t accept_backlog(uint16_t port) { return queued_at(port, true); }

// Waits (bounded) until `done()` holds, looking again every 20 ms: for
// conditions only /proc shows, which no descriptor signals.
template <class F>
bool eventually(F done, Clock::duration limit) {
  for (const auto end = Clock::now() + limit; !done();) {
    if (Clock::now() >= end) return false;
    pollfd none{-1, 0, 0};
    ::poll(&none, 1, 20);
  }
  return true;
}

// A plain TCP connection from `source` (a loopback address) to the server.
int raw_connect(uint16_t port, const char* source) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Fds {
  std::vector<int> fds;
  ~Fds() {
    for (int fd : fds) ::close(fd);
  }
};

// Reads whatever is there without waiting: true once the server has closed
// (EOF or reset).
bool closed_now(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  }
}

// Waits until the server has closed every fd, or `limit` passes; returns how
// many are still open. Waits on poll (the close is an event), not on a sleep.
size_t wait_all_closed(const std::vector<int>& fds, Clock::duration limit) {
  const auto end = Clock::now() + limit;
  std::vector<int> open;
  for (int fd : fds)
    if (!closed_now(fd)) open.push_back(fd);
  while (!open.empty() && Clock::now() < end) {
    std::vector<pollfd> p;
    for (int fd : open) p.push_back({fd, POLLIN, 0});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    if (::poll(p.data(), p.size(), static_cast<int>(std::max<int64_t>(left, 1))) < 0 && errno != EINTR) break;
    std::vector<int> still;
    for (size_t i = 0; i < p.size(); ++i)
      if (!p[i].revents || !closed_now(p[i].fd)) still.push_back(p[i].fd);
    open.swap(still);
  }
  return open.size();
}

// A connected, opened and logged-in client from `source`; how long it took.
std::unique_ptr<client::Client> login_from(test::TestServer& s, const char* source, Clock::duration& took) {
  const auto t0 = Clock::now();
  auto c = std::make_unique<client::Client>();
  c->set_reply_timeout(30s);
  std::string err = c->connect("127.0.0.1", s.port(), source);
  if (err.empty()) err = c->open(4);
  if (err.empty()) err = c->auth_md5(test::kUser, test::kPassword);
  took = Clock::now() - t0;
  if (!err.empty()) {
    ADD_FAILURE() << "login from " << source << ": " << err;
    return nullptr;
  }
  return c;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

server::FrontDoor::Counts door(test::TestServer& s) { return s.server().context().front_door.counts(); }

TEST(FrontDoor, IdleCrowdAndSlowSenderDoNotKeepADmaOutAndAreGoneAfterTheDeadline) {
  need_descriptors(2 * 2000 + 512);
  test::TestServer s([](server::Config& c) {
    c.login_timeout = 4s;
    c.record_timeout = 1s;
  });
  // 2,000 connections that never say a word, from the DMA's own address.
  Fds idle;
  for (int i = 0; i < 2000; ++i) {
    int fd = raw_connect(s.port(), "127.0.0.1");
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    idle.fds.push_back(fd);
  }
  // The server has accepted them all (none left in the listen backlog): the
  // DMAs below do not queue behind the crowd in the kernel.
  ASSERT_TRUE(eventually([&] { return accept_backlog(s.port()) == 0; }, 60s));
  // A slow sender: a record header, then one byte every 100 ms.
  int slow = raw_connect(s.port(), "127.0.0.3");
  ASSERT_GE(slow, 0);
  Fds slow_fd{{slow}};
  const uint8_t header[4] = {0x80, 0x00, 0x00, 0x40};  // last fragment, 64 bytes
  ASSERT_EQ(::send(slow, header, 4, MSG_NOSIGNAL), 4);
  const auto slow_started = Clock::now();
  std::thread dribble([slow] {
    uint8_t b = 0;
    for (int i = 0; i < 60; ++i) {
      pollfd p{slow, POLLIN, 0};
      if (::poll(&p, 1, 100) != 0) break;  // the server spoke (greeting) or closed
      if (::send(slow, &b, 1, MSG_NOSIGNAL) != 1) break;
    }
  });

  // Real DMAs, from another host and from the crowd's own address, log in at once.
  Clock::duration took{};
  auto other = login_from(s, "127.0.0.2", took);
  ASSERT_TRUE(other);
  EXPECT_LT(took, 1s) << "login from another address took " << seconds(took) << " s";
  auto same = login_from(s, "127.0.0.1", took);
  ASSERT_TRUE(same);
  EXPECT_LT(took, 1s) << "login from the crowd's address took " << seconds(took) << " s";

  // The slow sender is dropped by the record deadline (1 s), long before the login deadline (4 s).
  {
    pollfd p{slow, POLLIN, 0};
    // Skip the greeting, then wait for the close.
    bool closed = false;
    while (!closed && Clock::now() - slow_started < 10s) {
      ::poll(&p, 1, 1000);
      closed = closed_now(slow);
    }
    const auto slow_took = Clock::now() - slow_started;
    EXPECT_TRUE(closed);
    EXPECT_GE(slow_took, 1s);
    EXPECT_LT(slow_took, 4s) << "dropped after " << seconds(slow_took) << " s: by the login deadline, not the record deadline";
  }
  dribble.join();

  // Every idle connection is gone by the login deadline (with a margin for a loaded machine).
  EXPECT_EQ(wait_all_closed(idle.fds, 4s + 10s), 0u);
  // A session leaves the door's count just after its socket is shut.
  EXPECT_TRUE(eventually([&] { return door(s).unauthenticated == 0; }, 10s)) << door(s).unauthenticated;
  EXPECT_EQ(door(s).sessions, 2u);
  // The logged-in sessions outlive the login deadline.
  for (auto* c : {other.get(), same.get()}) {
    auto r = c->call(code::CONFIG_GET_HOST_INFO);
    EXPECT_TRUE(r.ok) << r.failure;
    EXPECT_EQ(r.error(), Error::no_err);
  }
}

TEST(FrontDoor, ConnectionsBeforeLoginAreCappedPerSourceAndInAll) {
  need_descriptors(1024);
  test::TestServer s([](server::Config& c) {
    c.max_unauthenticated = 16;
    c.max_unauthenticated_per_source = 4;
  });
  Fds crowd;
  // 8 sources x 10 connections: at most 4 held per source, 16 in all.
  for (int src = 0; src < 8; ++src) {
    const std::string a = "127.0.1." + std::to_string(src + 1);
    for (int i = 0; i < 10; ++i) {
      int fd = raw_connect(s.port(), a.c_str());
      ASSERT_GE(fd, 0);
      crowd.fds.push_back(fd);
    }
  }
  // The accept loop works through the backlog: wait for the closes it owes.
  size_t open = wait_all_closed(crowd.fds, 0s);
  for (auto end = Clock::now() + 10s; open > 16 && Clock::now() < end;) {
    std::vector<pollfd> p;
    for (int fd : crowd.fds) p.push_back({fd, POLLIN, 0});
    ::poll(p.data(), p.size(), 100);
    open = 0;
    for (int fd : crowd.fds) open += closed_now(fd) ? 0 : 1;
  }
  const auto counts = door(s);
  EXPECT_LE(counts.unauthenticated, 16u);
  EXPECT_LE(open, 16u) << "connections the server still holds before login";
  // Logged-in slots are not theirs: with max-sessions 1024, a DMA logs in.
  Clock::duration took{};
  auto dma = login_from(s, "127.0.0.2", took);
  ASSERT_TRUE(dma);
  EXPECT_EQ(door(s).sessions, 1u);
}

TEST(FrontDoor, LoggedInSlotsAreNeverTakenByConnectionsBeforeLogin) {
  test::TestServer s([](server::Config& c) {
    c.max_sessions = 2;
    c.max_unauthenticated = 8;
  });
  Fds crowd;
  for (int i = 0; i < 8; ++i) crowd.fds.push_back(raw_connect(s.port(), "127.0.2.1"));
  Clock::duration took{};
  auto a = login_from(s, "127.0.0.2", took);
  auto b = login_from(s, "127.0.0.3", took);
  ASSERT_TRUE(a && b) << "two max-sessions slots, free while 8 connections wait at the door";
  // A third login is refused (every logged-in slot is taken), and says why.
  LogCapture log;
  auto c = std::make_unique<client::Client>();
  ASSERT_EQ(c->connect("127.0.0.1", s.port(), "127.0.0.4"), "");
  ASSERT_EQ(c->open(4), "");
  EXPECT_NE(c->auth_md5(test::kUser, test::kPassword), "");
  EXPECT_TRUE(log.contains("(max-sessions); login refused")) << log.text();
}

TEST(FrontDoor, RecordCapIsSmallBeforeLoginAndLargeAfter) {
  test::TestServer s;
  const std::string long_password(server::Config::kPreLoginMaxRecord + 100, 'x');
  {
    auto c = connect_to(s);
    ASSERT_EQ(c->open(4), "");
    c->set_reply_timeout(10s);
    EXPECT_NE(c->auth_text(test::kUser, long_password), "");
    EXPECT_EQ(wait_all_closed({c->fd()}, 10s), 0u) << "a record over the pre-login cap closes the connection";
  }
  {
    auto c = s.login(4);
    ASSERT_TRUE(c);
    msg::ConnectClientAuthRequest req;
    req.auth.type = msg::AuthType::text;
    req.auth.id = test::kUser;
    req.auth.password = long_password;
    auto r = c->call(code::CONNECT_CLIENT_AUTH, req);
    EXPECT_TRUE(r.ok) << "after login the same record is read and answered: " << r.failure;
    auto info = c->call(code::CONFIG_GET_HOST_INFO);
    EXPECT_TRUE(info.ok) << info.failure;
  }
}

TEST(FrontDoor, APeerThatDoesNotReadItsRepliesBeforeLoginIsClosed) {
  test::TestServer s([](server::Config& c) { c.login_timeout = 120s; });
  LogCapture log;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  Fds keep{{fd}};
  int small = 4096;  // keep the replies in the server's queue, not in our socket
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(s.port());
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst), 0);
  // CONFIG_GET_AUTH_ATTR (served before login), over and over, never reading.
  std::vector<uint8_t> batch;
  {
    xdr::Header h;
    h.sequence = 1;
    h.code = code::CONFIG_GET_AUTH_ATTR;
    msg::ConfigGetAuthAttrRequest req;
    req.type = msg::AuthType::md5;
    std::vector<uint8_t> one;
    ASSERT_TRUE(xdr::encode(4, h, &req, one));
    for (int i = 0; i < 1000; ++i) xdr::append_record(batch, one);
  }
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const auto t0 = Clock::now();
  bool closed = false;
  while (!closed && Clock::now() - t0 < 60s) {
    ssize_t n = ::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) closed = true;
  }
  EXPECT_TRUE(closed) << "still open after " << seconds(Clock::now() - t0) << " s";
  EXPECT_TRUE(eventually([&] { return log.contains("does not read the replies"); }, 10s)) << log.text();
  EXPECT_TRUE(eventually([&] { return door(s).unauthenticated == 0; }, 10s));
}

TEST(FrontDoor, HalfSentRecordsBeforeLoginStayUnderTheDocumentedMemoryBound) {
  // SECURITY.md: before login the server holds at most
  //   max-unauthenticated x kPerConnectionKib
  // of memory for connections that have not logged in. Checked here with the
  // door opened wide so that every one of 1,000 connections is held, each in
  // the middle of a record: 500 just under the pre-login cap (the most one can
  // hold), 500 announcing a record of the size allowed after login (refused
  // at once).
  constexpr size_t kConnections = 1000;
  constexpr size_t kPerConnectionKib = 64;  // stated in SECURITY.md
  need_descriptors(2 * kConnections + 512);
  test::TestServer s([](server::Config& c) {
    c.max_unauthenticated = 1024;
    c.max_unauthenticated_per_source = 1024;
  });
  {  // warm up: one login and one session end, so allocator start-up is not counted
    auto c = s.login(4);
  }
  const size_t before = rss_kib();
  Fds conns;
  std::vector<uint8_t> small(4 + 4000, 0x41);
  const uint32_t small_len = server::Config::kPreLoginMaxRecord - 8;  // announced; 4000 bytes sent
  small[0] = 0x80 | (small_len >> 24);
  small[1] = small_len >> 16 & 0xff;
  small[2] = small_len >> 8 & 0xff;
  small[3] = small_len & 0xff;
  std::vector<uint8_t> big(4 + 200 * 1024, 0x42);
  const uint32_t big_len = 300 * 1024;  // a size the default cap allows after login
  big[0] = 0x80 | (big_len >> 24);
  big[1] = big_len >> 16 & 0xff;
  big[2] = big_len >> 8 & 0xff;
  big[3] = big_len & 0xff;
  for (size_t i = 0; i < kConnections; ++i) {
    const std::string src = "127.0." + std::to_string(3 + i / 200) + "." + std::to_string(1 + i % 200);
    int fd = raw_connect(s.port(), src.c_str());
    ASSERT_GE(fd, 0) << i;
    conns.fds.push_back(fd);
    const auto& payload = i % 2 ? big : small;
    // Non-blocking: the server may refuse a big record before it is all sent.
    size_t off = 0;
    while (off < payload.size()) {
      ssize_t n = ::send(fd, payload.data() + off, payload.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
  // Wait until the server has read what each connection sent: every small
  // one holds its 4000 bytes (the door count says they are all still there),
  // every big one is closed.
  std::vector<int> bigs;
  for (size_t i = 1; i < kConnections; i += 2) bigs.push_back(conns.fds[i]);
  EXPECT_EQ(wait_all_closed(bigs, 30s), 0u) << "records over the pre-login cap are refused";
  std::vector<int> smalls;
  for (size_t i = 0; i < kConnections; i += 2) smalls.push_back(conns.fds[i]);
  // And every byte sent has been read by the server (nothing left in its
  // sockets' receive queues), so what it holds is in its memory now.
  EXPECT_TRUE(eventually([&] { return unread_bytes(s.port()) == 0; }, 30s)) << unread_bytes(s.port());
  // The small ones must still be open: the server holds them.
  size_t still_open = 0;
  for (int fd : smalls) still_open += closed_now(fd) ? 0 : 1;
  EXPECT_EQ(still_open, kConnections / 2);
  // The big ones leave the door's count just after their sockets are shut.
  EXPECT_TRUE(eventually([&] { return door(s).unauthenticated == kConnections / 2; }, 10s))
      << door(s).unauthenticated;
  const size_t after = rss_kib();
  const size_t grown = after > before ? after - before : 0;
  const size_t bound = kConnections * kPerConnectionKib;
  std::printf("[ memory ] %zu connections before login: VmRSS %zu -> %zu KiB (+%zu KiB, %.1f KiB each); bound %zu KiB\n",
              kConnections, before, after, grown, grown / double(kConnections / 2), bound);
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan each session thread carries ASan's own stacks and shadow
  // memory, and freed blocks sit in quarantine: RSS measures the sanitizer,
  // not ndmpd. The bound is checked by the normal build (step 1 of the test
  // command); here the connections' admission and closing are still checked.
  std::printf("[ memory ] bound NOT checked under AddressSanitizer (its stacks, shadow and quarantine)\n");
#else
  EXPECT_LT(grown, bound) << "VmRSS " << before << " -> " << after << " KiB";
#endif
}

TEST(FrontDoor, RecordDeadlineAppliesAfterLoginToo) {
  test::TestServer s([](server::Config& c) { c.record_timeout = 1s; });
  auto c = s.login(4);
  ASSERT_TRUE(c);
  // A record begun and never finished.
  ASSERT_TRUE(c->send_raw({0x80, 0x00, 0x01, 0x00, 1, 2, 3, 4}));
  const auto t0 = Clock::now();
  EXPECT_EQ(wait_all_closed({c->fd()}, 15s), 0u);
  EXPECT_GE(Clock::now() - t0, 900ms);
}

TEST(FrontDoor, IdleLimitClosesAnIdleLoggedInSessionWhenConfigured) {
  EXPECT_EQ(server::Config{}.idle_timeout.count(), 0) << "off by default";
  test::TestServer s([](server::Config& c) { c.idle_timeout = 1s; });
  auto c = s.login(4);
  ASSERT_TRUE(c);
  const auto t0 = Clock::now();
  EXPECT_EQ(wait_all_closed({c->fd()}, 15s), 0u);
  EXPECT_GE(Clock::now() - t0, 900ms);
}

// --- the admission policy alone (no sockets: descriptors -1 are never shut)

TEST(FrontDoorPolicy, FullSourceGivesWayOldestFirstAndOtherSourcesAreUntouched) {
  server::FrontDoor d;
  d.configure({8, 2, 100});
  auto a1 = d.admit(1, "a", -1);
  auto a2 = d.admit(2, "a", -1);
  auto b1 = d.admit(3, "b", -1);
  EXPECT_FALSE(a1.evicted || a2.evicted || b1.evicted);
  auto a3 = d.admit(4, "a", -1);
  ASSERT_TRUE(a3.visitor);
  EXPECT_TRUE(a3.evicted);
  EXPECT_EQ(a3.evicted_id, 1u);
  EXPECT_TRUE(a1.visitor->cancelled);
  EXPECT_FALSE(b1.visitor->cancelled);
  EXPECT_EQ(d.counts().unauthenticated, 3u);
  d.leave(*a1.visitor);  // the evicted session ends: counted once only
  EXPECT_EQ(d.counts().unauthenticated, 3u);
  EXPECT_FALSE(d.log_in(*a1.visitor)) << "an evicted connection cannot log in";
}

TEST(FrontDoorPolicy, FullDoorPushesOutTheMostCrowdedSource) {
  server::FrontDoor d;
  d.configure({4, 4, 100});
  std::vector<server::FrontDoor::Admission> keep;
  for (uint64_t i = 1; i <= 3; ++i) keep.push_back(d.admit(i, "crowd", -1));
  keep.push_back(d.admit(4, "dma", -1));
  auto other = d.admit(5, "another-dma", -1);
  EXPECT_TRUE(other.evicted);
  EXPECT_EQ(other.evicted_source, "crowd");
  EXPECT_EQ(other.evicted_id, 1u);
  EXPECT_FALSE(keep[3].visitor->cancelled) << "the lone DMA keeps its place";
  EXPECT_EQ(d.counts().unauthenticated, 4u);
}

TEST(FrontDoorPolicy, LoggingInMovesToASessionSlotCappedByMaxSessions) {
  server::FrontDoor d;
  d.configure({4, 4, 1});
  auto a = d.admit(1, "a", -1);
  auto b = d.admit(2, "b", -1);
  EXPECT_TRUE(d.log_in(*a.visitor));
  EXPECT_EQ(d.counts().unauthenticated, 1u);
  EXPECT_EQ(d.counts().sessions, 1u);
  EXPECT_FALSE(d.log_in(*b.visitor)) << "max-sessions reached";
  d.leave(*a.visitor);
  EXPECT_TRUE(d.log_in(*b.visitor));
  d.leave(*b.visitor);
  EXPECT_EQ(d.counts().sessions, 0u);
  EXPECT_EQ(d.counts().unauthenticated, 0u);
}

TEST(FrontDoorPolicy, SourceIsTheIpv4AddressOrTheIpv6Slash64) {
  sockaddr_storage ss{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  v4->sin_family = AF_INET;
  ::inet_pton(AF_INET, "192.0.2.7", &v4->sin_addr);
  v4->sin_port = htons(4000);
  EXPECT_EQ(server::source_key(ss), "192.0.2.7");
  sockaddr_storage s6{};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&s6);
  v6->sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", &v6->sin6_addr);
  EXPECT_EQ(server::source_key(s6), "2001:db8:1:2::/64");
  ::inet_pton(AF_INET6, "::ffff:192.0.2.9", &v6->sin6_addr);
  EXPECT_EQ(server::source_key(s6), "192.0.2.9");
}

}  // namespace
}  // namespace ndmp::security

// Hostile framing: a record announced far beyond the cap, and a record cut
// into more fragments than any DMA sends. Each must close only the offending
// connection, with the server's memory bounded (it judges announced lengths
// and fragment counts before buffering, xdr/record.h), while another DMA's
// session goes on.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>

#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace code = msg::code;
using msg::Error;

// Memory the server may keep after an attack: a session's buffers and
// allocator slack, far below what either attack would cost if buffered.
constexpr size_t kRssSlackKib = 32 * 1024;

// True when the server closed the connection (EOF or reset), waiting up to 30 s.
bool closed_by_server(int fd) {
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
    // Replies or posts sent before the close are fine; keep reading.
  }
}

void expect_bystander_works(client::Client& bystander) {
  auto r = bystander.call(code::CONFIG_GET_HOST_INFO);
  EXPECT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.error(), Error::no_err);
}

TEST(RecordLimits, OneGibFragmentHeaderClosesOnlyThatConnection) {
  test::TestServer s;
  auto bystander = s.login(4);
  ASSERT_TRUE(bystander);
  const size_t before = rss_kib();
  auto attacker = connect_to(s);
  // Last fragment, length 0x40000000 (1 GiB), then a few bytes of "payload".
  ASSERT_TRUE(attacker->send_raw({0xC0, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_TRUE(closed_by_server(attacker->fd()));
  const size_t after = rss_kib();
  EXPECT_LT(after, before + kRssSlackKib) << "VmRSS " << before << " -> " << after << " KiB";
  expect_bystander_works(*bystander);
}

TEST(RecordLimits, OneGibAnnouncedAcrossManyFragmentsIsRefused) {
  // Each fragment below the cap, together far above it.
  test::TestServer s;
  auto bystander = s.login(3);
  ASSERT_TRUE(bystander);
  const size_t before = rss_kib();
  auto attacker = connect_to(s);
  std::vector<uint8_t> frag(4 + 200 * 1024, 0x41);
  frag[0] = 0x00;  // not last
  frag[1] = 0x03;  // 200 KiB
  frag[2] = 0x20;
  frag[3] = 0x00;
  bool sending = true;
  for (int i = 0; i < 5120 && sending; ++i) sending = attacker->send_raw(frag);  // 1 GiB if all accepted
  EXPECT_FALSE(sending) << "the server kept reading 1 GiB of one record";
  EXPECT_TRUE(closed_by_server(attacker->fd()));
  const size_t after = rss_kib();
  EXPECT_LT(after, before + kRssSlackKib) << "VmRSS " << before << " -> " << after << " KiB";
  expect_bystander_works(*bystander);
}

TEST(RecordLimits, HundredThousandOneByteFragmentsCloseOnlyThatConnection) {
  test::TestServer s;
  auto bystander = s.login(4);
  ASSERT_TRUE(bystander);
  const size_t before = rss_kib();
  auto attacker = connect_to(s);
  std::vector<uint8_t> stream;
  stream.reserve(100000 * 5);
  for (int i = 0; i < 100000; ++i) {
    const bool last = i == 99999;
    stream.insert(stream.end(), {static_cast<uint8_t>(last ? 0x80 : 0), 0, 0, 1, 0x5A});
  }
  (void)attacker->send_raw(stream);  // may fail part-way once the server has closed
  EXPECT_TRUE(closed_by_server(attacker->fd()));
  const size_t after = rss_kib();
  EXPECT_LT(after, before + kRssSlackKib) << "VmRSS " << before << " -> " << after << " KiB";
  expect_bystander_works(*bystander);
}

TEST(RecordLimits, EmptyFragmentsForeverAreRefused) {
  // Zero-length non-last fragments carry no bytes, so only the fragment
  // count can stop them.
  test::TestServer s;
  auto bystander = s.login(2);
  ASSERT_TRUE(bystander);
  auto attacker = connect_to(s);
  std::vector<uint8_t> stream;
  for (int i = 0; i < 100000; ++i) stream.insert(stream.end(), {0, 0, 0, 0});
  (void)attacker->send_raw(stream);
  EXPECT_TRUE(closed_by_server(attacker->fd()));
  expect_bystander_works(*bystander);
}

}  // namespace
}  // namespace ndmp::security

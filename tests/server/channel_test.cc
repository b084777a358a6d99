// The in-process pipe between DATA and MOVER: every byte arrives once and in
// order whatever the chunk sizes on either side, records read through view()
// are the same bytes as through read(), and shutdown/close unblock both ends.
#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <random>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

#include "server/datapath/channel.h"

namespace ndmp::server {
namespace {

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  uint32_t x = 2463534242u;
  for (auto& b : v) {  // xorshift: no period that lines up with the ring
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<uint8_t>(x);
  }
  return v;
}

void write_in_random_chunks(Channel& w, const std::vector<uint8_t>& src, unsigned seed) {
  std::mt19937 rng(seed);
  size_t pos = 0;
  while (pos < src.size()) {
    size_t n = std::min<size_t>(src.size() - pos, 1 + rng() % 300000);
    ASSERT_TRUE(w.write_all(std::span<const uint8_t>(src.data() + pos, n)));
    pos += n;
  }
  w.close_write();
}

TEST(LocalPipe, ReadGetsEveryByteInOrder) {
  auto src = pattern(9 << 20);
  auto [w, r] = make_local_pipe(1 << 20);
  std::thread producer([&, w = w] { write_in_random_chunks(*w, src, 1); });
  std::vector<uint8_t> got;
  std::mt19937 rng(2);
  std::vector<uint8_t> buf(200000);
  for (;;) {
    long n = r->read(std::span<uint8_t>(buf.data(), 1 + rng() % buf.size()));
    ASSERT_GE(n, 0);
    if (n == 0) break;
    got.insert(got.end(), buf.begin(), buf.begin() + n);
  }
  producer.join();
  EXPECT_EQ(got, src);
}

TEST(LocalPipe, ViewedRecordsAreTheStreamAndNeverStraddleTheRing) {
  const uint32_t rs = 3 * 512 * 7;  // not a power of two
  auto src = pattern(5 * (4 << 20) + 1234);
  auto [w, r] = make_local_pipe_for_records(rs);
  std::thread producer([&, w = w] { write_in_random_chunks(*w, src, 3); });
  std::vector<uint8_t> got;
  size_t whole = 0;
  for (;;) {
    const uint8_t* p = nullptr;
    long n = r->view(rs, p);
    ASSERT_GE(n, 0);
    if (n == 0) break;
    if (n == static_cast<long>(rs)) ++whole;
    got.insert(got.end(), p, p + n);
    r->consume(static_cast<size_t>(n));
  }
  producer.join();
  EXPECT_EQ(got, src);
  // Only the short tail may come in a piece shorter than a record.
  EXPECT_EQ(whole, src.size() / rs);
}

TEST(LocalPipe, ViewWaitsForAWholeRecord) {
  auto [w, r] = make_local_pipe_for_records(1000);
  std::vector<uint8_t> half(500, 7);
  ASSERT_TRUE(w->write_all(half));
  std::thread late([&, w = w] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    w->write_all(half);
  });
  const uint8_t* p = nullptr;
  EXPECT_EQ(r->view(1000, p), 1000);
  late.join();
  r->consume(1000);
  w->close_write();
  EXPECT_EQ(r->view(1000, p), 0);
}

TEST(LocalPipe, ShutdownUnblocksAFullWriterAndAWaitingReader) {
  auto [w, r] = make_local_pipe(4096);
  std::thread writer([&, w = w] {
    std::vector<uint8_t> big(1 << 20, 1);
    EXPECT_FALSE(w->write_all(big));  // blocks on the full ring until shut down
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  r->shutdown();
  writer.join();
  const uint8_t* p = nullptr;
  EXPECT_LT(r->view(100, p), 0);
  std::vector<uint8_t> buf(10);
  EXPECT_LT(r->read(buf), 0);
}

TEST(LocalPipe, WritesFailOnceTheReaderIsGone) {
  auto [w, r] = make_local_pipe(4096);
  std::thread writer([&, w = w] {
    std::vector<uint8_t> big(1 << 20, 1);
    EXPECT_FALSE(w->write_all(big));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  r->close_write();  // the reader's "done with the stream"
  writer.join();
}

TEST(LocalPipe, AwaitReaderReturnsOnlyOnceTheReaderIsDone) {
  auto [w, r] = make_local_pipe(4096);
  std::vector<uint8_t> some(100, 5);
  ASSERT_TRUE(w->write_all(some));
  w->close_write();
  std::atomic<bool> returned{false};
  std::thread data([&, w = w] {
    w->await_reader();
    returned = true;
  });
  std::vector<uint8_t> buf(200);
  EXPECT_EQ(r->read(buf), 100);
  EXPECT_EQ(r->read(buf), 0);  // end of stream seen, but the mover is not done yet
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(returned.load()) << "the DATA side must not halt before the mover";
  r->close_write();  // what the mover worker does once it has halted
  data.join();
  EXPECT_TRUE(returned.load());
}

TEST(LocalPipe, AwaitReaderEndsOnShutdown) {
  auto [w, r] = make_local_pipe(4096);
  w->close_write();
  std::thread data([&, w = w] { w->await_reader(); });
  r->shutdown();
  data.join();
}

TEST(ReadAhead, DeliversATcpStreamAsWholeRecords) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto sender = make_tcp_channel(sv[0]);
  const uint32_t rs = 10240;
  auto src = pattern(3 * (8 << 20) + 777);
  auto ahead = make_read_ahead(make_tcp_channel(sv[1]), rs);
  std::thread producer([&] { write_in_random_chunks(*sender, src, 5); });
  std::vector<uint8_t> got;
  size_t whole = 0;
  for (;;) {
    const uint8_t* p = nullptr;
    long n = ahead->view(rs, p);
    ASSERT_GE(n, 0);
    if (n == 0) break;
    if (n == static_cast<long>(rs)) ++whole;
    got.insert(got.end(), p, p + n);
    ahead->consume(static_cast<size_t>(n));
  }
  producer.join();
  EXPECT_EQ(got, src);
  EXPECT_EQ(whole, src.size() / rs);
}

TEST(ReadAhead, ShutdownStopsTheReceivingThread) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto peer = make_tcp_channel(sv[0]);  // sends nothing: the pump blocks in recv
  auto ahead = make_read_ahead(make_tcp_channel(sv[1]), 512);
  std::thread mover([&] {
    const uint8_t* p = nullptr;
    EXPECT_LT(ahead->view(512, p), 0);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ahead->shutdown();  // what MOVER_ABORT does
  mover.join();
  ahead.reset();  // joins the pump
}

TEST(TcpChannel, HasNoViewSoTheMoverCopies) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto c = make_tcp_channel(sv[0]);
  const uint8_t* p = nullptr;
  EXPECT_EQ(c->view(10, p), Channel::kNoView);
  ::close(sv[1]);
}

}  // namespace
}  // namespace ndmp::server

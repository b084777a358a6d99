#include "server/datapath/channel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <thread>

#include "common/house_rule.h"
#include "fmt/format.h"

namespace ndmp::server {
namespace {

// The in-process pipe is a single-producer single-consumer ring. The lock
// guards only the indices and flags: each side copies outside it, into or
// out of the part of the ring that the other side cannot touch until the
// indices move (the writer's free space, the reader's filled bytes). Copying
// under the lock serialised the two threads, and a backup has the engine
// filling the ring and the mover draining it on two cores at once.
// Each side sleeps on its own condition until a useful amount is there
// (a record for the reader, a quarter of the ring for a writer with more to
// write), so a full ring does not ping-pong the threads on every record.
struct PipeCore {
  std::mutex mu;
  std::condition_variable readable, writable;
  std::vector<uint8_t> ring;
  size_t head = 0, size = 0;  // filled bytes: [head, head+size) modulo the ring
  bool write_closed = false;  // end of stream
  bool read_closed = false;   // reader gone: writes fail
  bool aborted = false;
  size_t reader_wants = 0;    // the reader sleeps until this many bytes are filled (0: not sleeping)
  size_t writer_wants = 0;    // the writer sleeps until this much is free (0: not sleeping)
  explicit PipeCore(size_t cap) : ring(cap) {}

  size_t cap() const { return ring.size(); }
  // Sets one of the flags above and wakes both ends.
  void raise(bool PipeCore::*flag) {
    std::lock_guard lock(mu);
    this->*flag = true;
    readable.notify_all();
    writable.notify_all();
  }
  // Called with the lock held after `n` bytes were filled or drained.
  void filled(size_t n) {
    size += n;
    if (reader_wants != 0 && size >= reader_wants) readable.notify_one();
  }
  void drained(size_t n) {
    head = (head + n) % cap();
    size -= n;
    if (writer_wants != 0 && cap() - size >= writer_wants) writable.notify_one();
  }
  // Blocks until `want` bytes are filled, the stream ended or was aborted.
  void wait_filled(std::unique_lock<std::mutex>& lock, size_t want) {
    house::no_service_lock("waiting for data on a local data connection");
    want = std::min(want, cap());
    if (size >= want || aborted || write_closed) return;
    reader_wants = want;
    readable.wait(lock, [&] { return aborted || write_closed || size >= want; });
    reader_wants = 0;
  }
};

class PipeWriter : public Channel {
 public:
  explicit PipeWriter(std::shared_ptr<PipeCore> c) : c_(std::move(c)) {}
  ~PipeWriter() override { close_write(); }
  long read(std::span<uint8_t>) override { return -1; }
  bool write_all(std::span<const uint8_t> data) override {
    house::no_service_lock("writing to a local data connection");
    PipeCore& c = *c_;
    std::unique_lock lock(c.mu);
    while (!data.empty()) {
      if (c.aborted || c.read_closed) return false;
      if (c.size == c.cap()) {
        c.writer_wants = std::min(data.size(), c.cap() / 4);
        c.writable.wait(lock, [&] { return c.aborted || c.read_closed || c.cap() - c.size >= c.writer_wants; });
        c.writer_wants = 0;
        continue;
      }
      const size_t tail = (c.head + c.size) % c.cap();
      const size_t n = std::min<size_t>({data.size(), c.cap() - c.size, c.cap() - tail});
      lock.unlock();
      std::memcpy(c.ring.data() + tail, data.data(), n);
      lock.lock();
      c.filled(n);
      data = data.subspan(n);
    }
    return true;
  }
  void close_write() override { c_->raise(&PipeCore::write_closed); }
  bool await_reader() override {
    std::unique_lock lock(c_->mu);
    c_->writable.wait(lock, [&] { return c_->aborted || c_->read_closed; });
    return !c_->aborted;
  }
  void shutdown() override { c_->raise(&PipeCore::aborted); }
  std::string describe() const override { return "LOCAL"; }

 private:
  std::shared_ptr<PipeCore> c_;
};

class PipeReader : public Channel {
 public:
  explicit PipeReader(std::shared_ptr<PipeCore> c) : c_(std::move(c)) {}
  ~PipeReader() override { c_->raise(&PipeCore::read_closed); }
  long read(std::span<uint8_t> buf) override {
    PipeCore& c = *c_;
    std::unique_lock lock(c.mu);
    c.wait_filled(lock, 1);
    if (c.aborted) return -1;
    if (c.size == 0) return 0;
    const size_t n = std::min<size_t>({buf.size(), c.size, c.cap() - c.head});
    const size_t from = c.head;
    lock.unlock();
    std::memcpy(buf.data(), c.ring.data() + from, n);
    lock.lock();
    c.drained(n);
    return static_cast<long>(n);
  }
  long view(size_t want, const uint8_t*& data) override {
    PipeCore& c = *c_;
    std::unique_lock lock(c.mu);
    c.wait_filled(lock, want);
    if (c.aborted) return -1;
    data = c.ring.data() + c.head;
    return static_cast<long>(std::min<size_t>({want, c.size, c.cap() - c.head}));
  }
  long view_some(size_t most, const uint8_t*& data) override {
    PipeCore& c = *c_;
    std::unique_lock lock(c.mu);
    c.wait_filled(lock, 1);
    if (c.aborted) return -1;
    data = c.ring.data() + c.head;
    return static_cast<long>(std::min<size_t>({most, c.size, c.cap() - c.head}));
  }
  void consume(size_t n) override {
    std::lock_guard lock(c_->mu);
    c_->drained(std::min(n, c_->size));
  }
  bool write_all(std::span<const uint8_t>) override { return false; }
  // The reader is done with the stream: the writer's next write fails.
  void close_write() override { c_->raise(&PipeCore::read_closed); }
  void shutdown() override { c_->raise(&PipeCore::aborted); }
  std::string describe() const override { return "LOCAL"; }

 private:
  std::shared_ptr<PipeCore> c_;
};

// Read-ahead for a mover fed over TCP (three-way backup): a thread receives
// into a pipe's ring while the mover writes earlier records from it, so the
// socket copy and the tape write run on two cores instead of one after the
// other on the mover's thread, the slower of the two then setting the pace.
class ReadAhead : public Channel {
 public:
  ReadAhead(std::shared_ptr<Channel> src, uint32_t record_size)
      : src_(std::move(src)),
        core_(std::make_shared<PipeCore>(ring_for(record_size))),
        reader_(core_),
        pump_([this] { pump(); }) {}
  ~ReadAhead() override {
    shutdown();
    pump_.join();
  }
  long read(std::span<uint8_t> buf) override { return reader_.read(buf); }
  long view(size_t want, const uint8_t*& data) override { return reader_.view(want, data); }
  void consume(size_t n) override { reader_.consume(n); }
  bool write_all(std::span<const uint8_t>) override { return false; }
  void close_write() override {
    src_->close_write();
    reader_.close_write();
  }
  void shutdown() override {
    src_->shutdown();
    reader_.shutdown();
  }
  std::string describe() const override { return src_->describe(); }
  uint32_t peer_ip() const override { return src_->peer_ip(); }
  uint16_t peer_port() const override { return src_->peer_port(); }

 private:
  static size_t ring_for(uint32_t rs) {
    const size_t r = std::max<size_t>(rs, 1);
    return std::max<size_t>(1, ((8u << 20) + r - 1) / r) * r;
  }
  void pump() {
    PipeCore& c = *core_;
    const size_t chunk = std::min<size_t>(c.cap(), 256u << 10);
    std::unique_lock lock(c.mu);
    for (;;) {
      c.writer_wants = chunk;
      c.writable.wait(lock, [&] { return c.aborted || c.read_closed || c.cap() - c.size >= chunk; });
      c.writer_wants = 0;
      if (c.aborted || c.read_closed) return;
      const size_t tail = (c.head + c.size) % c.cap();
      const size_t n = std::min(c.cap() - c.size, c.cap() - tail);
      lock.unlock();
      const long got = src_->read(std::span<uint8_t>(c.ring.data() + tail, n));
      lock.lock();
      if (got <= 0) {
        // End of stream, or the connection failed: the mover sees which.
        (got == 0 ? c.write_closed : c.aborted) = true;
        c.readable.notify_all();
        return;
      }
      c.filled(static_cast<size_t>(got));
    }
  }
  std::shared_ptr<Channel> src_;
  std::shared_ptr<PipeCore> core_;
  PipeReader reader_;
  std::thread pump_;  // last: starts once the members it uses exist
};

class TcpChannel : public Channel {
 public:
  explicit TcpChannel(int fd) : fd_(fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0 && a.sin_family == AF_INET) {
      ip_ = ntohl(a.sin_addr.s_addr);
      port_ = ntohs(a.sin_port);
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int buf = 4 << 20;  // large socket buffers keep a three-way stream flowing
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  }
  ~TcpChannel() override { ::close(fd_); }
  long read(std::span<uint8_t> buf) override {
    house::no_service_lock("reading a TCP data connection");
    if (down_) return -1;
    for (;;) {
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (down_) return -1;
      return n;
    }
  }
  bool write_all(std::span<const uint8_t> data) override {
    house::no_service_lock("writing a TCP data connection");
    while (!data.empty()) {
      if (down_) return false;
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data = data.subspan(static_cast<size_t>(n));
    }
    return true;
  }
  void close_write() override { ::shutdown(fd_, SHUT_WR); }
  void shutdown() override {
    down_ = true;
    ::shutdown(fd_, SHUT_RDWR);
  }
  std::string describe() const override { return fmt::format("tcp {}:{}", ipv4_text(ip_), port_); }
  uint32_t peer_ip() const override { return ip_; }
  uint16_t peer_port() const override { return port_; }

 private:
  int fd_;
  std::atomic<bool> down_{false};
  uint32_t ip_ = 0;
  uint16_t port_ = 0;
};

}  // namespace

std::pair<std::shared_ptr<Channel>, std::shared_ptr<Channel>> make_local_pipe(size_t capacity) {
  auto core = std::make_shared<PipeCore>(capacity);
  return {std::make_shared<PipeWriter>(core), std::make_shared<PipeReader>(core)};
}

std::pair<std::shared_ptr<Channel>, std::shared_ptr<Channel>> make_local_pipe_for_records(uint32_t record_size) {
  const size_t target = 4u << 20;
  const size_t rs = std::max<size_t>(record_size, 1);
  return make_local_pipe(std::max<size_t>(1, (target + rs - 1) / rs) * rs);
}

std::shared_ptr<Channel> make_read_ahead(std::shared_ptr<Channel> source, uint32_t record_size) {
  return std::make_shared<ReadAhead>(std::move(source), record_size);
}

std::shared_ptr<Channel> make_tcp_channel(int fd) { return std::make_shared<TcpChannel>(fd); }

std::string ipv4_text(uint32_t ip) {
  return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

std::shared_ptr<Channel> connect_tcp(uint32_t ip, uint16_t port, std::string& why) {
  house::no_service_lock("connecting a TCP data connection");
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    why = std::strerror(errno);
    return nullptr;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(ip);
  a.sin_port = htons(port);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = ::poll(&p, 1, 30000) == 1 ? 0 : -1;
    int err = 0;
    socklen_t len = sizeof err;
    if (rc == 0 && (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)) {
      errno = err ? err : ETIMEDOUT;
      rc = -1;
    } else if (rc != 0) {
      errno = ETIMEDOUT;
    }
  }
  if (rc != 0) {
    why = fmt::format("cannot connect to {}:{}: {}", ipv4_text(ip), port, std::strerror(errno));
    ::close(fd);
    return nullptr;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return make_tcp_channel(fd);
}

TcpListener::TcpListener(uint32_t local_ip) : ip_(local_ip) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || ::pipe2(wake_, O_CLOEXEC) != 0) {
    error_ = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(local_ip);
  socklen_t len = sizeof a;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 1) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    error_ = fmt::format("cannot listen on {}: {}", ipv4_text(local_ip), std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    return;
  }
  port_ = ntohs(a.sin_port);
}

TcpListener::~TcpListener() {
  if (fd_ >= 0) ::close(fd_);
  for (int f : wake_)
    if (f >= 0) ::close(f);
}

bool TcpListener::peer_waiting() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

bool TcpListener::wait_ready() {
  house::no_service_lock("waiting for a data connection's peer");
  if (fd_ < 0) return false;
  pollfd p[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  for (;;) {
    int n = ::poll(p, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (p[1].revents & POLLIN)) return false;
    if (p[0].revents & POLLIN) return true;
  }
}

std::shared_ptr<Channel> TcpListener::take() {
  if (fd_ < 0) return nullptr;
  int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (c < 0) return nullptr;
  // The channel does blocking I/O: only accept4 must not block.
  int fl = ::fcntl(c, F_GETFL);
  if (fl >= 0) ::fcntl(c, F_SETFL, fl & ~O_NONBLOCK);
  return make_tcp_channel(c);
}

void TcpListener::cancel() {
  if (wake_[1] >= 0) {
    char b = 1;
    [[maybe_unused]] auto w = ::write(wake_[1], &b, 1);
  }
}

uint32_t local_ipv4_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0x7f000001;
  if (ss.ss_family == AF_INET) return ntohl(reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr);
  if (ss.ss_family == AF_INET6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
      uint32_t v;
      std::memcpy(&v, a6->sin6_addr.s6_addr + 12, 4);
      return ntohl(v);
    }
  }
  return 0x7f000001;
}

}  // namespace ndmp::server

#include "server/session/outbox.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/house_rule.h"
#include "common/log.h"

namespace ndmp::server {

Outbox::Outbox(int fd, std::string tag) : fd_(fd), tag_(std::move(tag)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  sender_ = std::thread([this] { send_loop(); });
}

Outbox::~Outbox() {
  finish();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool Outbox::push(Kind kind, const Encoder& encode) {
  // A bulk post waits for a slow DMA to read.
  if (kind == Kind::bulk) house::no_service_lock("a bulk post (file history, LOG) to the DMA");
  std::unique_lock lock(mu_);
  if (kind == Kind::bulk) cv_.wait(lock, [&] { return failed_ || finishing_ || queued_bytes_ < kBulkCap; });
  if (failed_ || finishing_) return false;
  std::vector<uint8_t> rec;
  if (!encode(next_sequence_, rec)) return true;
  ++next_sequence_;
  queued_bytes_ += rec.size();
  queue_.push_back(std::move(rec));
  cv_.notify_all();
  return true;
}

void Outbox::finish() {
  {
    std::lock_guard lock(mu_);
    if (!finishing_) {
      finishing_ = true;
      drain_deadline_ = std::chrono::steady_clock::now() + kDrainAtEnd;
    }
    cv_.notify_all();
  }
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
  }
  if (sender_.joinable()) sender_.join();
}

size_t Outbox::queued_bytes() {
  std::lock_guard lock(mu_);
  return queued_bytes_;
}

void Outbox::send_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return finishing_ || failed_ || !queue_.empty(); });
    if (failed_ || queue_.empty()) return;  // failed, or finishing with nothing left
    std::vector<uint8_t> rec = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const bool ok = write_record(rec);
    lock.lock();
    queued_bytes_ -= rec.size();
    if (!ok) {
      failed_ = true;
      queued_bytes_ = 0;
      queue_.clear();
    }
    cv_.notify_all();
  }
}

// Writes without blocking in send(): a full socket is waited on with poll(),
// which finish() can interrupt, so a DMA that stops reading holds nothing
// but this thread, and that only until the session ends plus kDrainAtEnd.
bool Outbox::write_record(const std::vector<uint8_t>& rec) {
  const uint8_t* p = rec.data();
  size_t n = rec.size();
  while (n > 0) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w >= 0) {
      p += w;
      n -= static_cast<size_t>(w);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    int timeout_ms = -1;
    {
      std::lock_guard lock(mu_);
      if (finishing_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(drain_deadline_ -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0) {
          log::warn("{}: the DMA is not reading its control connection; {} unsent bytes dropped at the end",
                    tag_, n);
          return false;
        }
        timeout_ms = static_cast<int>(left.count());
      }
    }
    pollfd fds[2] = {{fd_, POLLOUT, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) return false;
    if (fds[1].revents & POLLIN) {
      uint64_t v;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &v, sizeof v);  // re-armed: the deadline now applies
    }
  }
  return true;
}

}  // namespace ndmp::server

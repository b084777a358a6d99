// One ordered exit for everything a session sends its DMA: replies, NOTIFY
// and LOG posts, file-history batches. Any thread may push; one sender
// thread writes to the control socket. So no caller ever does socket I/O,
// and a job thread that posts while holding its service's mutex cannot be
// stalled by a DMA that stops reading its control connection.
//
// Order: messages leave in the order push() took them, and their sequence
// numbers are given in that order too (the encoder runs inside push()).
//
// Memory: urgent messages (replies, notifications: a few hundred bytes,
// at most a handful per request or state change) are always taken; bulk
// ones (file history, LOG text) wait while kBulkCap bytes are queued, so a
// slow DMA slows the producer, never the outbox's memory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/jobs/job_host.h"

namespace ndmp::server {

class Outbox {
 public:
  using Kind = PostKind;  // jobs/job_host.h
  static constexpr size_t kBulkCap = 4u << 20;
  // Bytes queued or in flight when the session ends are given this long to
  // leave (CONNECT_CLOSE's reply, a last halt post) before the socket closes.
  static constexpr std::chrono::seconds kDrainAtEnd{10};

  // Writes the message with sequence number `seq` into `out` (a whole
  // record-marked record); false: nothing to send.
  using Encoder = std::function<bool(uint32_t seq, std::vector<uint8_t>& out)>;

  Outbox(int fd, std::string tag);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Queues one message. False once the connection has failed (or finish()
  // was called): the message is dropped.
  bool push(Kind kind, const Encoder& encode);

  // Stops taking messages, sends what is queued for at most kDrainAtEnd,
  // then ends the sender thread. The caller closes the socket afterwards.
  void finish();

  // Bytes queued and not yet handed to the socket (the front door closes a
  // connection that has not logged in and lets its replies pile up).
  size_t queued_bytes();

 private:
  void send_loop();
  bool write_record(const std::vector<uint8_t>& rec);

  const int fd_;
  const std::string tag_;
  int wake_fd_ = -1;  // eventfd: finish() interrupts a sender blocked on a full socket

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<uint8_t>> queue_;
  size_t queued_bytes_ = 0;
  uint32_t next_sequence_ = 1;
  bool failed_ = false;
  bool finishing_ = false;
  std::chrono::steady_clock::time_point drain_deadline_{};
  std::thread sender_;
};

}  // namespace ndmp::server

#include "cloudmanager/bridge.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cloudmanager/event_mapping.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "cloudmanager/tcp.h"
#include "common/log.h"

#ifndef NDMPD_VERSION
#error "NDMPD_VERSION must come from the build (cloudmanager/CMakeLists.txt)"
#endif

namespace ndmp::cm {

using events::SpaceAnswer;

struct Bridge::SpaceRequest {
  std::string job_id;
  uint64_t bytes = 0;
  Clock::time_point deadline;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  SpaceAnswer answer = SpaceAnswer::no_answer;
  int64_t free_size = -1;

  void finish(SpaceAnswer a, int64_t free = -1) {
    std::lock_guard lock(mu);
    if (done) return;
    done = true;
    answer = a;
    free_size = free;
    cv.notify_all();
  }
};

namespace {

Header request_header(wire::Command command) {
  Header h;
  h.direction = wire::MessageDirection_StreamerToCloudManager;
  h.command = command;
  return h;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "ndmpd";
  return buf;
}

}  // namespace

Bridge::Bridge(BridgeConfig config) : cfg_(std::move(config)) {}

Bridge::~Bridge() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status Bridge::start() {
  if (running_) return Status::Ok();
  if (cfg_.address.empty() || cfg_.port == 0)
    return Status::Error("cloud manager: cloudmanager.address and cloudmanager.port are required");
  if (cfg_.streamer_uuid.empty())
    return Status::Error("cloud manager: cloudmanager.uuid (this server's identity) is required");
  if (cfg_.journal_path.empty())
    return Status::Error("cloud manager: cloudmanager.journal (a file for unsent events) is required");
  if (cfg_.reconnect_min.count() <= 0 || cfg_.reconnect_max < cfg_.reconnect_min)
    return Status::Error("cloud manager: need 0 < reconnect_min <= reconnect_max");
  if (!journal_) {
    std::unique_ptr<Journal> j;
    if (Status s = Journal::open(cfg_.journal_path, cfg_.journal_max_bytes, j); !s.ok()) return s;
    std::lock_guard lock(mu_);
    journal_ = std::move(j);
  }
  if (wake_fd_ < 0) wake_fd_ = make_wake_fd();
  if (wake_fd_ < 0) return Status::Error(fmt::format("cloud manager: eventfd: {}", std::strerror(errno)));
  stopping_ = false;
  running_ = true;
  worker_ = std::thread([this] { run(); });
  ndmp::log::info("cloud manager bridge: reporting to {}:{} as {} (journal {}, space policy {})",
                  cfg_.address, cfg_.port, cfg_.streamer_uuid, cfg_.journal_path,
                  to_string(cfg_.space_policy));
  return Status::Ok();
}

void Bridge::stop() {
  if (!running_) return;
  stopping_ = true;
  wake(wake_fd_);
  if (worker_.joinable()) worker_.join();
  running_ = false;
  fail_space_requests("the bridge is stopping");
}

void Bridge::publish(const events::JobEvent& event) {
  {
    std::lock_guard lock(mu_);
    if (event.type == events::JobEventType::progress) {
      auto it = last_progress_.find(event.job_id);
      if (it != last_progress_.end() && event.when - it->second < cfg_.progress_interval) return;
      last_progress_[event.job_id] = event.when;
    } else if (event.type == events::JobEventType::halted) {
      last_progress_.erase(event.job_id);
    }
    if (!journal_) {
      ndmp::log::error("cloud manager bridge not started: {} event of job {} not recorded",
                       wire::Command_Name(command_for(event.type)), event.job_id);
      return;
    }
  }
  journal_->append(entry_class_for(event.type), command_for(event.type),
                   [&](uint64_t id) { return event_body(event, cfg_.streamer_uuid, id); });
  if (wake_fd_ >= 0) wake(wake_fd_);
}

SpaceAnswer Bridge::space_check(const std::string& job_id, uint64_t estimated_bytes,
                                std::chrono::milliseconds deadline) {
  if (cfg_.space_policy == SpacePolicy::skip) {
    ndmp::log::debug("job {}: backup space check skipped (cloudmanager.space_policy = skip)", job_id);
    return SpaceAnswer::enough;
  }
  auto r = std::make_shared<SpaceRequest>();
  r->job_id = job_id;
  r->bytes = estimated_bytes;
  r->deadline = Clock::now() + deadline;
  if (running_) {
    {
      std::lock_guard lock(mu_);
      space_requests_.push_back(r);
    }
    wake(wake_fd_);
  } else {
    r->finish(SpaceAnswer::no_answer);  // nobody to ask: do not sit out the deadline
  }
  SpaceAnswer answer;
  int64_t free_size;
  {
    std::unique_lock lock(r->mu);
    r->cv.wait_until(lock, r->deadline, [&] { return r->done; });
    r->done = true;  // a late reply is ignored
    answer = r->answer;
    free_size = r->free_size;
  }
  const bool refuse = cfg_.space_policy == SpacePolicy::refuse;
  switch (answer) {
    case SpaceAnswer::enough:
      ndmp::log::info("job {}: Cloud Manager reports enough backup space for {} bytes (free {})",
                      job_id, estimated_bytes, free_size);
      return SpaceAnswer::enough;
    case SpaceAnswer::not_enough:
      if (refuse) {
        ndmp::log::error("job {}: Cloud Manager reports not enough backup space for {} bytes "
                         "(free {}); refusing the backup (cloudmanager.space_policy = refuse)",
                         job_id, estimated_bytes, free_size);
        return SpaceAnswer::not_enough;
      }
      ndmp::log::warn("job {}: Cloud Manager reports not enough backup space for {} bytes (free {}); "
                      "going on (cloudmanager.space_policy = warn)",
                      job_id, estimated_bytes, free_size);
      return SpaceAnswer::enough;
    case SpaceAnswer::no_answer: break;
  }
  if (refuse) {
    ndmp::log::error("job {}: no answer from the Cloud Manager to the backup space check within "
                     "{} ms; refusing the backup (cloudmanager.space_policy = refuse)",
                     job_id, deadline.count());
    return SpaceAnswer::no_answer;
  }
  ndmp::log::warn("job {}: no answer from the Cloud Manager to the backup space check within {} ms; "
                  "going on (cloudmanager.space_policy = warn)",
                  job_id, deadline.count());
  return SpaceAnswer::enough;
}

BridgeStats Bridge::stats() const {
  BridgeStats s;
  s.connected = connected_;
  s.connects = connects_;
  s.delivered = delivered_;
  std::lock_guard lock(mu_);
  if (journal_) {
    const JournalStats j = journal_->stats();
    s.pending = j.pending;
    s.dropped = j.dropped;
  }
  return s;
}

// ---------------------------------------------------------------------------
// Worker thread

void Bridge::run() {
  std::chrono::milliseconds backoff = cfg_.reconnect_min;
  while (!stopping_) {
    if (fd_ < 0) {
      if (Status s = connect_and_hello(); !s.ok()) {
        if (stopping_) break;
        if (!unreachable_logged_) {
          ndmp::log::warn("cloud manager {}:{} unreachable: {}; retrying with backoff up to {} ms, "
                          "{} events kept in the journal",
                          cfg_.address, cfg_.port, s.text(), cfg_.reconnect_max.count(),
                          journal_->stats().pending);
          unreachable_logged_ = true;
        } else {
          ndmp::log::debug("cloud manager {}:{} still unreachable: {}", cfg_.address, cfg_.port, s.text());
        }
        fail_space_requests("not connected to the Cloud Manager");
        pause(backoff);
        backoff = std::min(backoff * 2, cfg_.reconnect_max);
        continue;
      }
      backoff = cfg_.reconnect_min;
      continue;
    }
    if (auto r = take_space_request()) {
      ask_space(r);
      continue;
    }
    if (auto e = journal_->front()) {
      send_event(*e);
      continue;
    }
    read_idle();
  }
  close_connection("");
}

Status Bridge::connect_and_hello() {
  int fd = -1;
  if (Status s = tcp_connect(cfg_.address, cfg_.port, cfg_.io_timeout, fd); !s.ok()) return s;
  fd_ = fd;
  in_ = FrameBuffer(FrameRules{wire::MessageDirection_CloudManagerToStreamer, cfg_.max_body});
  wire::StreamerHelloRequest hello;
  hello.set_streamer_uuid(cfg_.streamer_uuid);
  hello.set_streamer_name(cfg_.streamer_name.empty() ? host_name() : cfg_.streamer_name);
  hello.set_software_version("ndmpd " NDMPD_VERSION);
  const JournalStats js = journal_->stats();
  hello.set_first_event_id(static_cast<int64_t>(journal_->first_pending_id()));
  hello.set_next_event_id(static_cast<int64_t>(js.next_id));
  Frame reply;
  if (!exchange(encode_message(request_header(wire::Command_StreamerHello), hello),
                wire::Command_StreamerHello, reply))
    return Status::Error("StreamerHello got no usable reply (reason above)");
  if (reply.header.error_code != wire::ErrorCode_Success) {
    close_connection("");
    return Status::Error(fmt::format("StreamerHello refused: {}", wire::ErrorCode_Name(reply.header.error_code)));
  }
  connected_ = true;
  ++connects_;
  unreachable_logged_ = false;
  refuse_pause_ = std::chrono::milliseconds(0);
  ndmp::log::info("cloud manager {}:{} connected; {} events to send", cfg_.address, cfg_.port, js.pending);
  return Status::Ok();
}

void Bridge::close_connection(const std::string& why) {
  if (fd_ < 0) return;
  if (!why.empty())
    ndmp::log::warn("cloud manager {}:{}: {}; closing the connection, events stay in the journal",
                    cfg_.address, cfg_.port, why);
  ::close(fd_);
  fd_ = -1;
  connected_ = false;
}

// Sends one request and reads the one reply. False when the connection was
// closed (the reason is logged); `reply` then holds nothing useful.
bool Bridge::exchange(const std::string& request, wire::Command command, Frame& reply) {
  std::string why;
  if (!send_all(fd_, request, Clock::now() + cfg_.io_timeout, why)) {
    close_connection(why);
    return false;
  }
  const auto deadline = Clock::now() + cfg_.io_timeout;
  for (;;) {
    switch (in_.next(reply, why)) {
      case DecodeStatus::complete:
        if (reply.header.command != command) {
          close_connection(fmt::format("reply {} to request {}", wire::Command_Name(reply.header.command),
                                       wire::Command_Name(command)));
          return false;
        }
        return true;
      case DecodeStatus::bad:
        close_connection(fmt::format("bad frame from the Cloud Manager: {}", why));
        return false;
      case DecodeStatus::need_more: break;
    }
    const Wait w = wait_for(fd_, wake_fd_, deadline);
    if (w == Wait::woken) {
      drain_wake(wake_fd_);
      if (stopping_) {
        close_connection("");
        return false;
      }
      continue;  // new work waits for this reply
    }
    if (w == Wait::timeout) {
      close_connection(fmt::format("no reply to {} within {} ms", wire::Command_Name(command),
                                   cfg_.io_timeout.count()));
      return false;
    }
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      close_connection("the Cloud Manager closed the connection");
      return false;
    } else if (errno != EAGAIN && errno != EINTR) {
      close_connection(fmt::format("recv: {}", std::strerror(errno)));
      return false;
    }
  }
}

void Bridge::send_event(const JournalEntry& e) {
  journal_->sync();  // on disk before the Cloud Manager can see it
  Header h = request_header(static_cast<wire::Command>(e.command));
  h.data_type = wire::DataType_Protobuf;
  Frame reply;
  if (!exchange(encode_frame(h, e.body), h.command, reply)) return;
  if (reply.header.error_code == wire::ErrorCode_Success) {
    journal_->acknowledge(e.id);
    ++delivered_;
    refuse_pause_ = std::chrono::milliseconds(0);
    return;
  }
  refuse_pause_ = std::clamp(refuse_pause_ * 2, cfg_.reconnect_min, cfg_.reconnect_max);
  ndmp::log::warn("cloud manager refused event {} ({}): {}; keeping it, retrying in {} ms", e.id,
                  wire::Command_Name(h.command), wire::ErrorCode_Name(reply.header.error_code),
                  refuse_pause_.count());
  pause(refuse_pause_);
}

void Bridge::ask_space(const std::shared_ptr<SpaceRequest>& r) {
  wire::QueryBackupSpaceEnoughRequest q;
  q.set_streamer_uuid(cfg_.streamer_uuid);
  q.set_job_uuid(r->job_id);
  q.set_backup_size(r->bytes > INT64_MAX ? INT64_MAX : static_cast<int64_t>(r->bytes));
  Frame reply;
  if (!exchange(encode_message(request_header(wire::Command_QueryBackupSpaceEnough), q),
                wire::Command_QueryBackupSpaceEnough, reply)) {
    r->finish(SpaceAnswer::no_answer);
    return;
  }
  if (reply.header.error_code != wire::ErrorCode_Success) {
    ndmp::log::warn("job {}: Cloud Manager failed the backup space check: {}", r->job_id,
                    wire::ErrorCode_Name(reply.header.error_code));
    r->finish(SpaceAnswer::no_answer);
    return;
  }
  wire::QueryBackupSpaceEnoughResponse a;
  if (!parse_body(reply, a)) {
    close_connection("QueryBackupSpaceEnough reply body does not parse");
    r->finish(SpaceAnswer::no_answer);
    return;
  }
  r->finish(a.enough() ? SpaceAnswer::enough : SpaceAnswer::not_enough, a.free_size());
}

std::shared_ptr<Bridge::SpaceRequest> Bridge::take_space_request() {
  std::lock_guard lock(mu_);
  while (!space_requests_.empty()) {
    auto r = space_requests_.front();
    space_requests_.pop_front();
    std::lock_guard rl(r->mu);
    if (!r->done && Clock::now() < r->deadline) return r;  // else its asker has given up
  }
  return nullptr;
}

void Bridge::fail_space_requests(const std::string& why) {
  std::deque<std::shared_ptr<SpaceRequest>> failed;
  {
    std::lock_guard lock(mu_);
    failed.swap(space_requests_);
  }
  for (auto& r : failed) {
    ndmp::log::debug("job {}: backup space check unanswered: {}", r->job_id, why);
    r->finish(SpaceAnswer::no_answer);
  }
}

// Sleeps `d` unless stopped; space checks arriving meanwhile are answered
// no_answer at once rather than left to their deadline.
void Bridge::pause(std::chrono::milliseconds d) {
  const auto until = Clock::now() + d;
  while (!stopping_) {
    const Wait w = wait_for(-1, wake_fd_, until);
    if (w != Wait::woken) return;
    drain_wake(wake_fd_);
    if (fd_ < 0) fail_space_requests("not connected to the Cloud Manager");
  }
}

// Nothing to send: wait for work, and notice the Cloud Manager going away.
void Bridge::read_idle() {
  const Wait w = wait_for(fd_, wake_fd_, Clock::now() + std::chrono::hours(1));
  if (w == Wait::woken) {
    drain_wake(wake_fd_);
    return;
  }
  if (w != Wait::readable) return;
  char buf[4096];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n == 0) {
    close_connection("the Cloud Manager closed the connection");
    return;
  }
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) close_connection(fmt::format("recv: {}", std::strerror(errno)));
    return;
  }
  in_.append(buf, static_cast<std::size_t>(n));
  Frame f;
  std::string why;
  for (;;) {
    const DecodeStatus s = in_.next(f, why);
    if (s == DecodeStatus::need_more) return;
    if (s == DecodeStatus::bad) {
      close_connection(fmt::format("bad frame from the Cloud Manager: {}", why));
      return;
    }
    ndmp::log::warn("cloud manager sent {} unasked; ignored", wire::Command_Name(f.header.command));
  }
}

}  // namespace ndmp::cm

#include "cloudmanager/space_query.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "cloudmanager/proto/cm_streamer.pb.h"
#include "common/log.h"

namespace ndmp::cm {

using events::SpaceAnswer;
using events::SpaceOutcome;

struct SpaceQuerier::Request {
  std::string job_id;
  uint64_t bytes = 0;
  Clock::time_point deadline;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // answered, or the asker gave up
  // How far the worker got, so an asker whose deadline passes says why.
  enum class Stage { queued, connecting, sent } stage = Stage::queued;
  SpaceAnswer answer;

  void set_stage(Stage s) {
    std::lock_guard lock(mu);
    stage = s;
  }

  void finish(SpaceAnswer a) {
    std::lock_guard lock(mu);
    if (done) return;
    done = true;
    answer = std::move(a);
    cv.notify_all();
  }
  bool gave_up() {
    std::lock_guard lock(mu);
    return done || Clock::now() >= deadline;
  }
};

namespace {

SpaceAnswer outcome(SpaceOutcome o, std::string text) {
  SpaceAnswer a;
  a.outcome = o;
  a.text = std::move(text);
  return a;
}

std::string error_name(int32_t code) {
  const std::string& name = wire::ErrorCode_Name(static_cast<wire::ErrorCode>(code));
  return name.empty() ? fmt::format("{}", code) : fmt::format("{} ({})", name.substr(name.find('_') + 1), code);
}

}  // namespace

std::string space_words(const SpaceAnswer& a, std::chrono::milliseconds deadline) {
  switch (a.outcome) {
    case SpaceOutcome::enough:
      return fmt::format("the Cloud Manager reports enough backup space: about {} bytes needed, {} bytes free",
                         a.asked_bytes, a.free_bytes);
    case SpaceOutcome::not_enough:
      return fmt::format("the Cloud Manager reports not enough backup space: about {} bytes needed, {} bytes free",
                         a.asked_bytes, a.free_bytes);
    case SpaceOutcome::refused:
      return fmt::format("the Cloud Manager refused the space query with error {}", error_name(a.error_code));
    case SpaceOutcome::no_answer:
      return a.text.empty() ? fmt::format("the Cloud Manager did not answer the space query within {} ms",
                                          deadline.count())
                            : a.text;
    case SpaceOutcome::not_connected:
    case SpaceOutcome::bad_answer:
    case SpaceOutcome::skipped: return a.text;
  }
  return a.text;
}

SpaceQuerier::SpaceQuerier(const BridgeConfig& cfg)
    : cfg_(cfg), link_(cfg.address, cfg.port, cfg.max_body), io_timeout_(cfg.io_timeout),
      where_(fmt::format("{}:{}", cfg.address, cfg.port)) {}

void SpaceQuerier::retarget(const BridgeConnection& c) {
  {
    std::lock_guard lock(mu_);
    next_ = c;
    where_ = fmt::format("{}:{}", c.address, c.port);
  }
  if (wake_fd_ >= 0) wake(wake_fd_);
}

void SpaceQuerier::apply_retarget() {
  std::optional<BridgeConnection> next;
  {
    std::lock_guard lock(mu_);
    next.swap(next_);
  }
  if (!next) return;
  io_timeout_ = next->io_timeout;
  if (link_.where() != fmt::format("{}:{}", next->address, next->port)) link_.retarget(next->address, next->port);
}

SpaceQuerier::~SpaceQuerier() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status SpaceQuerier::start() {
  if (running_) return Status::Ok();
  if (wake_fd_ < 0) wake_fd_ = make_wake_fd();
  if (wake_fd_ < 0) return Status::Error("cloud manager: eventfd for space queries failed");
  stopping_ = false;
  running_ = true;
  worker_ = std::thread([this] { run(); });
  return Status::Ok();
}

void SpaceQuerier::stop() {
  if (!running_) return;
  stopping_ = true;
  wake(wake_fd_);
  if (worker_.joinable()) worker_.join();
  running_ = false;
  std::deque<std::shared_ptr<Request>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(requests_);
  }
  for (auto& r : left)
    r->finish(outcome(SpaceOutcome::not_connected, "the Cloud Manager bridge is stopping"));
}

SpaceAnswer SpaceQuerier::ask(const std::string& job_id, uint64_t bytes, std::chrono::milliseconds deadline) {
  auto r = std::make_shared<Request>();
  r->job_id = job_id;
  r->bytes = bytes;
  r->deadline = Clock::now() + deadline;
  if (running_ && !stopping_) {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(r);
    }
    wake(wake_fd_);
  } else {
    r->finish(outcome(SpaceOutcome::not_connected, "the Cloud Manager bridge is not running"));
  }
  std::string where;  // copied first: take() holds mu_ while it looks at a request
  {
    std::lock_guard lock(mu_);
    where = where_;
  }
  SpaceAnswer a;
  {
    std::unique_lock lock(r->mu);
    r->cv.wait_until(lock, r->deadline, [&] { return r->done; });
    if (!r->done) {
      r->done = true;  // a late answer is ignored
      switch (r->stage) {
        case Request::Stage::sent:
          r->answer = outcome(SpaceOutcome::no_answer,
                              fmt::format("the Cloud Manager did not answer the space query within {} ms",
                                          deadline.count()));
          break;
        case Request::Stage::connecting:
          r->answer = outcome(SpaceOutcome::not_connected,
                              fmt::format("ndmpd is not connected to the Cloud Manager at {} (connecting took "
                                          "longer than {} ms)",
                                          where, deadline.count()));
          break;
        case Request::Stage::queued:
          r->answer = outcome(SpaceOutcome::no_answer,
                              fmt::format("the space query could not be sent within {} ms: an earlier query to "
                                          "the Cloud Manager was still unanswered",
                                          deadline.count()));
          break;
      }
    }
    a = r->answer;
  }
  a.asked_bytes = bytes;
  if (a.text.empty()) a.text = space_words(a, deadline);
  return a;
}

void SpaceQuerier::run() {
  while (!stopping_) {
    apply_retarget();
    if (auto r = take()) {
      serve(*r);
      continue;
    }
    // Idle: wait for a query, and notice the Cloud Manager closing the kept connection.
    const Wait w = wait_for(link_.fd(), wake_fd_, Clock::now() + std::chrono::hours(1));
    if (w == Wait::woken) drain_wake(wake_fd_);
    else if (w == Wait::readable && !link_.drain_unasked())
      ndmp::log::debug("cloud manager {}: space query connection closed: {}", link_.where(), link_.why());
  }
  link_.close();
}

std::shared_ptr<SpaceQuerier::Request> SpaceQuerier::take() {
  std::lock_guard lock(mu_);
  while (!requests_.empty()) {
    auto r = requests_.front();
    requests_.pop_front();
    if (!r->gave_up()) return r;
  }
  return nullptr;
}

void SpaceQuerier::serve(Request& r) {
  if (!link_.open()) {
    r.set_stage(Request::Stage::connecting);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline - Clock::now());
    if (Status s = link_.connect(std::clamp(left, std::chrono::milliseconds(1), io_timeout_)); !s.ok()) {
      r.finish(outcome(SpaceOutcome::not_connected,
                       fmt::format("ndmpd is not connected to the Cloud Manager at {} ({})", link_.where(), s.text())));
      return;
    }
  }
  wire::QueryBackupSpaceEnoughRequest q;
  q.set_streamer_uuid(cfg_.streamer_uuid);
  q.set_job_uuid(r.job_id);
  q.set_backup_size(r.bytes > INT64_MAX ? INT64_MAX : static_cast<int64_t>(r.bytes));
  Header h;
  h.direction = wire::MessageDirection_StreamerToCloudManager;
  h.command = wire::Command_QueryBackupSpaceEnough;
  r.set_stage(Request::Stage::sent);
  Frame reply;
  // A new query arriving meanwhile waits for this one: one request in flight.
  const Exchange x = link_.exchange(encode_message(h, q), wire::Command_QueryBackupSpaceEnough, r.deadline,
                                    wake_fd_, [this] { return !stopping_.load(); }, reply);
  switch (x) {
    case Exchange::timeout: return;  // the asker's deadline has passed: it words the answer itself
    case Exchange::woken:
      r.finish(outcome(SpaceOutcome::not_connected, "the Cloud Manager bridge is stopping"));
      return;
    case Exchange::closed:
      r.finish(outcome(SpaceOutcome::not_connected,
                       fmt::format("the connection to the Cloud Manager at {} failed before it answered the space "
                                   "query ({})",
                                   link_.where(), link_.why())));
      return;
    case Exchange::answered: break;
  }
  if (reply.header.error_code != wire::ErrorCode_Success) {
    SpaceAnswer a = outcome(SpaceOutcome::refused, "");
    a.error_code = reply.header.error_code;
    r.finish(a);
    return;
  }
  wire::QueryBackupSpaceEnoughResponse resp;
  if (!parse_body(reply, resp)) {
    link_.close();
    r.finish(outcome(SpaceOutcome::bad_answer,
                     "the Cloud Manager's answer to the space query does not parse as QueryBackupSpaceEnoughResponse"));
    return;
  }
  SpaceAnswer a = outcome(resp.enough() ? SpaceOutcome::enough : SpaceOutcome::not_enough, "");
  a.free_bytes = resp.free_size();
  r.finish(a);
}

}  // namespace ndmp::cm

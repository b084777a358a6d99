#include "server/jobs/job_event_queue.h"

#include "common/log.h"

namespace ndmp::server {

JobEventQueue::JobEventQueue(events::JobEventSink& target) : target_(target) {
  thread_ = std::thread([this] { run(); });
}

JobEventQueue::~JobEventQueue() { stop(); }

void JobEventQueue::publish(const events::JobEvent& event) {
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      if (queue_.size() >= kMaxQueued && event.type == events::JobEventType::progress) {
        if (dropped_progress_++ % 1000 == 0)
          log::warn("job events: the Cloud Manager bridge is behind; progress of job {} not reported "
                    "({} progress reports dropped so far)",
                    event.job_id, dropped_progress_);
        return;
      }
      queue_.push_back(event);
      cv_.notify_all();
      return;
    }
  }
  target_.publish(event);  // after stop(): straight through, nothing is lost
}

events::SpaceAnswer JobEventQueue::space_check(const std::string& job_id, uint64_t estimated_bytes,
                                       std::chrono::milliseconds deadline) {
  return target_.space_check(job_id, estimated_bytes, deadline);
}

void JobEventQueue::drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopped_ || (queue_.empty() && !delivering_); });
}

void JobEventQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void JobEventQueue::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      stopped_ = true;
      cv_.notify_all();
      return;
    }
    events::JobEvent e = std::move(queue_.front());
    queue_.pop_front();
    delivering_ = true;
    lock.unlock();
    target_.publish(e);  // journals to disk: never under our mutex
    lock.lock();
    delivering_ = false;
    cv_.notify_all();
  }
}

}  // namespace ndmp::server

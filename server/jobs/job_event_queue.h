// Hands job events to the observer (the Cloud Manager bridge) from a thread
// of its own. The server derives events inside state transitions, with a
// service's mutex held; the bridge journals each one to disk. Between the
// two sits this queue, so no disk I/O happens under a service mutex and a
// slow disk never holds up a handler or a mover (issue 14's house rule).
//
// Order: one FIFO and one thread, so events reach the observer in the order
// they were published. Memory: at most kMaxQueued events; beyond that,
// progress events (superseded by the next one anyway) are dropped and
// counted, state changes never are. space_check() is passed straight
// through: the caller holds no lock while it waits.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "events/job_events.h"

namespace ndmp::server {

class JobEventQueue : public events::JobEventSink {
 public:
  static constexpr size_t kMaxQueued = 4096;

  explicit JobEventQueue(events::JobEventSink& target);
  ~JobEventQueue() override;  // stop()
  JobEventQueue(const JobEventQueue&) = delete;
  JobEventQueue& operator=(const JobEventQueue&) = delete;

  void publish(const events::JobEvent& event) override;
  events::SpaceAnswer space_check(const std::string& job_id, uint64_t estimated_bytes,
                          std::chrono::milliseconds deadline) override;
  bool answers_space_checks() const override { return target_.answers_space_checks(); }

  // Returns once every event published before the call has been delivered
  // (tests and orderly shutdown look at the observer afterwards).
  void drain();

  // Delivers what is queued, then ends the thread. Later publishes are
  // delivered at once on the caller's thread (nothing is lost at shutdown).
  void stop();

 private:
  void run();

  events::JobEventSink& target_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<events::JobEvent> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  bool delivering_ = false;
  uint64_t dropped_progress_ = 0;
  std::thread thread_;
};

}  // namespace ndmp::server

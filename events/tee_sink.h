// One job-event stream to two observers: the operations observer (journal
// fields, metrics, service status; ops/job_observer.h) and, when configured,
// the Cloud Manager bridge. Publish goes to both, in that order; the space
// question goes to the bridge only, and without a bridge nobody answers it.
#pragma once

#include "events/job_events.h"

namespace ndmp::events {

class TeeSink : public JobEventSink {
 public:
  TeeSink(JobEventSink& first, JobEventSink* second) : first_(first), second_(second) {}
  void publish(const JobEvent& e) override {
    first_.publish(e);
    if (second_) second_->publish(e);
  }
  SpaceAnswer space_check(const std::string& job_id, uint64_t estimated_bytes,
                          std::chrono::milliseconds deadline) override {
    return second_ ? second_->space_check(job_id, estimated_bytes, deadline) : space_not_asked();
  }
  bool answers_space_checks() const override { return second_ && second_->answers_space_checks(); }

 private:
  JobEventSink& first_;
  JobEventSink* second_;
};

}  // namespace ndmp::events

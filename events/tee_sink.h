// One job-event stream to two observers: the operations observer (journal
// fields, metrics, service status; ops/job_observer.h) and, when configured,
// the Cloud Manager bridge. Publish goes to both, in that order; the space
// question goes to the bridge only, and without a bridge nobody answers it.
// The bridge may arrive later (a reload that names a Cloud Manager when
// ndmpd started without one): attach_second() publishes it once; it must
// outlive the TeeSink, and is never replaced or removed.
#pragma once

#include <atomic>

#include "events/job_events.h"

namespace ndmp::events {

class TeeSink : public JobEventSink {
 public:
  TeeSink(JobEventSink& first, JobEventSink* second) : first_(first), second_(second) {}
  void publish(const JobEvent& e) override {
    first_.publish(e);
    if (JobEventSink* s = second_.load()) s->publish(e);
  }
  SpaceAnswer space_check(const std::string& job_id, uint64_t estimated_bytes,
                          std::chrono::milliseconds deadline) override {
    JobEventSink* s = second_.load();
    return s ? s->space_check(job_id, estimated_bytes, deadline) : space_not_asked();
  }
  bool answers_space_checks() const override {
    JobEventSink* s = second_.load();
    return s && s->answers_space_checks();
  }
  // False (and nothing changes) when a second observer is already there.
  bool attach_second(JobEventSink& second) {
    JobEventSink* none = nullptr;
    return second_.compare_exchange_strong(none, &second);
  }

 private:
  JobEventSink& first_;
  std::atomic<JobEventSink*> second_;
};

}  // namespace ndmp::events

// Watches every job event (Server::observe_jobs) for the operator: a
// journal line with filterable fields at each job's start and end, and the
// running totals that metrics and the service status line report.
//
// Journal fields (common/log.h write_fields), on the start and end lines:
//   NDMP_EVENT=job-start|job-end  NDMP_JOB_ID  NDMP_SESSION  NDMP_JOB_TYPE=backup|restore
//   NDMP_EXPORT (the job's FILESYSTEM)  NDMP_DEVICE
//   and at the end NDMP_BYTES  NDMP_FILES  NDMP_OUTCOME (the DATA halt reason:
//   SUCCESSFUL, ABORTED, INTERNAL_ERROR, CONNECT_ERROR)
// e.g. journalctl -u ndmpd NDMP_EVENT=job-end NDMP_OUTCOME=ABORTED
//
// Threads: publish() comes from the job-event queue's thread (never under a
// session's lock); snapshot() from any thread. The mutex guards counters
// only: lines are logged after it is released.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "events/job_events.h"

namespace ndmp::ops {

struct JobTotals {
  // Keyed "backup"/"restore"; outcomes keyed by kind then halt reason.
  std::map<std::string, uint64_t> started;
  std::map<std::pair<std::string, std::string>, uint64_t> finished;
  std::map<std::string, uint64_t> bytes;  // finished jobs plus running ones so far: only grows
  std::map<std::string, uint64_t> files;
  struct Running {
    std::string kind, source, device;
    uint64_t session = 0, bytes = 0, files = 0, rate = 0;  // rate: bytes/s at the last progress
  };
  std::map<std::string, Running> running;  // by job id
};

class JobObserver : public events::JobEventSink {
 public:
  // `changed` (optional) is called after a job starts or ends, with no lock
  // held (the service status line is refreshed from it).
  explicit JobObserver(std::function<void()> changed = {}) : changed_(std::move(changed)) {}

  void publish(const events::JobEvent& e) override;
  events::SpaceAnswer space_check(const std::string&, uint64_t, std::chrono::milliseconds) override {
    return events::space_not_asked();
  }
  bool answers_space_checks() const override { return false; }

  JobTotals snapshot() const;

 private:
  std::function<void()> changed_;
  mutable std::mutex mu_;
  JobTotals totals_;
  std::map<std::string, uint64_t> finished_bytes_, finished_files_;  // by kind
};

}  // namespace ndmp::ops

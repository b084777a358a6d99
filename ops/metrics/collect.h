// What ndmpd's /metrics says, gathered at scrape time from the owners of
// each figure (nothing is cached here):
//   ndmpd_sessions{state}                 gauge   unauthenticated | logged_in (front door)
//   ndmpd_logins_total{outcome}           counter success | failure
//   ndmpd_jobs_started_total{type}        counter backup | restore
//   ndmpd_jobs_finished_total{type,outcome} counter outcome = DATA halt reason
//   ndmpd_jobs_running{type}              gauge
//   ndmpd_job_bytes_total{type}           counter bytes moved, running jobs included
//   ndmpd_job_files_total{type}           counter files written or restored, as last seen
//   ndmpd_job_throughput_bytes_per_second{job_id,type}  gauge, per running job, at its last progress
//   ndmpd_tape_records_total{device,direction}  counter written | read (devices/device_stats.h)
//   ndmpd_tape_bytes_total{device,direction}    counter
//   ndmpd_device_errors_total{device,kind}      counter kind = devices/status.h Category name
//   ndmpd_device_state{device,state}            gauge 1 for the current state, 0 for the others:
//                                               closed | open | loaded | fault
//   ndmpd_cloudmanager_connected, ndmpd_cloudmanager_journal_backlog_events,
//   ndmpd_cloudmanager_delivered_events_total   (only with a Cloud Manager)
//   process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
//   process_start_time_seconds   (the usual process collector names)
//   ndmpd_build_info{version}             gauge 1
// Threads: any; takes each owner's lock briefly, holds none across another,
// and copies the figures (device counters are atomics, read without a lock).
#pragma once

#include <string>

#include "ops/job_observer.h"
#include "server/context/context.h"

namespace ndmp::cm {
class Bridge;
}

namespace ndmp::ops::metrics {

struct Sources {
  const server::ServerContext* ctx = nullptr;
  const JobObserver* jobs = nullptr;
  const cm::Bridge* bridge = nullptr;  // null without a Cloud Manager
};

std::string render(const Sources& sources);

}  // namespace ndmp::ops::metrics

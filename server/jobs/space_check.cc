#include "server/jobs/space_check.h"

#include <sys/statvfs.h>

#include <vector>

#include "backup/size_estimate.h"
#include "common/escape.h"
#include "common/log.h"
#include "server/context/context.h"
#include "server/jobs/job_host.h"
#include "server/jobs/job_reporter.h"

namespace ndmp::server {
namespace {

// Used space of the file system holding the open directory: the bound when
// the walk was cut short, for a tree that stays on one file system.
uint64_t used_bytes_of(int dirfd) {
  struct statvfs v{};
  if (::fstatvfs(dirfd, &v) != 0) return 0;
  return static_cast<uint64_t>(v.f_blocks - v.f_bfree) * v.f_frsize;
}

}  // namespace

SpaceEstimate estimate_backup_size(backup::BackupRequest& br) {
  SpaceEstimate est;
  backup::EstimateLimits limits;
  limits.max_entries = kEstimateMaxEntries;
  limits.until = std::chrono::steady_clock::now() + kEstimateBudget;
  backup::SizeEstimate walked;
  if (auto st = backup::estimate_backup(br, limits, walked); !st) {
    // The backup will meet the same fault and say so; ask about the bound.
    log::warn("size estimate of {}: {}", log::escape(br.source.name), st.to_string());
    est.walked = false;
    est.bytes = used_bytes_of(br.source.get());
    return est;
  }
  est.entries = walked.entries;
  if (!walked.complete) {
    est.walked = false;
    est.bytes = used_bytes_of(br.source.get());
    return est;
  }
  est.bytes = walked.bytes;
  br.known_estimate = walked.bytes;  // the engine need not walk the tree again
  return est;
}

msg::Error check_backup_space(JobHost& s, const std::string& job_id, backup::BackupRequest& br,
                              house::ServiceLock& lock) {
  const std::string& source_dir = br.source.name;
  JobEventSink* sink = s.ctx().jobs;
  if (!sink || !sink->answers_space_checks()) return msg::Error::no_err;
  lock.unlock();
  const SpaceEstimate est = estimate_backup_size(br);
  const auto deadline = s.ctx().settings()->config.cm_space_timeout;
  log::info("{}: job {}: backup of {} estimated at {} bytes ({}); asking the Cloud Manager for room", s.tag(),
            job_id, log::escape(source_dir), est.bytes,
            est.walked ? fmt::format("{} entries walked", est.entries)
                       : fmt::format("walk cut after {} entries: used space of its filesystem", est.entries));
  const SpaceAnswer answer = sink->space_check(job_id, est.bytes, deadline);
  lock.lock();
  if (answer.proceed) {
    // Going on without room (policy warn): the Cloud Manager is told, so the
    // backup that may fail for want of space does not come as a surprise.
    if (answer.outcome == SpaceOutcome::not_enough)
      report::job_warned(s, job_id, JobKind::backup, source_dir, "STORAGE_FULL",
                         fmt::format("backup of {} goes on although {} (cloudmanager.space_policy = warn)",
                                     log::escape(source_dir), answer.text));
    return msg::Error::no_err;
  }
  // The outcome's own words (refused with the Cloud Manager's error code, no
  // answer within the timeout, not connected, not enough with the figures).
  const std::string text = fmt::format("backup of {} refused: {} (cloudmanager.space_policy = refuse)",
                                       log::escape(source_dir), answer.text);
  log::warn("{}: job {}: {}", s.tag(), job_id, text);
  log_to_dma(s, msg::LogType::error, text, PostKind::urgent);  // names the DMA's FILESYSTEM: escaped there
  // The DMA asked for a job: the Cloud Manager hears of it, refused, with why.
  report::job_refused(s, job_id, JobKind::backup, source_dir, "SPACE_CHECK", text);
  return msg::Error::undefined;
}

}  // namespace ndmp::server

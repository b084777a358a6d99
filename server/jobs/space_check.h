// The backup space check (issue 7): before DATA_START_BACKUP starts the
// engine, estimate the backup's size and ask the job observer (the Cloud
// Manager bridge) whether the storage behind it has room. The observer applies
// the configured policy (cloudmanager.space_policy): with "warn" or "skip" it
// answers enough whatever the Cloud Manager says, so only "refuse" can stop a
// backup here.
//
// Estimate: backup/size_estimate.h's walk with the backup's own selection
// (excludes; for LEVEL > 0 only what changed since the base date; one file
// system), by descriptor from the opened FILESYSTEM. A complete walk is
// handed to the engine (BackupRequest::known_estimate), so the tree is walked
// for its size once. The walk stops after kEstimateBudget or
// kEstimateMaxEntries, because a DMA waits on the reply; then the estimate is
// the used space of the file system holding the source (fstatvfs), an upper
// bound for a tree that stays on one file system, and the engine estimates
// on its own beside the backup.
//
// Refusal: NDMP_UNDEFINED_ERR, with the reason in the ndmpd log and in a
// LOG_MESSAGE (LOG_LOG in v2) of type ERROR sent to the DMA before the reply,
// in the words of the outcome (events::SpaceOutcome: refused with the Cloud
// Manager's error code, no answer within the timeout, not connected, or not
// enough with the figures). The refused job is reported to the observer too
// (report::job_refused), so every job a DMA asked for is reported.
// The protocol names no error for "the storage has no room for this backup":
// ILLEGAL_ARGS_ERR would tell the operator the request was malformed,
// PERMISSION_ERR that the user may not back up, NO_MEM_ERR that the server ran
// out of memory, PRECONDITION_ERR exists in v4 only and means a preparatory
// NDMP step was skipped; UNDEFINED_ERR is the protocol's "nothing else fits"
// (error 20 in the facts' error table), and the log message says what happened.
//
// Threads: called on the session thread with the session's jobs mutex held
// through `lock`; it is released while walking and while waiting for the
// answer (at most cloudmanager.space_timeout), and held again on return.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "backup/backup_engine.h"
#include "common/house_rule.h"
#include "xdr/model.h"

namespace ndmp::server {

class JobHost;

inline constexpr std::chrono::milliseconds kEstimateBudget{2000};
inline constexpr uint64_t kEstimateMaxEntries = 1'000'000;

struct SpaceEstimate {
  uint64_t bytes = 0;
  uint64_t entries = 0;
  bool walked = true;  // false: the bound was hit, `bytes` is statvfs-used
};

// Estimates the stream size of the backup `br` will make; a complete walk is
// also stored in br.known_estimate.
SpaceEstimate estimate_backup_size(backup::BackupRequest& br);

// no_err when the backup may go on (no observer, or it answered enough);
// undefined when it is refused (logged and told to the DMA).
msg::Error check_backup_space(JobHost& s, const std::string& job_id, backup::BackupRequest& br,
                              house::ServiceLock& lock);

}  // namespace ndmp::server

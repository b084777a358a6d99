// The backup space check (issue 7): before DATA_START_BACKUP starts the
// engine, estimate the backup's size and ask the job observer (the Cloud
// Manager bridge) whether the storage behind it has room. The observer applies
// the configured policy (cloudmanager.space_policy): with "warn" or "skip" it
// answers enough whatever the Cloud Manager says, so only "refuse" can stop a
// backup here.
//
// Estimate: a metadata-only walk of the source, counting what the pax stream
// needs for a full backup (allocated data blocks rounded to 512, three header
// blocks per entry, as the engine's own pre-walk does, plus the 1024-byte end
// of archive), not crossing mount points (the engine does not either). The
// walk stops after kEstimateBudget or kEstimateMaxEntries, because a DMA
// waits on the reply; then the estimate is the used space of the filesystem
// holding the source (statvfs), an upper bound for a tree that stays on one
// filesystem. An incremental backup is estimated as a full one: an upper
// bound, and the Cloud Manager answers about room, not about exact sizes.
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

// Estimates the full-backup stream size of `source_dir`.
SpaceEstimate estimate_backup_size(const std::string& source_dir);

// no_err when the backup may go on (no observer, or it answered enough);
// undefined when it is refused (logged and told to the DMA).
msg::Error check_backup_space(JobHost& s, const std::string& job_id, const std::string& source_dir,
                              house::ServiceLock& lock);

}  // namespace ndmp::server

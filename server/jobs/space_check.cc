#include "server/jobs/space_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <vector>

#include "common/escape.h"
#include "common/log.h"
#include "server/context/context.h"
#include "server/jobs/job_host.h"
#include "server/jobs/job_reporter.h"

namespace ndmp::server {
namespace {

namespace fs = std::filesystem;

// What one entry costs in the stream (backup_engine.cc's estimate_entry).
uint64_t entry_bytes(const struct stat& st) {
  uint64_t data = 0;
  if (S_ISREG(st.st_mode)) {
    data = std::min<uint64_t>(static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_blocks) * 512);
    data = (data + 511) / 512 * 512;
  }
  return data + 3 * 512;
}

uint64_t used_bytes_of(const std::string& path) {
  struct statvfs v{};
  if (::statvfs(path.c_str(), &v) != 0) return 0;
  return static_cast<uint64_t>(v.f_blocks - v.f_bfree) * v.f_frsize;
}

}  // namespace

SpaceEstimate estimate_backup_size(const std::string& source_dir) {
  SpaceEstimate est;
  struct stat root{};
  if (::lstat(source_dir.c_str(), &root) != 0) return est;
  const auto until = std::chrono::steady_clock::now() + kEstimateBudget;
  est.bytes = 1024 + entry_bytes(root);
  est.entries = 1;
  std::error_code ec;
  fs::recursive_directory_iterator it(source_dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    struct stat st{};
    if (::lstat(it->path().c_str(), &st) != 0) continue;  // vanished: the engine skips it too
    if (S_ISDIR(st.st_mode) && st.st_dev != root.st_dev) {
      it.disable_recursion_pending();  // a mount point: the engine does not cross it
      continue;
    }
    est.bytes += entry_bytes(st);
    if (++est.entries % 1024 == 0 &&
        (est.entries >= kEstimateMaxEntries || std::chrono::steady_clock::now() >= until)) {
      est.walked = false;
      est.bytes = used_bytes_of(source_dir);
      return est;
    }
  }
  return est;
}

msg::Error check_backup_space(JobHost& s, const std::string& job_id, const std::string& source_dir,
                              house::ServiceLock& lock) {
  JobEventSink* sink = s.ctx().jobs;
  if (!sink || !sink->answers_space_checks()) return msg::Error::no_err;
  lock.unlock();
  const SpaceEstimate est = estimate_backup_size(source_dir);
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

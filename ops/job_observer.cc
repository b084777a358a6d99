#include "ops/job_observer.h"

#include "common/escape.h"
#include "common/log.h"

namespace ndmp::ops {

void JobObserver::publish(const events::JobEvent& e) {
  using T = events::JobEventType;
  if (e.type != T::started && e.type != T::progress && e.type != T::halted && e.type != T::continued) return;
  const std::string kind = e.kind == events::JobKind::backup ? "backup" : "restore";
  {
    std::lock_guard lock(mu_);
    auto& t = totals_;
    if (e.type == T::started) {
      ++t.started[kind];
      t.running[e.job_id] = {kind, e.source_path, e.device, e.session_id, 0, 0, 0};
    } else if (auto it = t.running.find(e.job_id); it != t.running.end()) {
      auto& r = it->second;
      r.bytes = std::max(r.bytes, e.bytes);
      r.files = std::max(r.files, e.files);
      if (e.type == T::progress) r.rate = e.rate_bytes_per_sec;
      if (e.type == T::continued) r.device = e.device;
      if (e.type == T::halted) {
        ++t.finished[{kind, e.reason}];
        finished_bytes_[kind] += r.bytes;
        finished_files_[kind] += r.files;
        t.running.erase(it);
      }
    }
    // Totals: what finished jobs moved plus what running ones have moved so far.
    t.bytes = finished_bytes_;
    t.files = finished_files_;
    for (const auto& [id, r] : t.running) {
      t.bytes[r.kind] += r.bytes;
      t.files[r.kind] += r.files;
    }
  }
  if (e.type == T::started) {
    log::write_fields(log::Level::info,
                      fmt::format("job {}: {} of {} started (session {})", e.job_id, kind,
                                  log::escape(e.source_path), e.session_id),
                      {{"NDMP_EVENT", "job-start"},
                       {"NDMP_JOB_ID", e.job_id},
                       {"NDMP_SESSION", std::to_string(e.session_id)},
                       {"NDMP_JOB_TYPE", kind},
                       {"NDMP_EXPORT", log::escape(e.source_path)},
                       {"NDMP_DEVICE", log::escape(e.device)}});
  } else if (e.type == T::halted) {
    log::write_fields(e.reason == "SUCCESSFUL" ? log::Level::info : log::Level::warning,
                      fmt::format("job {}: {} of {} ended {}: {} bytes, {} files (session {})", e.job_id, kind,
                                  log::escape(e.source_path), e.reason, e.bytes, e.files, e.session_id),
                      {{"NDMP_EVENT", "job-end"},
                       {"NDMP_JOB_ID", e.job_id},
                       {"NDMP_SESSION", std::to_string(e.session_id)},
                       {"NDMP_JOB_TYPE", kind},
                       {"NDMP_EXPORT", log::escape(e.source_path)},
                       {"NDMP_DEVICE", log::escape(e.device)},
                       {"NDMP_BYTES", std::to_string(e.bytes)},
                       {"NDMP_FILES", std::to_string(e.files)},
                       {"NDMP_OUTCOME", e.reason}});
  }
  if ((e.type == T::started || e.type == T::halted) && changed_) changed_();
}

JobTotals JobObserver::snapshot() const {
  std::lock_guard lock(mu_);
  return totals_;
}

}  // namespace ndmp::ops

#include "server/jobs/job_reporter.h"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <algorithm>
#include <utility>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/log.h"
#include "server/context/context.h"
#include "server/datapath/device_state.h"
#include "server/jobs/job_state.h"
#include "server/datapath/tape_service.h"
#include "server/jobs/job_host.h"

namespace ndmp::server::report {

using SysClock = std::chrono::system_clock;

// A session has at most one DATA operation, so one job, kept in its
// SessionJobs (no process-wide registry).
struct Job {
  std::mutex mu;  // serialises this job's publishes, so their order is the order of events
  std::string id;
  JobKind kind = JobKind::backup;
  std::string source;
  std::string device;
  SysClock::time_point start;
  SysClock::time_point last_progress;
  bool progress_sent = false;
  uint64_t bytes = 0;
  uint64_t files = 0;
  uint64_t session_id = 0;
  bool ended = false;  // halted: a late progress or pause from a worker is dropped
  std::vector<uint8_t> tape_alerts;  // TapeAlert flags seen during the job, ascending
};

namespace {

std::shared_ptr<Job> find(JobHost& s) {
  auto& slot = s.jobs().report;
  std::lock_guard lock(slot.mu);
  return slot.job;
}

// Calls fn(sink, job) with the job's mutex held, when events are wanted and
// the session's job has not ended (a late event from a worker is dropped).
template <class Fn>
void with_live_job(JobHost& s, Fn&& fn) {
  JobEventSink* sink = s.ctx().jobs;
  if (!sink) return;
  auto job = find(s);
  if (!job) return;
  std::lock_guard lock(job->mu);
  if (job->ended) return;
  fn(*sink, *job);
}

JobEvent base(const Job& job, JobEventType type) {
  JobEvent e;
  e.job_id = job.id;
  e.kind = job.kind;
  e.type = type;
  e.source_path = job.source;
  e.device = job.device;
  e.bytes = job.bytes;
  e.files = job.files;
  e.session_id = job.session_id;
  if (type == JobEventType::exception || type == JobEventType::halted) e.tape_alert_flags = job.tape_alerts;
  e.when = SysClock::now();
  return e;
}

}  // namespace

std::string new_job_id() {
  // One generator per thread: boost's random_generator is not thread-safe and
  // seeding one per call would read the entropy source every time.
  thread_local boost::uuids::random_generator gen;
  return boost::uuids::to_string(gen());
}

void data_started(JobHost& s, const std::string& job_id, JobKind kind, const std::string& source_path) {
  JobEventSink* sink = s.ctx().jobs;
  if (!sink) return;
  auto job = std::make_shared<Job>();
  job->id = job_id;
  job->kind = kind;
  job->source = source_path;
  job->session_id = s.id();
  if (auto& tape = s.devices().tape) job->device = tape->name();
  job->start = SysClock::now();
  {
    auto& slot = s.jobs().report;
    std::lock_guard lock(slot.mu);
    slot.job = job;
  }
  std::lock_guard lock(job->mu);
  auto e = base(*job, JobEventType::started);
  e.text = fmt::format("{} of {} started", kind == JobKind::backup ? "backup" : "restore", source_path);
  sink->publish(e);
}

void data_bytes(JobHost& s, uint64_t n) {
  if (!s.ctx().jobs) return;
  const auto now = SysClock::now();
  uint64_t est_total = 0;
  std::optional<uint64_t> files;
  {
    // The engine's estimate (from its pre-walk) and file count, read on every
    // chunk so a job's halt carries its last count. Taken before the job's own
    // mutex: mover_changed holds the jobs mutex and then takes the job's.
    auto& j = s.jobs();
    std::lock_guard g(j.mu);
    if (j.backup_engine) {
      const auto p = j.backup_engine->progress();
      est_total = p.est_total_bytes;
      files = p.files_done;
    }
    if (j.restore_engine) files = j.restore_engine->progress().entries_restored;
  }
  const auto interval = s.ctx().settings()->config.cm_progress_interval;
  with_live_job(s, [&](JobEventSink& sink, Job& job) {
    job.bytes += n;
    if (files) job.files = *files;
    if (job.progress_sent && now - job.last_progress < interval) return;
    job.progress_sent = true;
    job.last_progress = now;
    auto e = base(job, JobEventType::progress);
    e.when = now;
    const double secs = std::chrono::duration<double>(now - job.start).count();
    e.rate_bytes_per_sec = secs > 0 ? static_cast<uint64_t>(static_cast<double>(job.bytes) / secs) : 0;
    if (est_total > 0 && e.rate_bytes_per_sec > 0)
      e.est_seconds_left =
          static_cast<int64_t>((est_total > job.bytes ? est_total - job.bytes : 0) / e.rate_bytes_per_sec);
    sink.publish(e);
  });
}

namespace {

// Publishes the halt of `job` (exception first when the connection was lost).
void publish_halt(JobEventSink& sink, Job& job, sm::DataHaltReason reason, const std::string& text,
                  uint64_t processed, uint64_t files) {
  std::lock_guard lock(job.mu);
  job.ended = true;
  // The engine's counts; direct-access restores read past data_bytes().
  job.bytes = std::max(job.bytes, processed);
  job.files = std::max(job.files, files);
  if (reason == sm::DataHaltReason::connect_error) {
    // A backup's data goes to the mover (its target); a restore's comes from it.
    auto x = base(job, JobEventType::exception);
    x.reason = job.kind == JobKind::backup ? "TARGET_LOST" : "SOURCE_LOST";
    x.text = text.empty() ? "the data connection to the mover was lost" : text;
    sink.publish(x);
  }
  auto e = base(job, JobEventType::halted);
  // NA would mean no halt was recorded (never by the DATA table); it is
  // reported as an internal error rather than left out.
  e.reason = std::string(sm::to_string(reason == sm::DataHaltReason::na ? sm::DataHaltReason::internal_error : reason));
  e.text = text;
  sink.publish(e);
}

std::shared_ptr<Job> take(JobHost& s) {
  auto& slot = s.jobs().report;
  std::lock_guard lock(slot.mu);
  return std::exchange(slot.job, nullptr);
}

}  // namespace

void data_halted(JobHost& s, sm::DataHaltReason reason, const std::string& text) {
  JobEventSink* sink = s.ctx().jobs;
  if (!sink) return;
  auto job = take(s);
  if (!job) return;  // already reported (an ABORT after the end, or twice)
  publish_halt(*sink, *job, reason, text, s.jobs().dv.bytes_processed, s.jobs().dv.files_processed);
}

void data_worker_done(JobHost& s) {
  JobEventSink* sink = s.ctx().jobs;
  if (!sink) return;
  auto job = take(s);
  if (!job) return;  // the usual case: finish() or DATA_ABORT reported the halt
  sm::DataHaltReason reason = sm::DataHaltReason::na;
  std::string text;
  uint64_t processed = 0, files = 0;
  {
    auto& j = s.jobs();
    std::lock_guard g(j.mu);
    // The session ended with the job running: SessionJobs::shutdown aborted it.
    if (j.data) reason = j.data->halt_reason();
    text = j.dv.halt_text.empty() ? "the DMA went away with the job running" : j.dv.halt_text;
    processed = j.dv.bytes_processed;
    files = j.dv.files_processed;
  }
  publish_halt(*sink, *job, reason == sm::DataHaltReason::na ? sm::DataHaltReason::aborted : reason, text, processed, files);
}

void mover_changed(JobHost& s, const sm::MoverMachine& m, const std::string& text) {
  with_live_job(s, [&](JobEventSink& sink, Job& job) {
    const bool media_error =
        (m.state() == sm::MoverState::paused && m.pause_reason() == sm::MoverPauseReason::media_error) ||
        (m.state() == sm::MoverState::halted && m.halt_reason() == sm::MoverHaltReason::media_error);
    if (media_error) {
      auto x = base(job, JobEventType::exception);
      x.reason = "MEDIA_ERROR";
      x.text = text;
      sink.publish(x);
    }
    if (m.state() == sm::MoverState::paused) {
      auto e = base(job, JobEventType::paused);
      e.reason = std::string(sm::to_string(m.pause_reason()));
      e.text = text.empty() ? fmt::format("waiting for the DMA ({})", e.reason) : text;
      sink.publish(e);
    }
  });
}

void mover_continued(JobHost& s, const std::string& tape) {
  with_live_job(s, [&](JobEventSink& sink, Job& job) {
    job.device = tape;
    auto e = base(job, JobEventType::continued);
    e.text = fmt::format("continues on tape {}", tape);
    sink.publish(e);
  });
}

namespace {

// An event of a job that is not (yet) the session's job.
void publish_unstarted(JobHost& s, JobEventType type, const std::string& job_id, JobKind kind,
                       const std::string& source_path, const std::string& reason, const std::string& text) {
  JobEventSink* sink = s.ctx().jobs;
  if (!sink) return;
  JobEvent e;
  e.job_id = job_id;
  e.kind = kind;
  e.type = type;
  e.reason = reason;
  e.text = text;
  e.source_path = source_path;
  if (auto& tape = s.devices().tape) e.device = tape->name();
  e.when = SysClock::now();
  sink->publish(e);
}

}  // namespace

void job_refused(JobHost& s, const std::string& job_id, JobKind kind, const std::string& source_path,
                 const std::string& reason, const std::string& text) {
  publish_unstarted(s, JobEventType::refused, job_id, kind, source_path, reason, text);
}

void job_warned(JobHost& s, const std::string& job_id, JobKind kind, const std::string& source_path,
                const std::string& reason, const std::string& text) {
  publish_unstarted(s, JobEventType::exception, job_id, kind, source_path, reason, text);
}

void device_failed(JobHost& s, const std::string& reason, const std::string& device, const std::string& text) {
  JobEventSink* sink = s.ctx().jobs;
  if (!sink) return;
  if (auto job = find(s)) {
    std::lock_guard lock(job->mu);
    auto e = base(*job, JobEventType::exception);
    e.reason = reason;
    e.text = text;
    e.device = device;
    sink->publish(e);
    return;
  }
  JobEvent e;
  e.type = JobEventType::exception;
  e.reason = reason;
  e.text = text;
  e.device = device;
  e.when = SysClock::now();
  sink->publish(e);
}

bool device_offline(dev::Category c) {
  using dev::Category;
  return c == Category::hardware_error || c == Category::timeout || c == Category::transport ||
         c == Category::no_device;
}

void note_tape_alerts(JobHost& s, const std::vector<uint8_t>& flags) {
  auto job = find(s);
  if (!job) return;
  std::lock_guard lock(job->mu);
  auto& seen = job->tape_alerts;
  for (uint8_t f : flags)
    if (auto at = std::lower_bound(seen.begin(), seen.end(), f); at == seen.end() || *at != f) seen.insert(at, f);
}

std::string current_job_id(JobHost& s) {
  auto job = find(s);
  return job ? job->id : std::string();
}

}  // namespace ndmp::server::report

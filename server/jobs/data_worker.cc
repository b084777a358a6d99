// The DATA service's worker: runs the backup or restore engine (backup/)
// against the data connection and reports to the DMA.
//
// Backup: the engine writes the pax stream into the connection; file history
// leaves in batches (FH_ADD_FILE, FH_ADD_DIR + FH_ADD_NODE for HIST=d, or
// FH_ADD_UNIX_PATH in v2; fh_batches.h) carrying each entry's stream offset
// as fh_info, so the DMA can ask for direct access later. At the end the connection is closed first, then every FH and LOG
// post, then NOTIFY_DATA_HALTED (SPEC4 D.1, facts 6.9).
// Restore: NOTIFY_DATA_READ before any data is expected (the DMA forwards it
// as MOVER_READ; facts 6.10), then the engine reads the stream; one LOG_FILE
// per requested name, before the halt.
#include <chrono>
#include <mutex>
#include <condition_variable>
#include <thread>
#include <deque>
#include <cstring>
#include <functional>
#include <optional>

#include "common/escape.h"
#include "common/log.h"
#include "server/context/context.h"
#include "server/jobs/fh_batches.h"
#include "server/jobs/job_state.h"
#include "server/jobs/job_reporter.h"
#include "server/jobs/job_host.h"
#include "server/jobs/tape_alert_report.h"
#include "snapshot/backup_source.h"

namespace ndmp::server {
namespace {

using Lock = house::ServiceLock;

class ChannelSink : public backup::ByteSink {
 public:
  ChannelSink(JobHost& s, std::shared_ptr<Channel> c) : s_(s), c_(std::move(c)) {}
  backup::Status write(std::span<const std::byte> data) override {
    if (!c_->write_all({reinterpret_cast<const uint8_t*>(data.data()), data.size()}))
      return backup::Status::connection("the data connection to the mover was lost");
    report::data_bytes(s_, data.size());
    return {};
  }

 private:
  JobHost& s_;
  std::shared_ptr<Channel> c_;
};

class ChannelSource : public backup::ByteSource {
 public:
  ChannelSource(JobHost& s, std::shared_ptr<Channel> c) : s_(s), c_(std::move(c)) {}
  backup::Status read(std::span<std::byte> buf, size_t& got) override {
    long n = c_->read({reinterpret_cast<uint8_t*>(buf.data()), buf.size()});
    if (n < 0) return backup::Status::connection("the data connection from the mover was lost");
    got = static_cast<size_t>(n);
    report::data_bytes(s_, got);
    return {};
  }
  // Over the in-process pipe the engine reads the mover's bytes where they
  // lie in the ring, one copy less per byte.
  bool view(const std::byte*& data, size_t& got, backup::Status& st) override {
    const uint8_t* p = nullptr;
    long n = c_->view_some(kViewBytes, p);
    if (n == Channel::kNoView) return false;
    if (n < 0) {
      st = backup::Status::connection("the data connection from the mover was lost");
      return true;
    }
    data = reinterpret_cast<const std::byte*>(p);
    got = static_cast<size_t>(n);
    report::data_bytes(s_, got);
    st = {};
    return true;
  }
  void release(size_t n) override { c_->consume(n); }

 private:
  static constexpr size_t kViewBytes = 1 << 20;
  JobHost& s_;
  std::shared_ptr<Channel> c_;
};

// Direct access reads: the data service asks the DMA (NOTIFY_DATA_READ ->
// MOVER_READ) for bounded pieces of the stream, because a tar entry's length
// is known only once its header is read and only one read may be outstanding.
// Pieces start at 256 KiB and double up to 64 MiB. The last 4 MiB taken from
// the connection are kept, so a range that starts inside what was already
// read (the engine reads ahead; nearby files share a piece) is served from
// memory instead of asking the mover to go back; a range further on skips
// forward inside the current piece, or drains it and asks for a new one.
class DirectAccessSource : public backup::ByteSource {
 public:
  using PostRead = std::function<void(uint64_t, uint64_t)>;
  DirectAccessSource(std::shared_ptr<Channel> c, PostRead post) : c_(std::move(c)), post_(std::move(post)) {}

  backup::Status start(uint64_t offset) {
    if (offset >= hist_base_ && offset <= pos_) {  // already here or just behind: replay
      serve_ = offset;
      return {};
    }
    if (offset > pos_ && offset - pos_ < left_) {  // ahead inside the current piece: skip
      if (auto st = pull_until(offset); !st.ok()) return st;
      serve_ = offset;
      return {};
    }
    if (auto st = pull_until(pos_ + left_); !st.ok()) return st;  // drain, then a new read
    pos_ = serve_ = hist_base_ = offset;
    hist_.clear();
    left_ = 0;
    piece_ = kFirstPiece;
    return {};
  }

  backup::Status read(std::span<std::byte> buf, size_t& got) override {
    got = 0;
    if (serve_ < pos_) {
      const uint64_t n = std::min<uint64_t>(buf.size(), pos_ - serve_);
      std::memcpy(buf.data(), hist_.data() + (serve_ - hist_base_), n);
      serve_ += n;
      got = n;
      return {};
    }
    if (ended_) return {};
    if (left_ == 0) {
      post_(pos_, piece_);
      left_ = piece_;
      piece_ = std::min(piece_ * 2, kMaxPiece);
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), left_));
    long n = c_->read({reinterpret_cast<uint8_t*>(buf.data()), want});
    if (n < 0) return backup::Status::connection("the data connection from the mover was lost");
    if (n == 0) {
      ended_ = true;  // the DMA closed the mover: the stream ends here
      return {};
    }
    keep(reinterpret_cast<const uint8_t*>(buf.data()), static_cast<size_t>(n));
    serve_ = pos_;
    got = static_cast<size_t>(n);
    return {};
  }

 private:
  static constexpr uint64_t kFirstPiece = 256 * 1024;
  static constexpr uint64_t kMaxPiece = 64ull << 20;
  static constexpr size_t kKeep = 4u << 20;

  void keep(const uint8_t* p, size_t n) {
    hist_.insert(hist_.end(), p, p + n);
    pos_ += n;
    left_ -= std::min<uint64_t>(left_, n);
    if (hist_.size() > 2 * kKeep) {  // amortised trim to the last kKeep bytes
      const size_t drop = hist_.size() - kKeep;
      hist_.erase(hist_.begin(), hist_.begin() + static_cast<std::ptrdiff_t>(drop));
      hist_base_ += drop;
    }
  }
  backup::Status pull_until(uint64_t target) {
    std::vector<uint8_t> scratch(64 * 1024);
    while (pos_ < target && left_ > 0 && !ended_) {
      long n = c_->read({scratch.data(), static_cast<size_t>(std::min<uint64_t>({scratch.size(), left_, target - pos_}))});
      if (n < 0) return backup::Status::connection("the data connection from the mover was lost");
      if (n == 0) {
        ended_ = true;
        break;
      }
      keep(scratch.data(), static_cast<size_t>(n));
    }
    return {};
  }

  std::shared_ptr<Channel> c_;
  PostRead post_;
  std::vector<uint8_t> hist_;  // bytes [hist_base_, pos_) as read from the connection
  uint64_t hist_base_ = 0;
  uint64_t pos_ = 0;    // stream offset of the next byte from the connection
  uint64_t serve_ = 0;  // stream offset of the next byte handed to the engine
  uint64_t left_ = 0;   // bytes of the current read not yet received
  uint64_t piece_ = kFirstPiece;
  bool ended_ = false;
};

// Batches file history into posts and sends them from a thread of its own,
// so encoding and the DMA's socket stay off the backup's critical path.
// At most kQueued full batches wait; a DMA slower than the backup then slows
// the backup, never memory (issue 5: "file history never stalls the backup
// beyond a bounded queue"). flush() sends what is left and waits until every
// batch is out, so all file history precedes NOTIFY_DATA_HALTED (SPEC4 D.4).
// Engine warnings (a vanished or unreadable file) go to the log and the DMA.
class DmaWarnings : public backup::WarningSink {
 public:
  DmaWarnings(JobHost& s, const char* what) : s_(s), what_(what) {}
  void warning(std::string_view text) override {
    log::warn("{}: {}: {}", s_.tag(), what_, text);
    log_to_dma(s_, msg::LogType::warning, std::string(text));
  }

 private:
  JobHost& s_;
  const char* what_;
};

class HistoryPoster : public backup::FileHistorySink {
 public:
  static constexpr size_t kQueued = 8;
  HistoryPoster(JobHost& s, HistoryStyle style)
      : s_(s), batcher_(style, [this](FhBatch b) { hand_over(std::move(b)); }), sender_([this] { send_loop(); }) {}
  ~HistoryPoster() override {
    flush();
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    sender_.join();
  }

  backup::Status add(const backup::FileHistoryEntry& e) override {
    batcher_.add(e);
    return {};
  }
  // Sends the partial batch and waits until the queue is empty.
  void flush() {
    batcher_.flush();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.empty() && !sending_; });
  }

 private:
  using Batch = FhBatch;
  void hand_over(Batch b) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < kQueued; });
    queue_.push_back(std::move(b));
    cv_.notify_all();
  }
  void send_loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      Batch b = std::move(queue_.front());
      queue_.pop_front();
      sending_ = true;
      cv_.notify_all();
      lock.unlock();
      s_.send_post(b.code, *b.body, PostKind::bulk);
      lock.lock();
      sending_ = false;
      cv_.notify_all();
    }
  }
  JobHost& s_;
  FhBatcher batcher_;  // the batches being filled (engine thread)
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  bool sending_ = false;
  bool done_ = false;
  std::thread sender_;  // last: starts after the members it uses
};

sm::DataEvent halt_event_for(const backup::Status& st) {
  return st.code() == backup::Status::Code::connection ? sm::DataEvent::connection_error : sm::DataEvent::internal_error;
}

void finish(JobHost& s, SessionJobs& j, sm::DataEvent e, const std::string& text) {
  Lock lock(j.mu);
  if (j.data_channel) j.data_channel->close_write();
  j.backup_engine = nullptr;
  j.restore_engine = nullptr;
  auto& m = *j.data;
  auto r = m.apply(e);
  if (!r.ok()) return;  // the DMA aborted first; its post is out already
  j.dv.halt_text = text;
  report::data_halted(s, m.halt_reason(), text);
  // On success the stream was closed in order: the peer drains what is in
  // flight. Only a failed job tears the connection down.
  if (j.data_channel && e != sm::DataEvent::completed) j.data_channel->shutdown();
  post_notifications(s, m.take_notifications(), false, text);
}

class LogFileReporter : public backup::RestoreReporter {
 public:
  explicit LogFileReporter(JobHost& s) : s_(s) {}
  void name_result(size_t, const backup::NlistEntry& entry, const backup::NameResult& r) override {
    msg::LogFilePost p;
    p.name = entry.original_path;
    switch (r.outcome) {
      case backup::NameOutcome::restored:
        p.error = msg::Error::no_err;
        p.status = msg::RecoveryStatus::successful;
        break;
      case backup::NameOutcome::not_found:
        p.error = msg::Error::file_not_found;
        p.status = msg::RecoveryStatus::failed_not_found;
        break;
      case backup::NameOutcome::failed:
        p.error = msg::Error::io;
        // 7 (FILE_PATH_EXISTS) is unknown to ndmjob: 6 is the safe catch-all.
        p.status = msg::RecoveryStatus::failed_undefined_error;
        break;
    }
    log::info("{}: restore: {} {}{}", s_.tag(), log::escape(entry.original_path), backup::to_string(r.outcome),
              r.reason.empty() ? "" : ": " + r.reason);
    s_.send_post(msg::code::LOG_FILE, p, PostKind::bulk);
  }
  // Digest and compare results (issue 18): a damaged or differing file is
  // an I/O error for that file; a verified or unverifiable one is a success
  // (the summary LOG counts the unverified).
  void file_result(const std::string& path, const backup::FileResult& r) override {
    msg::LogFilePost p;
    p.name = path;
    const bool bad =
        r.outcome == backup::FileResult::Outcome::mismatch || r.outcome == backup::FileResult::Outcome::differs;
    p.error = bad ? msg::Error::io : msg::Error::no_err;
    p.status = bad ? msg::RecoveryStatus::failed_io_error : msg::RecoveryStatus::successful;
    if (bad) log::warn("{}: {}: {}", s_.tag(), log::escape(path), backup::to_string(r.outcome));
    s_.send_post(msg::code::LOG_FILE, p, PostKind::bulk);
  }

 private:
  JobHost& s_;
};

}  // namespace

void start_data_backup(JobHost& s, backup::BackupRequest req, snapshot::SourcePlan plan) {
  auto& j = s.jobs();
  j.data_worker = std::thread([&s, &j, req = std::move(req), plan = std::move(plan)]() mutable {
    Lock lock(j.mu);
    auto chan = j.data_channel;
    lock.unlock();
    // The snapshot (or the live tree) before the walk; the DMA is told which.
    auto source = snapshot::prepare(plan, req);
    if (!source.status.ok()) {
      std::string text = fmt::format("backup of {} failed: {}", log::escape(req.options.filesystem), source.status.text());
      log::error("{}: {}", s.tag(), text);
      log_to_dma(s, msg::LogType::error, text);
      finish(s, j, sm::DataEvent::internal_error, text);
      report::data_worker_done(s);
      return;
    }
    log::info("{}: {}", s.tag(), source.dma_text);
    log_to_dma(s, source.fell_back ? msg::LogType::warning : msg::LogType::normal, source.dma_text);
    if (!plan.decision.note.empty()) log_to_dma(s, msg::LogType::warning, plan.decision.note);
    ChannelSink sink(s, chan);
    const bool hist = req.options.history != backup::HistoryMode::none;
    const HistoryStyle style = history_style(s.version(), req.options.history);
    HistoryPoster history(s, style);
    DmaWarnings warnings(s, "backup");
    std::optional<backup::BackupEngine> engine;
    engine.emplace(req, sink, hist ? &history : nullptr, &warnings);
    lock.lock();
    j.backup_engine = &*engine;
    // A DATA_ABORT that came while the snapshot was made found no engine to cancel.
    if (j.data->state() != sm::DataState::active) engine->cancel();
    lock.unlock();
    log::info("{}: backup of {} started (level {}, file history {})", s.tag(), log::escape(req.options.filesystem),
              req.options.level, hist ? to_string(style) : "off");
    auto t0 = std::chrono::steady_clock::now();
    backup::BackupSummary sum;
    backup::Status st = engine->run(&sum);
    chan->close_write();  // end of stream for the mover, before the halt post
    history.flush();
    if (st.ok() && !chan->await_reader())
      st = backup::Status::connection("the mover stopped before the whole stream was on tape");
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    lock.lock();
    j.backup_engine = nullptr;
    lock.unlock();
    // The snapshot goes before the halt is reported, so a DMA that sees the
    // job end finds it gone; nothing may hold its descriptors then.
    engine.reset();
    req.source = {};
    if (source.snapshot)
      if (auto rm = source.snapshot->remove(); !rm.ok())
        log_to_dma(s, msg::LogType::warning, fmt::format("the snapshot could not be removed: {}", rm.text()));
    lock.lock();
    j.dv.bytes_processed = sum.bytes_written;
    j.dv.files_processed = sum.entries;
    for (const auto& [k, v] : sum.env_additions) {
      bool replaced = false;
      for (auto& p : j.dv.env)
        if (p.name == k) p.value = v, replaced = true;
      if (!replaced) j.dv.env.push_back({k, v});
    }
    lock.unlock();
    report_tape_alerts_after_job(s);  // before the halt, which carries the flags
    if (st.ok()) {
      std::string text = fmt::format("backup of {} done: {} entries, {} bytes in {:.1f} s ({:.1f} MB/s){}",
                                     log::escape(req.options.filesystem), sum.entries, sum.bytes_written, secs,
                                     secs > 0 ? sum.bytes_written / secs / 1e6 : 0.0,
                                     sum.skipped ? fmt::format(", {} skipped (see log)", sum.skipped) : "");
      log::info("{}: {}", s.tag(), text);
      log_to_dma(s, msg::LogType::normal, text);
      finish(s, j, sm::DataEvent::completed, text);
    } else {
      std::string text = fmt::format("backup of {} failed: {}", log::escape(req.options.filesystem), st.to_string());
      log::error("{}: {}", s.tag(), text);
      log_to_dma(s, msg::LogType::error, text);
      finish(s, j, halt_event_for(st), text);
    }
    report::data_worker_done(s);
  });
}

void start_data_recover(JobHost& s, backup::RestoreRequest req, bool direct, sm::DataEvent) {
  auto& j = s.jobs();
  j.data_worker = std::thread([&s, &j, req = std::move(req), direct]() mutable {
    Lock lock(j.mu);
    auto chan = j.data_channel;
    lock.unlock();
    LogFileReporter reporter(s);
    DmaWarnings warnings(s, "restore");
    backup::RestoreEngine engine(req, &reporter, &warnings);
    lock.lock();
    j.restore_engine = &engine;
    lock.unlock();
    ChannelSource source(s, chan);
    // destination_root is already printable (data.cc); the other names are raw.
    log::info("{}: {} started ({} name(s){})", s.tag(), backup::job_title(req), req.nlist.size(),
              direct ? ", direct access" : "");
    const auto t0 = std::chrono::steady_clock::now();
    backup::Status st;
    auto post_read = [&](uint64_t offset, uint64_t length) {
      {
        std::lock_guard g(j.mu);
        j.dv.read_offset = offset;
        j.dv.read_length = length;
      }
      msg::NotifyDataReadPost p;
      p.offset = offset;
      p.length = length;
      s.send_post(msg::code::NOTIFY_DATA_READ, p);
    };
    if (direct && !req.nlist.empty()) {
      // Direct access: each planned range is read from its offset in
      // bounded pieces, so the mover reads only what the engine needs.
      DirectAccessSource dar(chan, post_read);
      for (const auto& range : backup::plan_direct_reads(req.nlist)) {
        st = dar.start(range.offset);
        if (st.ok()) st = engine.run_range(dar, range);
        if (!st.ok()) break;
      }
      if (st.ok()) st = engine.finish();
    } else {
      post_read(0, kInfinity);
      st = engine.run(source);
    }
    auto sum = engine.summary();
    lock.lock();
    j.restore_engine = nullptr;
    j.dv.bytes_processed = sum.bytes_read;
    j.dv.files_processed = sum.entries_restored;
    lock.unlock();
    report_tape_alerts_after_job(s);  // before the halt, which carries the flags
    if (st.ok()) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::string text = backup::summary_text(req, sum, secs);
      const bool damaged = sum.digest_mismatches || sum.entries_differ;
      log::info("{}: {}", s.tag(), text);
      log_to_dma(s, damaged ? msg::LogType::error : msg::LogType::normal, text);
      finish(s, j, sm::DataEvent::completed, text);
    } else {
      std::string text = fmt::format("{} failed: {}", backup::job_title(req), st.to_string());
      log::error("{}: {}", s.tag(), text);
      log_to_dma(s, msg::LogType::error, text);
      finish(s, j, halt_event_for(st), text);
    }
    report::data_worker_done(s);
  });
}

}  // namespace ndmp::server

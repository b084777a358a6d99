// The MOVER's worker: moves the image stream between the data connection and
// the tape in records of record_size.
//
// Backup (mode READ: connection -> tape): fill a record, check the window,
// write it; early warning pauses EOM after the record is written, a refused
// write (EOM) pauses and retries the same record after CONTINUE; the end of
// the stream pads the last record with zeros (bytes_moved excludes padding)
// and halts CONNECT_CLOSED (SPEC4 D.1).
// Restore (mode WRITE: tape -> connection): wait for MOVER_READ, position on
// the record holding the offset (inside the window, else pause SEEK), stream
// records to the connection; a file mark pauses EOF, end of data pauses EOM.
//
// Memory: one record buffer per job, reused for every record.
#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "server/context/context.h"
#include "server/datapath/device_state.h"
#include "server/jobs/job_state.h"
#include "server/jobs/job_reporter.h"
#include "server/jobs/job_host.h"
#include "server/jobs/tape_alert_report.h"
#include "server/datapath/tape_service.h"

namespace ndmp::server {
namespace {

using Lock = house::ServiceLock;

// Applies an internal event and posts what it owes. Returns false if the
// machine refused it (the DMA got there first: abort, close).
bool event(JobHost& s, SessionJobs& j, sm::MoverEvent e, uint64_t seek = 0, const std::string& text = {}) {
  auto& m = *j.mover;
  sm::MoverArgs args;
  args.seek_position = seek;
  auto r = m.apply(e, args);
  if (!r.ok()) return false;
  post_notifications(s, m.take_notifications(), false, text);
  report::mover_changed(s, m, text);
  return true;
}

// Waits until the DMA continues (true) or the mover halted/stopped (false).
bool wait_continue(SessionJobs& j, Lock& lock) {
  j.cv.wait(lock, [&] { return j.mover->state() != sm::MoverState::paused; });
  return j.mover->state() == sm::MoverState::active;
}

bool in_window(const MoverVars& v, uint64_t offset) {
  if (offset < v.window_offset) return false;
  if (v.window_length == kInfinity) return true;
  return offset - v.window_offset < v.window_length;
}

// The stream ended (halt CONNECT_CLOSED). In a tape-only session (a
// three-way job: DATA runs elsewhere and cannot read this drive) the
// TapeAlert flags go to the DMA first, before the halt it acts on.
void halt_end_of_stream(JobHost& s, SessionJobs& j, Lock& lock) {
  const bool data_here = j.data && j.data->state() != sm::DataState::idle;
  if (auto tape = j.mover_tape; tape && !data_here) {
    lock.unlock();
    report_tape_alerts(s, *tape, "after the job");
    lock.lock();
    if (j.mover->state() != sm::MoverState::active) return;
  }
  event(s, j, sm::MoverEvent::connection_closed);
}

void halt_on_tape_error(JobHost& s, SessionJobs& j, Lock& lock, const TapeIo& t, bool& keep_going) {
  // v4 halts on a media error; v2/v3 pause MEDIA_ERROR and let the DMA decide.
  // Only a halt ends the stream: a paused mover keeps the data connection so
  // MOVER_CONTINUE can retry the record (MOVER_ABORT shuts it down).
  // The count tells the operator how far the tape is readable.
  log::error("{}: mover: tape error: {} ({} records written)", s.tag(), t.why, j.mv.record_num);
  event(s, j, sm::MoverEvent::media_error, j.mv.bytes_moved, t.why);
  if (j.mover->state() != sm::MoverState::paused) j.mover_channel->shutdown();
  keep_going = j.mover->state() == sm::MoverState::paused && wait_continue(j, lock);
}

// The next record of the stream: straight from the local pipe's ring when it
// lies there in one piece (no copy; consume() once it is on tape), else
// gathered into `rec`. `fill` bytes of it are data; false means the data
// connection failed.
struct NextRecord {
  std::span<const uint8_t> bytes;
  size_t fill = 0;
  bool viewed = false;
};

bool next_record(Channel& chan, std::vector<uint8_t>& rec, NextRecord& out, bool& eof) {
  const size_t rs = rec.size();
  out = {};
  const uint8_t* p = nullptr;
  long v = chan.view(rs, p);
  if (v == static_cast<long>(rs)) {
    out = {std::span<const uint8_t>(p, rs), rs, true};
    return true;
  }
  if (v < 0 && v != Channel::kNoView) return false;
  if (v == 0) {
    eof = true;
    return true;
  }
  size_t fill = 0;
  while (fill < rs && !eof) {
    long n = chan.read(std::span<uint8_t>(rec.data() + fill, rs - fill));
    if (n < 0) return false;
    if (n == 0) eof = true;
    fill += static_cast<size_t>(n);
  }
  if (fill < rs) std::memset(rec.data() + fill, 0, rs - fill);  // pad the last record
  out = {std::span<const uint8_t>(rec), fill, false};
  return true;
}

void run_backup(JobHost& s, SessionJobs& j) {
  Lock lock(j.mu);
  auto chan = j.mover_channel;
  const uint32_t rs = j.mv.record_size;
  std::vector<uint8_t> rec(rs);
  // Over TCP, receive on a thread of its own while records go to tape.
  // Aborts still reach the socket through j.mover_channel.
  if (j.mv.addr_type == msg::AddrType::tcp) chan = make_read_ahead(chan, rs);
  lock.unlock();
  bool eof = false;
  for (;;) {
    NextRecord next;
    if (!next_record(*chan, rec, next, eof)) {
      lock.lock();
      if (j.mover->state() == sm::MoverState::active) {
        log::error("{}: mover: the data connection failed ({})", s.tag(), chan->describe());
        event(s, j, sm::MoverEvent::connection_error);
      }
      return;
    }
    const size_t fill = next.fill;
    lock.lock();
    if (j.mover->state() != sm::MoverState::active) return;  // aborted meanwhile
    if (fill == 0) {
      log::info("{}: mover: end of the backup stream; {} bytes in {} records", s.tag(), j.mv.bytes_moved,
                j.mv.record_num);
      halt_end_of_stream(s, j, lock);
      return;
    }
    for (;;) {
      // End of window: detected only when trying to write past it (SPEC4 3.6.2.3).
      const uint64_t pos = j.mv.record_num * rs;
      if (j.mv.window_length != kInfinity && pos + rs > j.mv.window_offset + j.mv.window_length) {
        log::info("{}: mover: end of window at {} bytes; waiting for the DMA", s.tag(), pos);
        event(s, j, sm::MoverEvent::pause_eow, pos);
        if (!wait_continue(j, lock)) return;
        continue;
      }
      auto tape = j.mover_tape;
      if (!tape) return;
      const std::string tape_name = tape->name();
      lock.unlock();
      TapeIo t = tape->write(next.bytes);
      const bool warned = t.error == msg::Error::no_err && tape->take_early_warning();
      if (t.error != msg::Error::no_err && t.error != msg::Error::eom) report_tape_alerts(s, *tape, "after a tape error");
      tape.reset();  // never hold the drive across a pause: the DMA changes tapes then
      lock.lock();
      if (j.mover->state() != sm::MoverState::active) return;
      if (t.error == msg::Error::no_err) {
        ++j.mv.record_num;
        j.mv.bytes_moved += fill;
        if (next.viewed) chan->consume(fill);
        if (warned) {
          log::info("{}: mover: tape {} reached early warning after {} bytes; waiting for a new tape", s.tag(),
                    tape_name, j.mv.bytes_moved);
          event(s, j, sm::MoverEvent::pause_eom, j.mv.bytes_moved);
          if (!wait_continue(j, lock)) return;
        }
        break;
      }
      if (t.error == msg::Error::eom) {
        log::info("{}: mover: tape {} is full; waiting for a new tape", s.tag(), tape_name);
        event(s, j, sm::MoverEvent::pause_eom, j.mv.bytes_moved);
        if (!wait_continue(j, lock)) return;
        continue;  // the same record again, on the new tape
      }
      bool again = false;
      halt_on_tape_error(s, j, lock, t, again);
      if (!again) return;
    }
    if (eof) {
      log::info("{}: mover: backup stream complete: {} bytes in {} records of {}", s.tag(), j.mv.bytes_moved,
                j.mv.record_num, rs);
      halt_end_of_stream(s, j, lock);
      return;
    }
    lock.unlock();
  }
}

void run_restore(JobHost& s, SessionJobs& j) {
  Lock lock(j.mu);
  auto chan = j.mover_channel;
  const uint32_t rs = j.mv.record_size;
  std::vector<uint8_t> rec;
  rec.reserve(rs);
  for (;;) {
    // The DMA forwards the data service's NOTIFY_DATA_READ as MOVER_READ; until
    // then nothing moves (facts 6.10).
    j.cv.wait(lock, [&] { return j.mover->state() != sm::MoverState::active || j.mv.bytes_left_to_read > 0; });
    if (j.mover->state() != sm::MoverState::active) {
      if (j.mover->state() == sm::MoverState::paused) {
        if (!wait_continue(j, lock)) return;
        continue;
      }
      return;
    }
    const uint64_t offset = j.mv.seek_position;
    if (!in_window(j.mv, offset)) {
      event(s, j, sm::MoverEvent::pause_seek, offset);
      if (!wait_continue(j, lock)) return;
      continue;
    }
    auto tape = j.mover_tape;
    if (!tape) return;
    const uint64_t want = offset / rs;
    const int64_t delta = static_cast<int64_t>(want) - static_cast<int64_t>(j.mv.record_num);
    lock.unlock();
    TapeIo t;
    if (delta != 0) {
      // Records of the window are contiguous on this tape: LOCATE or space to them.
      t = tape->seek_records(delta, 4);
      if (t.error == msg::Error::no_err && t.count != 0) t.error = msg::Error::eof;
    }
    if (t.error == msg::Error::no_err) t = tape->read(rs, rec, 4);
    if (t.error != msg::Error::no_err && t.error != msg::Error::eof && t.error != msg::Error::eom)
      report_tape_alerts(s, *tape, "after a tape error");
    const std::string tape_name = tape->name();
    tape.reset();  // never hold the drive across a pause
    lock.lock();
    if (j.mover->state() != sm::MoverState::active) return;
    if (delta != 0 && t.error == msg::Error::no_err) j.mv.record_num = want;
    if (t.error == msg::Error::eof || t.error == msg::Error::eom) {
      const bool mark = t.error == msg::Error::eof;
      log::info("{}: mover: {} on tape {} at stream offset {}; waiting for the DMA", s.tag(),
                mark ? "file mark" : "end of data", tape_name, offset);
      event(s, j, mark ? sm::MoverEvent::pause_eof : sm::MoverEvent::pause_eom, offset);
      if (!wait_continue(j, lock)) return;
      continue;
    }
    if (t.error != msg::Error::no_err) {
      bool again = false;
      halt_on_tape_error(s, j, lock, t, again);
      if (!again) return;
      continue;
    }
    ++j.mv.record_num;
    const uint64_t skip = offset - want * rs;
    if (skip >= rec.size()) continue;  // a short record before the offset
    uint64_t n = std::min<uint64_t>(rec.size() - skip, j.mv.bytes_left_to_read);
    lock.unlock();
    const bool ok = chan->write_all(std::span<const uint8_t>(rec.data() + skip, n));
    lock.lock();
    if (j.mover->state() != sm::MoverState::active) return;
    if (!ok) {
      // The data service closed its end: it has what it needs (SPEC4 D.2).
      log::info("{}: mover: the data service closed the connection after {} bytes", s.tag(), j.mv.bytes_moved);
      halt_end_of_stream(s, j, lock);
      return;
    }
    j.mv.bytes_moved += n;
    j.mv.seek_position += n;
    if (j.mv.bytes_left_to_read != kInfinity) j.mv.bytes_left_to_read -= n;
  }
}

}  // namespace

namespace {
// The worker thread's body once the mover is ACTIVE.
void run_mover(JobHost& s, SessionJobs& j, bool backup) {
  if (backup)
    run_backup(s, j);
  else
    run_restore(s, j);
  // End of stream for the data service; it drains what is still in
  // flight (an abort already tore the connection down).
  std::lock_guard lock(j.mu);
  if (j.mover_channel) j.mover_channel->close_write();
}
}  // namespace

void start_mover_worker(JobHost& s) {
  auto& j = s.jobs();
  const bool backup = j.mover->mode() == sm::MoverMode::read;
  j.mover_worker = std::thread([&s, &j, backup] { run_mover(s, j, backup); });
}

void start_mover_acceptor(JobHost& s) {
  auto& j = s.jobs();
  const bool backup = j.mover->mode() == sm::MoverMode::read;
  j.mover_take = {.pending = true, .taking = false};
  // The listener lives until MOVER_STOP, which joins this thread first.
  TcpListener& listener = *j.mover_listener;
  j.mover_worker = std::thread([&s, &j, &listener, backup] {
    auto chan = take_peer(j, listener, j.mover_take);
    {
      std::lock_guard lock(j.mu);
      j.mover_take = {};
      j.cv.notify_all();
      if (!chan || j.mover->state() != sm::MoverState::listen) return;
      if (!j.mover->apply(sm::MoverEvent::peer_connected).ok()) return;
      post_notifications(s, j.mover->take_notifications(), false);
      j.mover_channel = std::move(chan);
      log::info("{}: MOVER: data connection from {}", s.tag(), j.mover_channel->describe());
    }
    run_mover(s, j, backup);
  });
}

}  // namespace ndmp::server

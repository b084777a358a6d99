#include "snapshot/snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>

#include <fmt/format.h>

#include "common/escape.h"
#include "common/log.h"
#include "snapshot/makers.h"

namespace ndmp::snapshot {
namespace {

std::atomic<unsigned> g_counter{0};

std::string format_utc(backup::Timestamp t, const char* format) {
  std::time_t s = t.sec;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string utc(backup::Timestamp t) { return format_utc(t, "%Y-%m-%d %H:%M:%S UTC"); }

// Unique across restarts and concurrent jobs: time, process, counter.
std::string new_id(backup::Timestamp t) {
  return fmt::format("{}-{}-{}", format_utc(t, "%Y%m%dT%H%M%S"), ::getpid(), ++g_counter);
}

backup::Status remove_made(const Record& r, const Settings& s) {
  backup::Status st;
  switch (r.kind) {
    case Kind::btrfs: st = detail::btrfs_remove(r, s); break;
    case Kind::lvm: st = detail::lvm_remove(r, s); break;
    case Kind::command: st = detail::command_remove(r, s); break;
    case Kind::none: break;
  }
  if (st.ok() && !r.dir.empty() && ::rmdir(r.dir.c_str()) != 0 && errno != ENOENT)
    return backup::Status::io_error(fmt::format("snapshot removed but its directory {} is not empty: {}",
                                                log::escape(r.dir), strerror(errno)));
  return st;
}

}  // namespace

backup::Status Snapshot::take(const Policy& policy, const Settings& settings, const Target& target,
                              const std::string& state_dir, std::unique_ptr<Snapshot>& out) {
  std::unique_ptr<Snapshot> s(new Snapshot);
  if (auto st = records_dir(state_dir, s->records_dir_); !st.ok()) return st;
  s->settings_ = settings;
  // The dump date is taken before the snapshot: a file changed between the
  // two is picked up again by the next incremental, never lost.
  s->time_ = backup::now_realtime();
  Record& r = s->record_;
  r.id = new_id(s->time_);
  r.kind = policy.kind;
  r.export_path = target.export_path;
  r.command = policy.command;
  r.dir = s->records_dir_ + "/" + r.id + ".d";
  const auto save = [&](const Record& rec) { return save_record(s->records_dir_, rec); };
  backup::Status st;
  switch (policy.kind) {
    case Kind::btrfs: st = detail::btrfs_create(r, target, settings, save, s->root_); break;
    case Kind::lvm: st = detail::lvm_create(r, target, settings, save, s->root_); break;
    case Kind::command: st = detail::command_create(r, target, settings, save, s->root_); break;
    case Kind::none: st = backup::Status::invalid_argument("no snapshot kind configured"); break;
  }
  if (!st.ok()) {
    s->root_ = {};
    s->removed_ = true;
    if (auto rm = remove_made(r, settings); !rm.ok())
      log::error("snapshot {} of {}: could not be removed after a failed start ({}); its record {} stays for the next start",
                 r.id, log::escape(r.export_path), rm.text(), record_path(s->records_dir_, r.id));
    else if (auto dr = drop_record(s->records_dir_, r.id); !dr.ok())
      log::warn("snapshot {} of {}: {}; the next start finds nothing to remove and drops it", r.id,
                log::escape(r.export_path), dr.text());
    return st;
  }
  log::info("snapshot {} of {} made: {}", r.id, log::escape(r.export_path), s->describe());
  out = std::move(s);
  return {};
}

Snapshot::~Snapshot() {
  if (!removed_) (void)remove();  // remove() logs what failed; a destructor has no one to tell
}

backup::Status Snapshot::remove() {
  if (removed_) return {};
  removed_ = true;
  root_ = {};
  auto st = remove_made(record_, settings_);
  if (!st.ok()) {
    log::error("snapshot {} of {} could not be removed: {}; its record {} stays and the next start tries again",
               record_.id, log::escape(record_.export_path), st.text(), record_path(records_dir_, record_.id));
    return st;
  }
  log::info("snapshot {} of {} removed", record_.id, log::escape(record_.export_path));
  st = drop_record(records_dir_, record_.id);
  if (!st.ok())
    log::warn("snapshot {} of {}: {}; the next start finds nothing to remove and drops it", record_.id,
              log::escape(record_.export_path), st.text());
  return st;
}

std::string Snapshot::describe() const {
  std::string where;
  switch (record_.kind) {
    case Kind::btrfs: where = record_.btrfs_parent + "/" + record_.name; break;
    case Kind::lvm: where = record_.vg + "/" + record_.name; break;
    case Kind::command: where = record_.mount; break;
    case Kind::none: break;
  }
  return fmt::format("{} snapshot {} taken {}", to_string(record_.kind), log::escape(where), utc(time_));
}

backup::Status remove_stale(const std::string& state_dir, const Settings& settings, std::vector<std::string>& report) {
  std::string dir;
  if (auto st = records_dir(state_dir, dir); !st.ok()) return st;
  backup::Status first_error;
  for (const auto& file : list_records(dir)) {
    Record r;
    if (auto st = load_record(file, r); !st.ok()) {
      report.push_back(fmt::format("stale snapshot record {} unreadable, left in place: {}", file, st.text()));
      if (first_error.ok()) first_error = st;
      continue;
    }
    if (auto st = remove_made(r, settings); !st.ok()) {
      report.push_back(fmt::format("stale {} snapshot {} of {} could not be removed: {}", to_string(r.kind), r.id,
                                   log::escape(r.export_path), st.text()));
      if (first_error.ok()) first_error = st;
      continue;
    }
    if (auto dr = drop_record(dir, r.id); !dr.ok() && first_error.ok()) first_error = dr;
    report.push_back(fmt::format("removed stale {} snapshot {} of {} left by an earlier ndmpd", to_string(r.kind), r.id,
                                 log::escape(r.export_path)));
  }
  return first_error;
}

}  // namespace ndmp::snapshot

// What a backup will add to the stream, known before or beside the backup:
// one selection (excludes, changes since the base date, one file system) and
// one walk, by descriptor and stat alone. The engine runs it beside its own
// walk (DATA_GET_STATE's estimate); the server's Cloud Manager space check
// runs it before the job starts and hands the result to the engine, so a
// tree is walked for its size once per job.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "backup/backup_engine.h"
#include "backup/dump_dates.h"
#include "backup/options.h"
#include "backup/status.h"

namespace ndmp::backup {

// Which entries a backup archives, beyond what the walk itself skips
// (sockets, other file systems): the DMA's excludes, and for LEVEL > 0 the
// entries changed since the base date. Directories always count (their
// children may have changed).
class Selection {
 public:
  Selection(const BackupOptions& options, std::optional<Timestamp> base) : options_(options), base_(base) {}
  // `name` is the entry's last component, `rel` its path below the root.
  bool excluded(const std::string& name, const std::string& rel) const;
  bool changed(const struct stat& st) const;

 private:
  const BackupOptions& options_;
  std::optional<Timestamp> base_;
};

// Bytes one entry adds to the stream: allocated data (holes are free in pax
// sparse) rounded to blocks, plus about three header blocks.
uint64_t estimate_entry(const struct stat& st);

struct SizeEstimate {
  uint64_t bytes = 0;    // root entry, selected entries, end-of-archive blocks
  uint64_t entries = 0;  // entries counted
  bool complete = false; // false: stopped by a limit before the end
};

struct EstimateLimits {
  uint64_t max_entries = UINT64_MAX;
  std::chrono::steady_clock::time_point until = std::chrono::steady_clock::time_point::max();
  // Polled between entries; true stops the walk (the backup was cancelled).
  const std::atomic<bool>* stop = nullptr;
  const std::atomic<bool>* stop_too = nullptr;
};

// Walks the tree below the open directory `root_fd` (never by name, never
// following a symlink, not crossing into another file system).
SizeEstimate estimate_tree(int root_fd, const struct stat& root_st, const Selection& selection,
                           const EstimateLimits& limits);

// The estimate of the backup `req` would make: its base date from the
// dumpdates record (LEVEL > 0), its excludes, its source directory. Fails
// only when the source cannot be read or the dumpdates record is bad (the
// backup itself would fail the same way).
Status estimate_backup(const BackupRequest& req, const EstimateLimits& limits, SizeEstimate& out);

}  // namespace ndmp::backup

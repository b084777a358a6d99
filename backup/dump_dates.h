// The dump-dates record: when each FILESYSTEM was last backed up at each
// level, kept by the server in its state directory (like /etc/dumpdates).
//
// Semantics follow dump(8): a level-N backup contains what changed since the
// most recent backup of any LOWER level of the same FILESYSTEM; without one it
// is a full backup. "Changed" means mtime or ctime at or after that date (ctime
// catches chmod, chown and renames that keep mtime). The date recorded for a
// backup is taken just before its walk starts, so a file changed while it was
// being read is picked up again next time.
//
// File: <state_dir>/dumpdates, one line per (filesystem, level):
//     <level> <seconds>.<nanoseconds, 9 digits> <filesystem>
// The filesystem is last so it may contain blanks; names containing a newline
// are refused. Updates take an flock on <state_dir>/dumpdates.lock and replace
// the file by rename, so concurrent backups and crashes never leave half a
// record. Safe to use from several threads and processes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backup/status.h"

namespace ndmp::backup {

struct Timestamp {
  int64_t sec = 0;
  int32_t nsec = 0;
  auto operator<=>(const Timestamp&) const = default;
};

// Wall-clock time on the clock file timestamps use (CLOCK_REALTIME_COARSE).
Timestamp now_realtime();

struct DumpDateRecord {
  std::string filesystem;
  int level = 0;
  Timestamp date;
};

class DumpDates {
 public:
  explicit DumpDates(std::string state_dir);

  // The date a level-`level` backup of `filesystem` is relative to: the
  // newest record with a lower level, or nullopt (= back up everything).
  // A missing file is not an error; an unreadable or malformed one is.
  Status base_for(const std::string& filesystem, int level, std::optional<Timestamp>& out) const;

  // Records (replacing) the date of a level-`level` backup of `filesystem`.
  Status record(const std::string& filesystem, int level, Timestamp date);

  Status load(std::vector<DumpDateRecord>& out) const;
  std::string path() const;

 private:
  std::string dir_;
};

}  // namespace ndmp::backup

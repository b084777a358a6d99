// Backup and restore options read from the NDMP environment (facts sheet
// 6.13). The DMA's variables arrive as name/value pairs; what this part does
// not understand is kept untouched in `env` so DATA_GET_ENV can return every
// variable the DMA sent (SPEC4: never fail START_BACKUP for an unknown one).
//
// Recognised for backup:
//   FILESYSTEM  directory to back up (falls back to PREFIX, as ndmjob does)
//   TYPE        must be "tar" if present (the butype itself is checked by the server)
//   HIST        y | f -> file-style history, d -> dir/node style, n -> none;
//               HIST_TYPE (ndmjob) refines HIST=y to f or d
//   LEVEL       0..9, dump semantics (see dump_dates.h)
//   UPDATE      y | n: record this backup's date for later levels (default y)
//   EXCLUDE     comma-separated glob patterns (see BackupOptions::excludes)
// Recognised for restore: DIRECT (default n), RECURSIVE (default y),
//   VERIFY      n (default) restores; y reads the stream and checks every
//               digest, writing nothing; compare also compares each entry
//               with the file under PREFIX/FILESYSTEM (like tar --compare)
//   DIGEST_MISMATCH  continue (default) | halt: what a restore does when a
//               file's content does not match its digest (digest.h). Either
//               way the file is named in LOG_FILE and a LOG message.
// Booleans accept y/yes/t/true/1 and n/no/f/false/0, any case.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "backup/status.h"

namespace ndmp::backup {

using Env = std::vector<std::pair<std::string, std::string>>;

enum class HistoryMode { none, file, dir };

struct BackupOptions {
  std::string filesystem;
  HistoryMode history = HistoryMode::file;
  int level = 0;
  bool update = true;
  // Glob patterns (fnmatch). A pattern without '/' matches any entry's last
  // name component ("*.o", "cache"); a pattern with '/' matches the path
  // relative to the backup root with a leading '/' ("/var/tmp/*"). A
  // directory that matches is skipped with its whole subtree.
  std::vector<std::string> excludes;
  Env env;  // every variable as the DMA sent it, in order
};

enum class CheckMode {
  restore,  // write the entries (the default)
  verify,   // read the stream, check structure and digests, write nothing
  compare,  // verify, and compare each entry with the file on disk
};
const char* to_string(CheckMode m);

struct RestoreEnvOptions {
  bool direct = false;
  bool recursive = true;
  CheckMode check = CheckMode::restore;
  bool halt_on_mismatch = false;
  Env env;
};

// Fills `out` from `env`. Errors (invalid_argument) name the variable and
// the bad value: TYPE other than tar, LEVEL outside 0..9, malformed booleans
// or HIST, missing FILESYSTEM and PREFIX.
Status parse_backup_env(const Env& env, BackupOptions& out);
Status parse_restore_env(const Env& env, RestoreEnvOptions& out);

}  // namespace ndmp::backup

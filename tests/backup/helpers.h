// Small drivers shared by the backup tests: run a backup into memory, list
// a stream with libarchive, build hand-made (malicious) archives.
#pragma once

#include <string>
#include <vector>

#include "backup/backup_engine.h"
#include "backup/restore_engine.h"
#include "memory_streams.h"

namespace ndmp::backup::test {

struct BackupRun {
  Status status;
  BackupSummary summary;
  MemorySink sink;
  RecordingHistory history;
  RecordingWarnings warnings;
};

// The restore request for directory `dst` (made if missing, one level, as
// the server makes a PREFIX), opened the way the server opens one.
RestoreRequest into(const std::string& dst, std::vector<NlistEntry> nlist = {});

// `filesystem` opened inside `export_root` the way the server opens it
// (below the export's descriptor, no symlink followed).
Status open_source(const std::string& export_root, const std::string& filesystem, Dir& out);

// Backs up `filesystem` inside `export_root` with extra environment.
void run_backup(BackupRun& out, const std::string& export_root, const std::string& filesystem,
                const std::string& state_dir, Env extra = {});

struct Listed {
  std::string path;
  int64_t size = 0;
  unsigned type = 0;  // AE_IF*
  std::string uname;
  std::string fflags;  // chattr flags as text ("nodump"), empty if none
  int64_t mtime_nsec = 0;
};
// Entries of `bytes` read from `offset`, at most `max` (0 = all).
std::vector<Listed> list_stream(const std::vector<std::byte>& bytes, size_t offset = 0, size_t max = 0);

class RecordingReporter : public RestoreReporter {
 public:
  void name_result(size_t index, const NlistEntry& e, const NameResult& r) override {
    results.push_back({index, r});
  }
  std::vector<std::pair<size_t, NameResult>> results;
};

// Builds a pax archive in memory from hand-written entries.
struct HandEntry {
  std::string path;
  unsigned type;            // AE_IFREG, AE_IFDIR, AE_IFLNK
  std::string content;      // data, or symlink target
  std::string hardlink;     // non-empty: a hard link entry to this name
};
std::vector<std::byte> make_archive(const std::vector<HandEntry>& entries);

}  // namespace ndmp::backup::test

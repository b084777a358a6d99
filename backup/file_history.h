// What the backup engine tells the server about each archived entry, and how
// both engines report non-fatal problems.
//
// FileHistoryEntry carries enough for every NDMP file-history flavour:
// FH_ADD_FILE (path), FH_ADD_DIR (name + parent_inode + inode) and FH_ADD_NODE
// (stat + fh_info). The server formats and batches them (facts sheet 6.12);
// entries arrive in archive order: a directory before its contents, depth
// first, names sorted bytewise within a directory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backup/dump_dates.h"
#include "backup/status.h"

namespace ndmp::backup {

// fh_info / length value meaning "unknown" (NDMP uses all-ones).
inline constexpr uint64_t kUnknown = ~uint64_t{0};

enum class FileType { regular, directory, symlink, block_device, char_device, fifo, socket, other };
const char* to_string(FileType t);

struct FileStat {
  FileType type = FileType::other;
  uint32_t mode = 0;  // permission bits including setuid/setgid/sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;  // logical size as stat() saw it when the header was written
  Timestamp mtime, atime, ctime;
  uint64_t links = 0;
  uint64_t inode = 0;
};

struct FileHistoryEntry {
  std::string path;          // relative to the backup root, starting with "/"; the root is "/"
  std::string name;          // last component; "." for the root
  uint64_t parent_inode = 0; // the root's parent is the root itself (SPEC4 4.3.2 rule 1)
  FileStat stat;
  // Byte offset, in the stream handed to the ByteSink, of the first header
  // block describing this entry (the pax extended header when there is
  // one). A restore that starts reading there sees this entry first.
  uint64_t fh_info = kUnknown;
};

class FileHistorySink {
 public:
  virtual ~FileHistorySink() = default;
  // Called on the engine's thread right after the entry's header went into
  // the stream and before its data. May block (the server's bounded queue);
  // a failure stops the backup with that Status.
  virtual Status add(const FileHistoryEntry& entry) = 0;
};

// Non-fatal events an operator should see (skipped files, files that changed
// while read, entries refused on restore). Each is also written to the
// operator log; the server forwards them as LOG_MESSAGE. Engine thread only.
class WarningSink {
 public:
  virtual ~WarningSink() = default;
  virtual void warning(std::string_view text) = 0;
};

}  // namespace ndmp::backup

// The configured exports, opened once when the server starts and known from
// then on by their directory descriptors (device and inode), never resolved
// by name again (issue 15 item 1). A DMA's path (FILESYSTEM, PREFIX) is
// matched lexically against an export's configured name or the real path
// it had at start, and the rest is opened below the export's descriptor
// without following any symlink (backup/dir.h: open_beneath).
//
// An export that cannot be opened at start stops the server: one restore
// into a missing export must not quietly become "not inside an export".
// The descriptor keeps the directory it found: an export whose filesystem
// is mounted after ndmpd started is seen only after a restart.
#pragma once

#include <string>
#include <vector>

#include "backup/dir.h"
#include "backup/status.h"

namespace ndmp::server {

struct Export {
  std::string path;  // as configured
  std::string real;  // realpath at start, an alias a DMA may use
  backup::Dir dir;
};

class Exports {
 public:
  // Opens every export; "" or the error naming the one that failed.
  std::string open(const std::vector<std::string>& paths);

  // Opens the directory the absolute `path` names inside an export, making
  // missing directories when `create`. Refused (invalid_argument): a
  // relative path, outside every export, "..", a symlink on the way.
  backup::Status open_inside(const std::string& path, bool create, backup::Dir& out) const;

  // The export the absolute `path` is inside (the most specific when
  // exports nest) and the rest of the path below it; null if none. Names
  // only: nothing is opened.
  const Export* find(const std::string& path, std::string& rel) const;

  const std::vector<Export>& list() const { return list_; }

 private:
  std::vector<Export> list_;
};

}  // namespace ndmp::server

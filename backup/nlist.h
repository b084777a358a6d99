// Restore name lists (NDMP nlist) and how their names map onto archive
// entries and destination paths.
//
// Names use the file-history form: relative to the backup root, starting
// with "/" ("/" itself is the whole backup). A name selects the entry with
// that path and, when it is a directory, everything below it. When several
// names select an entry, the longest (most specific) one decides where it
// goes: destination + the rest of the entry's path below the name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backup/file_history.h"

namespace ndmp::backup {

struct NlistEntry {
  std::string original_path;  // "/a/b" as in file history
  // Where the selected entry goes, relative to the restore destination
  // root (leading "/" optional). Empty: the same as original_path. The
  // server builds it from the version's fields (v3/v4 destination_dir +
  // new_name, v2 dest) minus the destination root.
  std::string destination;
  uint64_t fh_info = kUnknown;  // from file history; kUnknown if the DMA had none
};

// One read the server turns into NOTIFY_DATA_READ(offset, length).
struct ReadRange {
  uint64_t offset = 0;
  uint64_t length = kUnknown;  // kUnknown = until the engine stops reading
  std::vector<size_t> names;   // nlist indices whose entries start here
  // true: the range must be read to the end of the stream (names without
  // fh_info are found by scanning); false: the engine stops after the
  // entries (and subtrees) of `names`.
  bool scan = false;
};

// Canonical form used for matching: no leading "/" or "./", no trailing
// "/", no empty or "." components; "" is the root. Returns nullopt for a
// name that is absolute after "./" stripping would not fix it, or that
// contains a ".." component (refused: it could leave the destination).
std::optional<std::string> canonical_relative(const std::string& name);

// For names coming from nlist: a single leading "/" is expected and removed.
std::optional<std::string> canonical_nlist_name(const std::string& name);

// Direct access plan, facts sheet 6.11: one range per distinct fh_info in
// increasing offset order; a name lying below another requested directory
// joins that directory's range (its entries come right after the directory
// in our depth-first stream). Names without fh_info produce one final
// scanning range from offset 0. Lengths are unknown: a tar entry's length
// is only known once its header is read.
std::vector<ReadRange> plan_direct_reads(const std::vector<NlistEntry>& nlist);

// True if canonical `path` is `name` or lies below it.
bool selects(const std::string& name, const std::string& path);

}  // namespace ndmp::backup

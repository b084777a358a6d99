// RestoreEngine: reads a pax/tar stream from a ByteSource (libarchive) and
// recreates its entries below a destination directory held by descriptor
// (tree_writer.h writes them).
//
// Safety (issue 5 item 6, issue 15 items 1, 2 and 8): nothing outside the
// destination changes, whatever the archive holds and whatever else changes
// the tree meanwhile.
//  - The destination arrives opened (RestoreRequest::destination): the
//    server opened it below its export's descriptor; nothing here resolves
//    its name.
//  - Entry and hard-link names that are absolute or contain ".." are
//    refused and logged. Every other entry is created relative to open
//    directory descriptors, each component opened with O_NOFOLLOW: an entry
//    whose path runs through a symlink (one in the archive, one already on
//    disk, or one swapped in during the restore) is refused, never followed.
//  - An existing file at an entry's path is unlinked and recreated, never
//    written through, so a hard link to something outside is not modified.
//  - The destination itself is never removed, replaced or re-typed: an entry
//    "." or "./" of any type sets only its metadata.
//  - RestorePrivileges: device nodes refused, set-uid/set-gid bits cleared,
//    only user.* xattrs and POSIX ACLs restored, no file flags, unless the
//    request allows each. Everything refused or left out is named (control
//    characters escaped) through the WarningSink, and a refused entry fails
//    its nlist name.
// What is restored: data (holes stay holes), mode, mtime/atime, the xattrs
// and flags allowed, ACLs, and uid/gid when running as root (by name when
// the name exists here, else by number, like tar). Directory times (and
// flags) are applied after their contents are written. Directories that
// already existed, other than the destination, keep their own mode, owner
// and times: a restore must not loosen the permissions of a directory the
// operator prepared.
//
// Selection: with an empty name list everything is restored. Otherwise only
// entries selected by a name (see nlist.h) are, at their mapped destination,
// and each name gets exactly one result through RestoreReporter: a plain
// file as soon as it is written, directories and names never seen at
// finish().
//
// Direct access: plan_direct_reads() (nlist.h) splits the list into ranges;
// for each, the server positions the stream at range.offset (NOTIFY_DATA_READ
// / MOVER_READ) and calls run_range() with a source that starts there. The
// engine reads from that header on and stops as soon as the next header is
// not part of the range's names, so only what is needed is read.
//
// Hard links: tar keeps the data with the first name only; a later name is
// a link entry. Restoring such a name without the first one fails for that
// name with a reason naming the one to add (GNU tar and bsdtar fail the same
// way); file history gives every name its own fh_info regardless.
//
// Faults: a write error on an entry is reported for its name and the
// restore goes on; a full destination (ENOSPC, EDQUOT) stops the restore with
// Status::disk_full after removing the partially written file. A source
// failure or an unreadable stream stops it too.
//
// Digests (issue 18, digest.h): every regular file with a digest record is
// hashed as it is read and checked when its record arrives, right after its
// data. A mismatch is reported for that file (FileResult through
// RestoreReporter::file_result when no name list is given, else as the
// failure of the name that selected it, and a warning either way). The file
// stays written, since most of its bytes are probably right and it is named
// as damaged; the restore goes on unless halt_on_mismatch, which stops it
// with Status::corrupt. A file without a record (another tool's archive, an
// older ndmpd) is restored unchecked; finish() logs one note with the count.
//
// Damage: a plain ustar header that fails its checksum (ARCHIVE_RETRY) is
// skipped as GNU tar does, up to the next good header, with one warning per
// damaged stretch naming its stream offsets and the entry before it; the
// restore goes on (unless halt_on_mismatch) and finish() then returns
// Status::corrupt, so the job does not look clean. libarchive 3.6 cannot
// skip a damaged header behind a pax extended header (ndmpd writes one for
// every entry): that stops the job with Status::corrupt naming the last good
// entry.
//
// Verify (check != restore): the same reading, hashing and reporting, but
// nothing is written and `destination` is not needed; compare mode also
// compares every entry with the one below `destination` (content_check.h)
// and reports the differences as the file's result. Every regular file gets
// a FileResult in verify mode (when no name list is given).
//
// Threads: run(), run_range() and finish() on one thread (the data thread);
// cancel() and progress() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backup/byte_stream.h"
#include "backup/dir.h"
#include "backup/file_history.h"
#include "backup/nlist.h"
#include "backup/options.h"
#include "backup/restore_privileges.h"
#include "backup/status.h"

namespace ndmp::backup {

enum class NameOutcome { restored, not_found, failed };
const char* to_string(NameOutcome o);

struct NameResult {
  NameOutcome outcome = NameOutcome::not_found;
  std::string reason;    // operator text for failed and not_found
  uint64_t entries = 0;  // entries restored for this name
};

// The check of one regular file's content (and, compare mode, metadata).
struct FileResult {
  enum class Outcome { verified, unverified, mismatch, differs } outcome = Outcome::unverified;
  std::string reason;  // operator text for mismatch and differs
};
const char* to_string(FileResult::Outcome o);

class RestoreReporter {
 public:
  virtual ~RestoreReporter() = default;
  // One call per checked entry: every regular file with data in verify
  // mode; only mismatches and differences when restoring. `path` is the
  // archive's name with a leading "/", raw (the server escapes it for
  // logs). A file that is itself a name of the list gets no call: its
  // result is that name's name_result (a damaged file fails its name, and
  // the name of a directory holding it too).
  virtual void file_result(const std::string& path, const FileResult& result) { (void)path, (void)result; }
  // One call per nlist entry (index into RestoreRequest::nlist), on the
  // engine's thread; the server turns it into LOG_FILE.
  virtual void name_result(size_t index, const NlistEntry& entry, const NameResult& result) = 0;
};

struct RestoreRequest {
  std::string destination_root;  // the destination as the DMA named it: for logs only
  std::vector<NlistEntry> nlist; // empty = everything
  // Restore uid/gid; default: only when running as root.
  std::optional<bool> restore_owner;
  // RECURSIVE=n (SPEC4): a directory name restores the directory entry
  // only, not what lies below it.
  bool recursive = true;
  Dir destination;  // where entries go, already open; required to restore or compare
  RestorePrivileges privileges;
  CheckMode check = CheckMode::restore;
  bool halt_on_mismatch = false;  // restore only; verify always reads to the end
};

struct RestoreProgress {
  uint64_t bytes_read = 0;  // bytes taken from ByteSources so far
  uint64_t entries_restored = 0;
  std::string current_path;
};

struct RestoreSummary {
  uint64_t bytes_read = 0;
  uint64_t entries_restored = 0;
  uint64_t entries_refused = 0;  // unsafe names, refused by safety checks
  uint64_t entries_failed = 0;
  uint64_t files_verified = 0;    // content matched its digest
  uint64_t files_unverified = 0;  // no digest record to check against
  uint64_t digest_mismatches = 0;
  uint64_t entries_differ = 0;    // compare mode: differs from the disk
  uint64_t entries_checked = 0;   // verify/compare: entries read and checked
  uint64_t damaged_regions = 0;   // stretches with no readable header, skipped
};

// "restore into DIR", "verify of the stream", "compare with DIR": the job
// as the operator's log names it.
std::string job_title(const RestoreRequest& req);
// The closing line of a job (its last LOG): what was restored or checked,
// the digest counts, bytes and time.
std::string summary_text(const RestoreRequest& req, const RestoreSummary& sum, double seconds);

class RestoreEngine {
 public:
  // `reporter` and `warnings` may be null and must outlive the engine's use.
  RestoreEngine(RestoreRequest request, RestoreReporter* reporter, WarningSink* warnings = nullptr);
  ~RestoreEngine();
  RestoreEngine(const RestoreEngine&) = delete;
  RestoreEngine& operator=(const RestoreEngine&) = delete;

  // Sequential restore of a whole stream, then finish(). OK means the stream
  // was read to its end-of-archive marker and nothing fatal happened (single
  // entries may still have failed: see the per-name results and summary).
  Status run(ByteSource& source);

  // One direct-access range; `source` begins at range.offset.
  Status run_range(ByteSource& source, const ReadRange& range);

  // Applies deferred directory modes/times and reports every name that has
  // no result yet. Call once after the last run_range(); run() calls it.
  Status finish();

  void cancel();
  RestoreProgress progress() const;
  RestoreSummary summary() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ndmp::backup

// BackupEngine: walks a directory inside an export root and writes a POSIX
// pax stream (libarchive, "pax" format) into a ByteSink.
//
//   export_root/…/FILESYSTEM ──walk (openat, O_NOFOLLOW)──> libarchive pax writer
//        └─ metadata: stat, owner names, chattr flags; files with xattrs
//           (hence ACLs) or possible holes through
//           archive_read_disk_entry_from_file ──write callback──> 1 MiB staging ──> ByteSink
//   a second thread walks the same tree with stat alone for the size estimate
//                  (headers and small files are staged; file data in 1 MiB
//                   pieces goes to the sink without a copy)
//
// What the stream holds: every directory, regular file, symlink, hard link
// (archive_entry_linkresolver: the first name carries the data, later names
// are link entries), block/char device and FIFO, with mode, uid/gid and
// names, mtime/atime/ctime with nanoseconds, xattrs and ACLs. Long names and
// sizes over 8 GiB use pax extended headers; sparse files use GNU sparse 1.0
// inside pax, so holes cost nothing. Sockets are skipped with a log line
// (tar cannot restore them). Entry names are relative to FILESYSTEM with no
// leading "/" ("." is the root itself).
//
// Digests (digest.h): every regular file of non-zero size is hashed with
// SHA-256 as its data is copied (one read) and a pax 'g' record carrying the
// digest follows its data, where the next header would start.
//
// Walk rules: symlinks are archived, never followed. The source arrives as
// an open descriptor (the server opened it below its export's descriptor
// with no symlink allowed), so nothing here resolves a path by name. The walk stays on the
// filesystem of FILESYSTEM: a mount point below it is archived as an empty
// directory and logged, like tar --one-file-system. The stream has no block
// padding beyond tar's 512-byte blocks and the two zero blocks at the end;
// the mover pads the last tape record.
//
// Faults (issue 5 item 7): a file that vanishes before it is opened is
// skipped and logged; one that cannot be opened or read is skipped and
// logged; one that shrinks after its header was written is padded with zeros
// to the header's size and logged; one that grows is cut at that size. The
// archive stays readable in every case. A sink or history failure stops the
// run with that Status.
//
// Incremental (LEVEL > 0): see dump_dates.h. Directories are always
// archived (their headers only) so a restore of a chain recreates the tree;
// regular and other files only when changed since the base date. Deletions
// are not recorded (a tar limitation, as with GNU tar without snapshots).
//
// Threads: run() blocks the calling thread (the server's data thread) until
// the stream is complete or fails. cancel() and progress() may be called from
// any thread while run() is going.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "backup/byte_stream.h"
#include "backup/dir.h"
#include "backup/dump_dates.h"
#include "backup/file_history.h"
#include "backup/options.h"
#include "backup/status.h"

namespace ndmp::backup {

struct BackupRequest {
  // FILESYSTEM, already opened below its export (dir.h: open_beneath); its
  // name keys the dumpdates record and the log, and is never opened again.
  Dir source;
  // Directory for the dumpdates record. Empty: LEVEL > 0 is refused and
  // UPDATE is ignored (logged), because there is nothing to compare with.
  std::string state_dir;
  BackupOptions options;
  // The stream size, when the caller walked the tree for it already with the
  // same selection (size_estimate.h: estimate_backup); the engine then does
  // not walk it a second time.
  std::optional<uint64_t> known_estimate;
  // The moment `source` shows, when it is a snapshot (snapshot/): the dump
  // date recorded instead of the time the walk starts.
  std::optional<Timestamp> point_in_time;
};

struct BackupProgress {
  uint64_t bytes_written = 0;  // bytes accepted by the ByteSink so far
  uint64_t files_done = 0;     // entries whose header and data are written
  // Estimated total stream size from a metadata-only walk beside the
  // backup (same selection rules, data blocks actually allocated, plus
  // header blocks). 0 until that walk finishes. est remaining =
  // max(0, est - written).
  uint64_t est_total_bytes = 0;
  std::string current_path;    // "/dir/file" being archived
};

struct BackupSummary {
  uint64_t bytes_written = 0;
  uint64_t entries = 0;        // entries in the archive
  uint64_t skipped = 0;        // vanished, unreadable, sockets
  uint64_t warnings = 0;
  Timestamp dump_date;                 // recorded in dumpdates when UPDATE=y
  std::optional<Timestamp> base_date;  // what LEVEL compared against (none = full)
  // Variables the server should add to the environment DATA_GET_ENV
  // returns: PATHNAME_SEPARATOR (SPEC4: added by the data service), LEVEL,
  // DUMP_DATE (seconds since the epoch) and, for an incremental, BASE_DATE.
  Env env_additions;
};

class BackupEngine {
 public:
  // `history` and `warnings` may be null. They must outlive run().
  BackupEngine(BackupRequest request, ByteSink& sink, FileHistorySink* history,
               WarningSink* warnings = nullptr);
  ~BackupEngine();
  BackupEngine(const BackupEngine&) = delete;
  BackupEngine& operator=(const BackupEngine&) = delete;

  // Runs the whole backup once. OK means the stream is complete (including
  // the end-of-archive blocks) and every byte was accepted by the sink.
  Status run(BackupSummary* summary = nullptr);

  void cancel();  // run() returns Status::aborted soon after
  BackupProgress progress() const;

 private:
  struct Run;
  friend struct Run;
  void set_progress(const std::string& path, uint64_t files);
  void add_written(uint64_t n);

  BackupRequest req_;
  ByteSink& sink_;
  FileHistorySink* history_;
  WarningSink* warnings_;
  std::atomic<bool> cancel_{false};
  mutable std::mutex progress_mu_;
  BackupProgress progress_;
};

}  // namespace ndmp::backup

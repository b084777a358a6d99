// TreeWriter: creates restored entries below a destination root held by
// descriptor. The restore engine reads the stream (libarchive) and hands
// each accepted entry here; nothing in this file resolves a path string
// from the root again (issue 15 item 1).
//
// How an entry is created: its parent directory is reached from the open
// directory chain (the parents of the previous entry, kept open, so a tar
// stream's depth-first order costs one openat per new directory, not a walk
// per file); a missing component is made with mkdirat; every component is
// opened with O_NOFOLLOW|O_DIRECTORY, so a symlink (from the archive, on disk
// before, or swapped in by someone else during the restore) makes the entry
// refused, never followed. The entry itself: mkdirat, openat(O_CREAT|O_EXCL|
// O_NOFOLLOW), symlinkat, linkat (target walked the same way), mknodat.
// Something already at the name is unlinked (an empty directory removed) and
// the entry created anew, so a hard link to elsewhere is never written
// through. Metadata goes onto the opened object (fchown, fchmod, fsetxattr,
// futimens, FS_IOC_SETFLAGS); for symlinks and nodes, onto the name in its
// opened parent with AT_SYMLINK_NOFOLLOW.
//
// The root: never removed, replaced or re-typed. An entry for it ("" after
// canonical_relative: ".", "./") sets only the root's metadata, whatever
// the entry's type.
//
// Directories: owner, mode, xattrs and ACLs are set at creation; times (and
// file flags, which could forbid creating the children) when the chain
// leaves the directory, again each time it leaves it, and at finish() for
// the root. A directory that existed before the restore keeps its own
// metadata: the operator may have prepared it.
//
// Privileges (restore_privileges.h): refused device nodes, cleared set-id
// bits, dropped xattrs and flags are reported through EntryResult::notes
// (or as a refusal), for the engine to log and send to the DMA.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "backup/dir.h"
#include "backup/restore_privileges.h"

struct archive_entry;

namespace ndmp::backup {

struct EntryResult {
  enum class Kind { ok, refused, failed } kind = Kind::ok;
  std::string why;                 // refused/failed: the reason
  int err = 0;                     // failed: errno (ENOSPC, EDQUOT stop the restore)
  std::vector<std::string> notes;  // ok: what was left out (set-id bits, xattrs, flags)
  static EntryResult refused(std::string w) { return {Kind::refused, std::move(w), 0, {}}; }
  static EntryResult failed(std::string w, int e) { return {Kind::failed, std::move(w), e, {}}; }
};

class TreeWriter {
 public:
  TreeWriter(Dir root, RestorePrivileges privileges, bool restore_owner);
  ~TreeWriter();
  TreeWriter(const TreeWriter&) = delete;
  TreeWriter& operator=(const TreeWriter&) = delete;

  // Creates entry `rel` (canonical relative, "" = the root). `link` is the
  // canonical relative name of a hard link's target, or null. For a
  // regular file the file stays open for write_data() and end_file().
  EntryResult begin(archive_entry* e, const std::string& rel, const std::string* link);
  bool file_open() const { return file_ >= 0; }
  // Writes file data at `offset` (holes are skipped by the caller); on
  // failure returns errno.
  int write_data(const void* data, size_t size, int64_t offset);
  // Sets the file's length and metadata (from `e`, the entry begin() was
  // given, still current in the reader), closes it.
  EntryResult end_file(archive_entry* e);
  // Closes and unlinks a file whose data could not be written whole.
  void discard_file();

  // Applies the times and flags still owed to open directories and the root.
  EntryResult finish();

 private:
  struct Link {
    std::string name;
    UniqueFd fd;
    bool owed = false;  // has deferred metadata in owed_
  };
  struct Deferred {
    timespec times[2];
    unsigned long flags_set = 0, flags_clear = 0;
    mode_t mode = 0;
    bool set_mode = false;  // the mode was loosened for the children
  };
  using Key = std::pair<dev_t, ino_t>;

  int parent_of(const std::vector<std::string>& comps, EntryResult& r);
  void leave(Link& l);
  EntryResult make_dir(archive_entry* e, int parent, const std::string& name);
  EntryResult make_file(archive_entry* e, int parent, const std::string& name);
  EntryResult make_symlink(archive_entry* e, int parent, const std::string& name);
  EntryResult make_hardlink(int parent, const std::string& name, const std::string& link);
  EntryResult make_node(archive_entry* e, int parent, const std::string& name);
  EntryResult set_root(archive_entry* e);
  bool clear_name(int parent, const std::string& name, EntryResult& r);
  // Owner, mode, xattrs, ACLs (and times and flags unless deferred) on an
  // open file or directory.
  void apply_fd(archive_entry* e, int fd, bool is_dir, bool defer, EntryResult& r);
  void apply_name(archive_entry* e, int parent, const std::string& name, bool chmod_ok, EntryResult& r);
  void apply_deferred(int fd, const Deferred& d);
  mode_t allowed_mode(archive_entry* e, EntryResult& r) const;
  void owner_of(archive_entry* e, uid_t& uid, gid_t& gid);
  uid_t uid_for(const char* name, int64_t id);
  gid_t gid_for(const char* name, int64_t id);

  Dir root_;
  RestorePrivileges priv_;
  bool owner_;
  bool am_root_;
  std::vector<Link> chain_;       // open directories from the root down
  std::map<Key, Deferred> owed_;  // directories whose times/flags are owed
  // Directories owing more than times (flags, a loosened mode) stay open
  // until finish(), for one that is never entered again; at most kHeld.
  static constexpr size_t kHeld = 1024;
  std::vector<UniqueFd> held_;
  std::map<std::string, uid_t> uids_;
  std::map<std::string, gid_t> gids_;
  // The regular file being written.
  int file_ = -1;
  int file_parent_ = -1;
  std::string file_name_;
  int64_t file_size_ = 0;
  int64_t file_end_ = 0;
};

}  // namespace ndmp::backup

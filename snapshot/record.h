// The state file of one snapshot: <state-dir>/snapshots/<id>.snap, written
// (and fsynced) before anything is created, rewritten when more is known
// (a script's mount point), removed once the snapshot is gone. What a
// SIGKILL leaves behind is found at the next start from these files alone
// (snapshot.h: remove_stale).
//
// Format: one "key value" line each; values are paths or names ndmpd chose
// or the operator configured and may not contain a newline:
//   kind btrfs|lvm|command
//   export /srv/data                    the export, as configured
//   dir /var/lib/ndmpd/snapshots/ID.d   private directory (lvm mount point, script's scratch)
//   btrfs-parent /srv/data/.ndmpd-snapshots   btrfs: where the snapshot subvolume is
//   name ndmpd-ID                       btrfs subvolume or LVM volume name
//   vg vg0                              lvm: its volume group
//   command /usr/local/sbin/snap        command: the site script
//   mount /snap/xyz                     command: the mount point it printed
#pragma once

#include <string>
#include <vector>

#include "backup/status.h"
#include "snapshot/policy.h"

namespace ndmp::snapshot {

struct Record {
  std::string id;
  Kind kind = Kind::none;
  std::string export_path;
  std::string dir;
  std::string btrfs_parent;
  std::string name;
  std::string vg;
  std::string command;
  std::string mount;
};

// <state-dir>/snapshots, made 0700 if missing.
backup::Status records_dir(const std::string& state_dir, std::string& out);
std::string record_path(const std::string& records_dir, const std::string& id);

// Writes `r` to its file atomically (temporary file, fsync, rename, fsync
// of the directory).
backup::Status save_record(const std::string& records_dir, const Record& r);
backup::Status load_record(const std::string& file, Record& out);
backup::Status drop_record(const std::string& records_dir, const std::string& id);
// Every *.snap file in the directory, sorted.
std::vector<std::string> list_records(const std::string& records_dir);

}  // namespace ndmp::snapshot

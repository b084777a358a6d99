// A point-in-time snapshot of an export's file system, made before a
// backup's walk and removed after it, however the job ends (issue 18).
//
//   btrfs    a read-only snapshot of the subvolume holding the export, made
//            with the BTRFS_IOC_SNAP_CREATE_V2 ioctl in <subvolume>/.ndmpd-snapshots/
//            (btrfs.cc says why the ioctl and not btrfs-progs)
//   lvm      lvcreate -s of the logical volume holding the export (thin or
//            classic), mounted read-only on <state-dir>/snapshots/<id>.d
//   command  a site script: "SCRIPT create EXPORT ID DIR" prints the
//            snapshot's mount point (a copy of the export's root) on its
//            first output line; "SCRIPT remove EXPORT ID DIR MOUNTPOINT"
//            removes it (MOUNTPOINT is empty when ndmpd died before it
//            learnt it)
//
// Every snapshot is recorded in a state file (record.h) before it is made;
// remove_stale() at start removes what a killed ndmpd left. The snapshot's
// root is opened once and used by descriptor: root() is the export's root
// as it was at time().
//
// Tools run as child processes (child_process.h): argv only, a deadline
// (Settings::timeout), bounded output. Threads: take() and remove() block
// the calling thread (the job's data thread); call them with no lock held.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backup/dir.h"
#include "backup/dump_dates.h"
#include "backup/status.h"
#include "snapshot/policy.h"
#include "snapshot/record.h"

namespace ndmp::snapshot {

// The export a snapshot is made of.
struct Target {
  std::string export_path;  // as configured (names the snapshot in records and logs)
  std::string export_real;  // its real path at start
  backup::Dir export_dir;   // opened at start
};

class Snapshot {
 public:
  // Records, then makes the snapshot and opens its root. On failure
  // whatever was made is removed again and the Status says why.
  static backup::Status take(const Policy& policy, const Settings& settings, const Target& target,
                             const std::string& state_dir, std::unique_ptr<Snapshot>& out);
  ~Snapshot();  // remove(), if not done: a job that ends any way removes its snapshot
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // Closes the root and removes the snapshot and its record. Every copy of
  // root() must be released first (an LVM snapshot cannot be unmounted
  // while a descriptor is open on it).
  backup::Status remove();

  const backup::Dir& root() const { return root_; }
  backup::Timestamp time() const { return time_; }
  Kind kind() const { return record_.kind; }
  const std::string& id() const { return record_.id; }
  // "btrfs snapshot /srv/data/.ndmpd-snapshots/ndmpd-ID taken 2026-12-08 03:40:01 UTC"
  std::string describe() const;

 private:
  Snapshot() = default;
  Record record_;
  std::string records_dir_;
  Settings settings_;
  backup::Dir root_;
  backup::Timestamp time_;
  bool removed_ = false;
};

// Removes every snapshot a record in <state-dir>/snapshots names (left by a
// killed ndmpd) and the record with it; one line per snapshot in `report`.
// Call at start, before any job.
backup::Status remove_stale(const std::string& state_dir, const Settings& settings, std::vector<std::string>& report);

}  // namespace ndmp::snapshot

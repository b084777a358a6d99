// btrfs: a read-only snapshot of the subvolume that holds the export.
//
// Made with the BTRFS_IOC_SNAP_CREATE_V2 ioctl (what `btrfs subvolume
// snapshot -r` calls), not by running btrfs-progs: the source is the
// subvolume's open descriptor and the destination an open directory, so no
// name is resolved again between the check and the snapshot, no child
// process is needed on the backup's path, and the kernel's errno is the
// reason given to the DMA. Removal is BTRFS_IOC_SNAP_DESTROY by name in the
// snapshot directory (what `btrfs subvolume delete` calls). Both need
// CAP_SYS_ADMIN.
//
// Where: <subvolume root>/.ndmpd-snapshots/ndmpd-<id> (the snapshot must be
// on the same file system; the directory is made 0700 and removed again
// when empty). A backup whose FILESYSTEM is the subvolume root leaves
// .ndmpd-snapshots out (backup_source.cc).
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "common/escape.h"
#include "snapshot/makers.h"

namespace ndmp::snapshot::detail {
namespace {

constexpr ino_t kSubvolumeRootIno = 256;  // BTRFS_FIRST_FREE_OBJECTID: every subvolume's root directory

backup::Status errno_status(const std::string& what) {
  return backup::Status::io_error(fmt::format("{}: {}", what, strerror(errno)));
}

}  // namespace

backup::Status btrfs_create(Record& r, const Target& t, const Settings&, const Save& save, backup::Dir& root) {
  struct statfs sfs {};
  if (::fstatfs(t.export_dir.get(), &sfs) != 0) return errno_status("cannot stat the export's file system");
  if (sfs.f_type != BTRFS_SUPER_MAGIC)
    return backup::Status::invalid_argument(
        fmt::format("{} is not on btrfs (snapshot = btrfs needs the export on a btrfs subvolume)", log::escape(t.export_path)));
  struct stat est {};
  if (::fstat(t.export_dir.get(), &est) != 0) return errno_status("cannot stat the export");
  // The subvolume root: the nearest directory at or above the export with
  // the subvolume root's inode number on the same device (each subvolume
  // has a device number of its own).
  namespace fs = std::filesystem;
  fs::path sub = t.export_real;
  for (;;) {
    struct stat st {};
    if (::stat(sub.c_str(), &st) != 0 || st.st_dev != est.st_dev)
      return backup::Status::invalid_argument(
          fmt::format("cannot find the btrfs subvolume holding {}", log::escape(t.export_path)));
    if (st.st_ino == kSubvolumeRootIno) break;
    if (sub == sub.root_path())
      return backup::Status::invalid_argument(
          fmt::format("cannot find the btrfs subvolume holding {}", log::escape(t.export_path)));
    sub = sub.parent_path();
  }
  backup::UniqueFd sub_fd(::open(sub.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!sub_fd) return errno_status(fmt::format("cannot open subvolume {}", log::escape(sub.string())));
  struct stat sst {};
  if (::fstat(sub_fd.get(), &sst) != 0 || sst.st_dev != est.st_dev || sst.st_ino != kSubvolumeRootIno)
    return backup::Status::io_error(fmt::format("subvolume {} changed while it was opened", log::escape(sub.string())));
  const std::string rel = fs::path(t.export_real).lexically_relative(sub).string();

  r.btrfs_parent = (sub / ".ndmpd-snapshots").string();
  r.name = "ndmpd-" + r.id;
  if (auto st = save(r); !st.ok()) return st;
  backup::UniqueFd parent;
  // Twice at most: another job's removal may take the (then empty)
  // directory away between our mkdir and our snapshot.
  for (int attempt = 0;; ++attempt) {
    if (::mkdirat(sub_fd.get(), ".ndmpd-snapshots", 0700) != 0 && errno != EEXIST)
      return errno_status(fmt::format("cannot create {}", log::escape(r.btrfs_parent)));
    parent = backup::UniqueFd(::openat(sub_fd.get(), ".ndmpd-snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (parent) {
      btrfs_ioctl_vol_args_v2 args{};
      args.fd = sub_fd.get();
      args.flags = BTRFS_SUBVOL_RDONLY;
      std::snprintf(args.name, sizeof args.name, "%s", r.name.c_str());
      if (::ioctl(parent.get(), BTRFS_IOC_SNAP_CREATE_V2, &args) == 0) break;
    }
    if (errno != ENOENT || attempt == 1)
      return errno_status(fmt::format("btrfs snapshot of {} into {} failed", log::escape(sub.string()),
                                      log::escape(r.btrfs_parent)));
  }
  // The snapshot and the export inside it, below the directory already
  // open: nothing is resolved by name from the top again.
  backup::Dir where;
  where.name = r.btrfs_parent;
  where.fd = std::make_shared<const backup::UniqueFd>(std::move(parent));
  return backup::open_beneath(where, rel == "." ? r.name : r.name + "/" + rel, false, root);
}

backup::Status btrfs_remove(const Record& r, const Settings&) {
  if (r.btrfs_parent.empty() || r.name.empty()) return {};  // recorded before anything was made
  backup::UniqueFd parent(::open(r.btrfs_parent.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!parent) return errno == ENOENT ? backup::Status{} : errno_status(fmt::format("cannot open {}", log::escape(r.btrfs_parent)));
  btrfs_ioctl_vol_args args{};
  std::snprintf(args.name, sizeof args.name, "%s", r.name.c_str());
  if (::ioctl(parent.get(), BTRFS_IOC_SNAP_DESTROY, &args) != 0 && errno != ENOENT)
    return errno_status(fmt::format("cannot delete btrfs snapshot {}/{}", log::escape(r.btrfs_parent), log::escape(r.name)));
  // Gone when the last snapshot of that subvolume is.
  ::rmdir(r.btrfs_parent.c_str());
  return {};
}

}  // namespace ndmp::snapshot::detail

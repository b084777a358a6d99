#include "backup/tree_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ndmp::backup {
namespace {

constexpr int kDirOpen = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::vector<std::string> split(const std::string& rel) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < rel.size()) {
    size_t end = rel.find('/', pos);
    if (end == std::string::npos) end = rel.size();
    out.push_back(rel.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

const char* type_name(mode_t t) {
  switch (t) {
    case AE_IFREG: return "file";
    case AE_IFDIR: return "directory";
    case AE_IFLNK: return "symlink";
    case AE_IFCHR: return "character device";
    case AE_IFBLK: return "block device";
    case AE_IFIFO: return "FIFO";
    case AE_IFSOCK: return "socket";
  }
  return "entry of unknown type";
}

// POSIX ACL in the kernel's xattr form (system.posix_acl_access/_default):
// a version word, then {tag, perm, id} sorted by tag and id. Built here so
// the ACL goes onto the open descriptor; libacl has no fd call for default
// ACLs.
struct AclEntry {
  uint16_t tag, perm;
  uint32_t id;
};

uint16_t kernel_tag(int tag) {
  switch (tag) {
    case ARCHIVE_ENTRY_ACL_USER_OBJ: return 0x01;
    case ARCHIVE_ENTRY_ACL_USER: return 0x02;
    case ARCHIVE_ENTRY_ACL_GROUP_OBJ: return 0x04;
    case ARCHIVE_ENTRY_ACL_GROUP: return 0x08;
    case ARCHIVE_ENTRY_ACL_MASK: return 0x10;
    case ARCHIVE_ENTRY_ACL_OTHER: return 0x20;
  }
  return 0;
}

std::string acl_xattr(std::vector<AclEntry> v) {
  std::sort(v.begin(), v.end(), [](const AclEntry& a, const AclEntry& b) {
    return a.tag != b.tag ? a.tag < b.tag : a.id < b.id;
  });
  std::string out;
  auto put = [&out](uint32_t x, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((x >> (8 * i)) & 0xff);
  };
  put(2, 4);  // POSIX_ACL_XATTR_VERSION, little-endian like every field
  for (const auto& e : v) {
    put(e.tag, 2);
    put(e.perm, 2);
    put(e.id, 4);
  }
  return out;
}

}  // namespace

TreeWriter::TreeWriter(Dir root, RestorePrivileges privileges, bool restore_owner)
    : root_(std::move(root)), priv_(privileges), owner_(restore_owner), am_root_(geteuid() == 0) {}

TreeWriter::~TreeWriter() {
  if (file_ >= 0) discard_file();
}

// Brings the chain to `comps` (the parent of the next entry) and returns its
// descriptor, or -1 with `r` set. Components are opened, and made when
// missing, one at a time with O_NOFOLLOW: a symlink anywhere refuses.
int TreeWriter::parent_of(const std::vector<std::string>& comps, EntryResult& r) {
  size_t keep = 0;
  while (keep < chain_.size() && keep < comps.size() && chain_[keep].name == comps[keep]) ++keep;
  while (chain_.size() > keep) {
    leave(chain_.back());
    chain_.pop_back();
  }
  for (size_t i = keep; i < comps.size(); ++i) {
    int at = chain_.empty() ? root_.get() : chain_.back().fd.get();
    const char* c = comps[i].c_str();
    int fd = openat(at, c, kDirOpen);
    if (fd < 0 && errno == ENOENT) {
      if (mkdirat(at, c, 0755) != 0 && errno != EEXIST) {
        r = EntryResult::failed(fmt::format("cannot create directory {}: {}", printable(comps[i]), strerror(errno)), errno);
        return -1;
      }
      fd = openat(at, c, kDirOpen);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR)
        r = EntryResult::refused(fmt::format("its path runs through {}, a symlink or not a directory", printable(comps[i])));
      else
        r = EntryResult::failed(fmt::format("cannot open directory {}: {}", printable(comps[i]), strerror(errno)), errno);
      return -1;
    }
    Link l{comps[i], UniqueFd(fd), false};
    struct stat st{};
    if (!owed_.empty() && fstat(fd, &st) == 0) {
      auto it = owed_.find({st.st_dev, st.st_ino});
      if (it != owed_.end()) {
        l.owed = true;
        // Not root: a directory restored read-only must still take its
        // children; its own mode comes back when the chain leaves it.
        if (!am_root_ && (st.st_mode & 0300) != 0300 && fchmod(fd, (st.st_mode & 07777) | 0700) == 0)
          it->second.set_mode = true;
      }
    }
    chain_.push_back(std::move(l));
  }
  return chain_.empty() ? root_.get() : chain_.back().fd.get();
}

void TreeWriter::leave(Link& l) {
  if (!l.owed) return;
  struct stat st{};
  if (fstat(l.fd.get(), &st) != 0) return;
  auto it = owed_.find({st.st_dev, st.st_ino});
  if (it != owed_.end()) apply_deferred(l.fd.get(), it->second);
}

void TreeWriter::apply_deferred(int fd, const Deferred& d) {
  if (d.set_mode) fchmod(fd, d.mode);
  futimens(fd, d.times);
  if (d.flags_set || d.flags_clear) {
    int cur = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &cur) == 0) {
      cur = static_cast<int>((static_cast<unsigned long>(cur) | d.flags_set) & ~d.flags_clear);
      ioctl(fd, FS_IOC_SETFLAGS, &cur);
    }
  }
}

EntryResult TreeWriter::begin(archive_entry* e, const std::string& rel, const std::string* link) {
  if (file_ >= 0) discard_file();
  if (rel.empty()) return set_root(e);
  auto comps = split(rel);
  std::string name = std::move(comps.back());
  comps.pop_back();
  EntryResult r;
  int parent = parent_of(comps, r);
  if (parent < 0) return r;
  if (link) {
    // Replacing the name first would delete the only copy.
    if (*link == rel) return EntryResult::refused("hard link to itself");
    return make_hardlink(parent, name, *link);
  }
  const mode_t type = archive_entry_filetype(e);
  switch (type) {
    case AE_IFDIR: return make_dir(e, parent, name);
    case AE_IFREG: return make_file(e, parent, name);
    case AE_IFLNK: return make_symlink(e, parent, name);
    case AE_IFIFO: return make_node(e, parent, name);
    case AE_IFCHR:
    case AE_IFBLK:
      if (!priv_.devices)
        return EntryResult::refused(fmt::format("{} {},{}: restore-privileges does not include devices",
                                                type_name(type), major(archive_entry_rdev(e)),
                                                minor(archive_entry_rdev(e))));
      return make_node(e, parent, name);
    default:
      return EntryResult::refused(fmt::format("{}: not restorable", type_name(type)));
  }
}

// Makes room for a new entry at `name`: unlinks what is there (an empty
// directory too). A non-empty directory in the way fails the entry.
bool TreeWriter::clear_name(int parent, const std::string& name, EntryResult& r) {
  if (unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) return true;
  if (errno == EISDIR && unlinkat(parent, name.c_str(), AT_REMOVEDIR) == 0) return true;
  r = EntryResult::failed(fmt::format("cannot replace what is at its name: {}", strerror(errno)), errno);
  return false;
}

EntryResult TreeWriter::make_dir(archive_entry* e, int parent, const std::string& name) {
  EntryResult r;
  bool existed = false;
  if (mkdirat(parent, name.c_str(), 0700) != 0) {
    if (errno != EEXIST) return EntryResult::failed(fmt::format("cannot create directory: {}", strerror(errno)), errno);
    struct stat st{};
    if (fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      existed = true;
    } else {
      if (!clear_name(parent, name, r)) return r;
      if (mkdirat(parent, name.c_str(), 0700) != 0)
        return EntryResult::failed(fmt::format("cannot create directory: {}", strerror(errno)), errno);
    }
  }
  if (existed) return r;  // the operator's directory keeps its metadata
  UniqueFd fd(openat(parent, name.c_str(), kDirOpen));
  if (!fd) {
    if (errno == ELOOP || errno == ENOTDIR)
      return EntryResult::refused("replaced by a symlink or a file while being restored");
    return EntryResult::failed(fmt::format("cannot open the new directory: {}", strerror(errno)), errno);
  }
  apply_fd(e, fd.get(), true, true, r);
  return r;
}

EntryResult TreeWriter::make_file(archive_entry* e, int parent, const std::string& name) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
  int fd = openat(parent, name.c_str(), flags, 0600);
  if (fd < 0 && errno == EEXIST) {
    EntryResult r;
    if (!clear_name(parent, name, r)) return r;
    fd = openat(parent, name.c_str(), flags, 0600);
  }
  if (fd < 0) return EntryResult::failed(fmt::format("cannot create: {}", strerror(errno)), errno);
  file_ = fd;
  file_parent_ = parent;
  file_name_ = name;
  file_size_ = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
  file_end_ = 0;
  return {};
}

int TreeWriter::write_data(const void* data, size_t size, int64_t offset) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = pwrite(file_, p, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  file_end_ = std::max<int64_t>(file_end_, offset);
  return 0;
}

EntryResult TreeWriter::end_file(archive_entry* e) {
  EntryResult r;
  // A trailing hole leaves nothing to write: the length makes it.
  if (file_size_ > file_end_ && ftruncate(file_, file_size_) != 0) {
    r = EntryResult::failed(fmt::format("cannot set its length: {}", strerror(errno)), errno);
    discard_file();
    return r;
  }
  apply_fd(e, file_, false, false, r);
  if (close(std::exchange(file_, -1)) != 0 && (errno == ENOSPC || errno == EDQUOT || errno == EIO)) {
    r = EntryResult::failed(fmt::format("closing: {}", strerror(errno)), errno);
    unlinkat(file_parent_, file_name_.c_str(), 0);
  }
  return r;
}

void TreeWriter::discard_file() {
  if (file_ < 0) return;
  close(std::exchange(file_, -1));
  // The name is ours: just created with O_EXCL in a parent we hold open.
  unlinkat(file_parent_, file_name_.c_str(), 0);
}

EntryResult TreeWriter::make_symlink(archive_entry* e, int parent, const std::string& name) {
  const char* target = archive_entry_symlink(e);
  if (!target) return EntryResult::failed("symlink without a target", EINVAL);
  if (symlinkat(target, parent, name.c_str()) != 0) {
    EntryResult r;
    if (errno != EEXIST || !clear_name(parent, name, r) || symlinkat(target, parent, name.c_str()) != 0)
      return r.kind != EntryResult::Kind::ok ? r : EntryResult::failed(fmt::format("cannot create: {}", strerror(errno)), errno);
  }
  EntryResult r;
  apply_name(e, parent, name, false, r);
  return r;
}

EntryResult TreeWriter::make_hardlink(int parent, const std::string& name, const std::string& link) {
  if (link.empty()) return EntryResult::refused("hard link to the restore root");
  // The target is walked from the root like any entry, without creating
  // anything and without following a symlink.
  auto comps = split(link);
  std::string leaf = std::move(comps.back());
  comps.pop_back();
  UniqueFd at(fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
  for (const auto& c : comps) {
    int fd = openat(at.get(), c.c_str(), kDirOpen);
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR)
        return EntryResult::refused(fmt::format("hard link target runs through {}, a symlink or not a directory", printable(c)));
      return EntryResult::failed(fmt::format("hard link target: {}", strerror(errno)), ENOENT);
    }
    at.reset(fd);
  }
  struct stat st{};
  if (fstatat(at.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return EntryResult::failed("hard link target missing", ENOENT);
  if (S_ISDIR(st.st_mode)) return EntryResult::refused("hard link to a directory");
  if (linkat(at.get(), leaf.c_str(), parent, name.c_str(), 0) != 0) {
    EntryResult r;
    if (errno != EEXIST || !clear_name(parent, name, r) || linkat(at.get(), leaf.c_str(), parent, name.c_str(), 0) != 0)
      return r.kind != EntryResult::Kind::ok ? r : EntryResult::failed(fmt::format("cannot link: {}", strerror(errno)), errno);
  }
  return {};
}

EntryResult TreeWriter::make_node(archive_entry* e, int parent, const std::string& name) {
  const mode_t type = archive_entry_filetype(e);
  const dev_t rdev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
  if (mknodat(parent, name.c_str(), type | 0600, rdev) != 0) {
    EntryResult r;
    if (errno != EEXIST || !clear_name(parent, name, r) || mknodat(parent, name.c_str(), type | 0600, rdev) != 0)
      return r.kind != EntryResult::Kind::ok ? r : EntryResult::failed(fmt::format("cannot create: {}", strerror(errno)), errno);
  }
  EntryResult r;
  apply_name(e, parent, name, true, r);
  return r;
}

// "." of any type: the root stays the directory it is; only its metadata
// is taken from the entry (a symlink's mode bits mean nothing, so not those).
EntryResult TreeWriter::set_root(archive_entry* e) {
  EntryResult r;
  const mode_t type = archive_entry_filetype(e);
  if (type != AE_IFDIR || archive_entry_hardlink(e))
    r.notes.push_back(fmt::format("the archive's root entry is a {}: the restore root stays a directory; only its "
                                  "metadata was applied",
                                  archive_entry_hardlink(e) ? "hard link" : type_name(type)));
  archive_entry* copy = archive_entry_clone(e);
  if (type == AE_IFLNK || archive_entry_hardlink(e)) {
    struct stat st{};
    fstat(root_.get(), &st);
    archive_entry_set_perm(copy, st.st_mode & 07777);
  }
  apply_fd(copy, root_.get(), true, true, r);
  archive_entry_free(copy);
  return r;
}

mode_t TreeWriter::allowed_mode(archive_entry* e, EntryResult& r) const {
  mode_t mode = archive_entry_perm(e) & 07777;
  if (!priv_.setid && (mode & (S_ISUID | S_ISGID))) {
    r.notes.push_back(fmt::format("set-uid/set-gid bits cleared (mode {:04o} restored as {:04o}): "
                                  "restore-privileges does not include setid",
                                  mode, mode & ~(S_ISUID | S_ISGID)));
    mode &= ~(S_ISUID | S_ISGID);
  }
  return mode;
}

void TreeWriter::apply_fd(archive_entry* e, int fd, bool is_dir, bool defer, EntryResult& r) {
  // Owner before mode: a chown clears set-id bits.
  if (owner_) {
    uid_t uid;
    gid_t gid;
    owner_of(e, uid, gid);
    if (fchown(fd, uid, gid) != 0) r.notes.push_back(fmt::format("owner {}:{} not set: {}", uid, gid, strerror(errno)));
  }
  const mode_t mode = allowed_mode(e, r);
  // Not root: a new directory must stay writable for its children until
  // the chain leaves it.
  const mode_t now = (is_dir && defer && !am_root_) ? (mode | 0700) : mode;
  if (fchmod(fd, now) != 0) r.notes.push_back(fmt::format("mode not set: {}", strerror(errno)));

  archive_entry_xattr_reset(e);
  const char* xname;
  const void* xvalue;
  size_t xsize;
  while (archive_entry_xattr_next(e, &xname, &xvalue, &xsize) == ARCHIVE_OK) {
    std::string n = xname ? xname : "";
    const bool ok = n.rfind("user.", 0) == 0 || n == "system.posix_acl_access" ||
                    n == "system.posix_acl_default" || (n.rfind("trusted.", 0) == 0 && priv_.trusted_xattrs) ||
                    (n.rfind("security.", 0) == 0 && priv_.security_xattrs);
    if (!ok) {
      const char* why = n.rfind("trusted.", 0) == 0    ? "restore-privileges does not include trusted-xattrs"
                        : n.rfind("security.", 0) == 0 ? "restore-privileges does not include security-xattrs"
                                                       : "not a user, ACL, trusted or security attribute";
      r.notes.push_back(fmt::format("extended attribute {} not restored: {}", printable(n), why));
      continue;
    }
    if (fsetxattr(fd, n.c_str(), xvalue, xsize, 0) != 0)
      r.notes.push_back(fmt::format("extended attribute {} not restored: {}", printable(n), strerror(errno)));
  }

  for (int type : {ARCHIVE_ENTRY_ACL_TYPE_ACCESS, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT}) {
    if (type == ARCHIVE_ENTRY_ACL_TYPE_DEFAULT && !is_dir) continue;
    if (archive_entry_acl_reset(e, type) == 0) continue;
    std::vector<AclEntry> v;
    int t, perm, tag, qual;
    const char* qname;
    while (archive_entry_acl_next(e, type, &t, &perm, &tag, &qual, &qname) == ARCHIVE_OK) {
      AclEntry a{kernel_tag(tag), static_cast<uint16_t>(perm & 7), 0xffffffffu};
      if (tag == ARCHIVE_ENTRY_ACL_USER) a.id = uid_for(qname, qual);
      if (tag == ARCHIVE_ENTRY_ACL_GROUP) a.id = gid_for(qname, qual);
      if (a.tag) v.push_back(a);
    }
    const char* xa = type == ARCHIVE_ENTRY_ACL_TYPE_ACCESS ? "system.posix_acl_access" : "system.posix_acl_default";
    std::string bytes = acl_xattr(std::move(v));
    if (fsetxattr(fd, xa, bytes.data(), bytes.size(), 0) != 0)
      r.notes.push_back(fmt::format("{} ACL not restored: {}", type == ARCHIVE_ENTRY_ACL_TYPE_ACCESS ? "access" : "default",
                                    strerror(errno)));
  }

  Deferred d{};
  d.mode = mode;
  d.times[0] = archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                                             : timespec{0, UTIME_OMIT};
  d.times[1] = archive_entry_mtime_is_set(e) ? timespec{archive_entry_mtime(e), archive_entry_mtime_nsec(e)}
                                             : timespec{0, UTIME_OMIT};
  unsigned long set = 0, clear = 0;
  archive_entry_fflags(e, &set, &clear);
  if (set) {
    if (priv_.flags) {
      d.flags_set = set;
      d.flags_clear = clear;
    } else {
      const char* text = archive_entry_fflags_text(e);
      r.notes.push_back(fmt::format("file flags {} not restored: restore-privileges does not include flags",
                                    text ? text : "?"));
    }
  }
  if (!defer) {
    apply_deferred(fd, d);
    return;
  }
  d.set_mode = now != mode;
  struct stat st{};
  if (fstat(fd, &st) == 0) owed_[{st.st_dev, st.st_ino}] = d;
  // Times now for a directory never entered; again when the chain leaves it.
  futimens(fd, d.times);
  if ((d.set_mode || d.flags_set || d.flags_clear) && fd != root_.get()) {
    if (held_.size() < kHeld) held_.emplace_back(fcntl(fd, F_DUPFD_CLOEXEC, 0));
    else apply_deferred(fd, d);  // too many to hold: now, at the cost of a later child failing
  }
}

// For symlinks and nodes: no descriptor to hold, so the name in its
// already opened parent, never following a symlink.
void TreeWriter::apply_name(archive_entry* e, int parent, const std::string& name, bool chmod_ok, EntryResult& r) {
  const char* n = name.c_str();
  if (owner_) {
    uid_t uid;
    gid_t gid;
    owner_of(e, uid, gid);
    if (fchownat(parent, n, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
      r.notes.push_back(fmt::format("owner {}:{} not set: {}", uid, gid, strerror(errno)));
  }
  if (chmod_ok && fchmodat(parent, n, allowed_mode(e, r), AT_SYMLINK_NOFOLLOW) != 0)
    r.notes.push_back(fmt::format("mode not set: {}", strerror(errno)));
  archive_entry_xattr_reset(e);
  if (archive_entry_xattr_count(e) > 0)
    r.notes.push_back("extended attributes not restored: not kept on symlinks, devices and FIFOs");
  unsigned long set = 0, clear = 0;
  archive_entry_fflags(e, &set, &clear);
  if (set) r.notes.push_back("file flags not restored: not kept on symlinks, devices and FIFOs");
  timespec t[2] = {archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                                                 : timespec{0, UTIME_OMIT},
                   archive_entry_mtime_is_set(e) ? timespec{archive_entry_mtime(e), archive_entry_mtime_nsec(e)}
                                                 : timespec{0, UTIME_OMIT}};
  utimensat(parent, n, t, AT_SYMLINK_NOFOLLOW);
}

// Like tar: the name when it exists here, else the number.
void TreeWriter::owner_of(archive_entry* e, uid_t& uid, gid_t& gid) {
  uid = uid_for(archive_entry_uname(e), archive_entry_uid(e));
  gid = gid_for(archive_entry_gname(e), archive_entry_gid(e));
}

uid_t TreeWriter::uid_for(const char* name, int64_t id) {
  if (!name || !*name) return static_cast<uid_t>(id);
  auto it = uids_.find(name);
  if (it == uids_.end()) {
    passwd pw{}, *res = nullptr;
    char buf[4096];
    uid_t v = static_cast<uid_t>(id);
    if (getpwnam_r(name, &pw, buf, sizeof buf, &res) == 0 && res) v = res->pw_uid;
    it = uids_.emplace(name, v).first;
  }
  return it->second;
}

gid_t TreeWriter::gid_for(const char* name, int64_t id) {
  if (!name || !*name) return static_cast<gid_t>(id);
  auto it = gids_.find(name);
  if (it == gids_.end()) {
    group gr{}, *res = nullptr;
    char buf[4096];
    gid_t v = static_cast<gid_t>(id);
    if (getgrnam_r(name, &gr, buf, sizeof buf, &res) == 0 && res) v = res->gr_gid;
    it = gids_.emplace(name, v).first;
  }
  return it->second;
}

EntryResult TreeWriter::finish() {
  if (file_ >= 0) discard_file();
  while (!chain_.empty()) {
    leave(chain_.back());
    chain_.pop_back();
  }
  held_.emplace_back(fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
  for (const auto& fd : held_) {
    struct stat st{};
    if (fd && fstat(fd.get(), &st) == 0)
      if (auto it = owed_.find({st.st_dev, st.st_ino}); it != owed_.end()) apply_deferred(fd.get(), it->second);
  }
  held_.clear();
  owed_.clear();
  return {};
}

}  // namespace ndmp::backup

#include "tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/acl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ndmp::backup::test {
namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + strerror(errno));
}

uint64_t fnv(uint64_t h, const void* p, size_t n) {
  auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

// Layout-independent content hash: the same bytes hash the same whether
// zero ranges are holes or written zeros.
uint64_t content_hash(const std::string& path, uint64_t size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  check(fd >= 0, "open " + path);
  uint64_t h = 1469598103934665603ull;
  std::vector<char> buf(1 << 20);
  off_t pos = 0;
  while (static_cast<uint64_t>(pos) < size) {
    off_t data = lseek(fd, pos, SEEK_DATA);
    if (data < 0) break;  // only a hole remains
    off_t hole = lseek(fd, data, SEEK_HOLE);
    // Align to 4 KiB so both sides chunk identically.
    off_t at = data / 4096 * 4096;
    while (at < hole) {
      size_t want = static_cast<size_t>(std::min<off_t>(hole - at, static_cast<off_t>(buf.size())));
      ssize_t got = pread(fd, buf.data(), want, at);
      check(got >= 0, "read " + path);
      if (got == 0) break;
      for (ssize_t c = 0; c < got; c += 4096) {
        size_t len = static_cast<size_t>(std::min<ssize_t>(4096, got - c));
        bool zero = true;
        for (size_t i = 0; i < len && zero; ++i) zero = buf[static_cast<size_t>(c) + i] == 0;
        if (!zero) {
          uint64_t off = static_cast<uint64_t>(at + c);
          h = fnv(h, &off, sizeof off);
          h = fnv(h, buf.data() + c, len);
        }
      }
      at += got;
    }
    pos = hole;
  }
  ::close(fd);
  return h;
}

std::map<std::string, std::string> xattrs_of(const std::string& path) {
  std::map<std::string, std::string> out;
  char names[65536];
  ssize_t n = llistxattr(path.c_str(), names, sizeof names);
  for (ssize_t i = 0; i < n;) {
    std::string name = names + i;
    i += static_cast<ssize_t>(name.size()) + 1;
    if (name.rfind("user.", 0) != 0 && name.rfind("system.posix_acl", 0) != 0) continue;
    char val[65536];
    ssize_t v = lgetxattr(path.c_str(), name.c_str(), val, sizeof val);
    if (v >= 0) out[name] = std::string(val, static_cast<size_t>(v));
  }
  return out;
}

void walk(const std::string& root, const std::string& rel, std::map<std::string, NodeInfo>& out,
          std::map<std::pair<dev_t, ino_t>, std::vector<std::string>>& inodes) {
  std::string path = rel.empty() ? root : root + "/" + rel;
  struct stat st{};
  check(lstat(path.c_str(), &st) == 0, "lstat " + path);
  if (S_ISSOCK(st.st_mode)) return;
  NodeInfo n;
  n.perms = st.st_mode & 07777;
  n.uid = st.st_uid;
  n.gid = st.st_gid;
  n.mtime_sec = st.st_mtim.tv_sec;
  n.mtime_nsec = st.st_mtim.tv_nsec;
  n.allocated = static_cast<uint64_t>(st.st_blocks) * 512;
  n.xattrs = xattrs_of(path);
  if (S_ISREG(st.st_mode)) {
    n.type = "file";
    n.size = static_cast<uint64_t>(st.st_size);
    n.content_hash = content_hash(path, n.size);
    if (st.st_nlink > 1) inodes[{st.st_dev, st.st_ino}].push_back(rel);
  } else if (S_ISDIR(st.st_mode)) {
    n.type = "dir";
  } else if (S_ISLNK(st.st_mode)) {
    n.type = "symlink";
    char t[4096];
    ssize_t k = readlink(path.c_str(), t, sizeof t);
    check(k >= 0, "readlink " + path);
    n.link_target.assign(t, static_cast<size_t>(k));
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    n.type = S_ISCHR(st.st_mode) ? "chr" : "blk";
    n.rdev = st.st_rdev;
  } else if (S_ISFIFO(st.st_mode)) {
    n.type = "fifo";
  }
  out[rel] = n;
  if (S_ISDIR(st.st_mode)) {
    DIR* d = opendir(path.c_str());
    check(d != nullptr, "opendir " + path);
    std::vector<std::string> names;
    while (dirent* de = readdir(d))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) names.emplace_back(de->d_name);
    closedir(d);
    for (const auto& name : names) walk(root, rel.empty() ? name : rel + "/" + name, out, inodes);
  }
}

}  // namespace

TempDir::TempDir(const std::string& tag) {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ndmp-backup-" + tag + "-XXXXXX";
  std::vector<char> b(tmpl.begin(), tmpl.end());
  b.push_back('\0');
  check(mkdtemp(b.data()) != nullptr, "mkdtemp");
  path_ = b.data();
}

TempDir::~TempDir() { remove_tree(path_); }

void remove_tree(const std::string& path) {
  struct stat st{};
  if (lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    chmod(path.c_str(), 0700);
    if (DIR* d = opendir(path.c_str())) {
      std::vector<std::string> names;
      while (dirent* de = readdir(d))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) names.emplace_back(de->d_name);
      closedir(d);
      for (const auto& n : names) remove_tree(path + "/" + n);
    }
    rmdir(path.c_str());
  } else {
    unlink(path.c_str());
  }
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  check(fd >= 0, "create " + path);
  check(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()), "write " + path);
  ::close(fd);
  check(chmod(path.c_str(), mode) == 0, "chmod " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void set_mtime(const std::string& path, int64_t sec, long nsec) {
  timespec t[2] = {{sec, nsec}, {sec, nsec}};
  check(utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW) == 0, "utimensat " + path);
}

TreeFeatures make_rich_tree(const std::string& root, uint64_t sparse_size) {
  TreeFeatures f;
  auto p = [&](const std::string& rel) { return root + "/" + rel; };
  check(mkdir(p("dir").c_str(), 0755) == 0, "mkdir");
  check(mkdir(p("dir/sub").c_str(), 0750) == 0, "mkdir");
  write_file(p("dir/hello.txt"), "hello, world\n");
  write_file(p("dir/sub/exec.sh"), "#!/bin/sh\necho hi\n", 04755);
  write_file(p("empty"), "", 0600);
  std::string big(3 * 1024 * 1024 + 123, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 3);
  write_file(p("dir/big.bin"), big);  // > the 1 MiB engine block, odd length
  check(chown(p("dir/hello.txt").c_str(), 1234, 5678) == 0 || geteuid() != 0, "chown");
  check(lchown(p("empty").c_str(), 4321, 8765) == 0 || geteuid() != 0, "chown");

  // Odd names.
  write_file(p("with space"), "space\n");
  write_file(p("new\nline"), "newline\n");
  write_file(p("\xc3\xbc" "tf-8 \xe2\x98\x83"), "utf8\n");
  std::string long1(200, 'a'), long2(200, 'b');
  check(mkdir(p(long1).c_str(), 0755) == 0, "mkdir long");
  write_file(p(long1 + "/" + long2), "deep\n");  // path > 400 bytes

  // Links.
  check(symlink("dir/hello.txt", p("link-rel").c_str()) == 0, "symlink");
  check(symlink("/nonexistent/target", p("link-dangling").c_str()) == 0, "symlink");
  check(mkdir(p("hl").c_str(), 0755) == 0, "mkdir");
  write_file(p("hl/a"), "shared inode\n");
  check(link(p("hl/a").c_str(), p("hl/b").c_str()) == 0, "link");
  check(link(p("hl/a").c_str(), p("dir/c-link").c_str()) == 0, "link");

  // Special files.
  check(mkfifo(p("fifo").c_str(), 0640) == 0, "mkfifo");
  if (geteuid() == 0) {
    f.devices = mknod(p("chr").c_str(), S_IFCHR | 0620, makedev(1, 3)) == 0 &&
                mknod(p("blk").c_str(), S_IFBLK | 0660, makedev(7, 200)) == 0;
  }
  {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::string sp = p("sock");
    if (sp.size() < sizeof a.sun_path) {
      strcpy(a.sun_path, sp.c_str());
      bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    ::close(s);
  }

  // Extended attributes and ACLs.
  f.xattrs = lsetxattr(p("dir/hello.txt").c_str(), "user.comment", "hi there", 8, 0) == 0 &&
             lsetxattr(p("dir").c_str(), "user.dirattr", "\x01\x02\x00\x03", 4, 0) == 0;
  if (acl_t acl = acl_from_text("u::rw-,u:1234:r--,g::r--,m::r--,o::---")) {
    f.acls = acl_set_file(p("dir/sub/exec.sh").c_str(), ACL_TYPE_ACCESS, acl) == 0;
    acl_free(acl);
    if (acl_t dacl = acl_from_text("u::rwx,g::r-x,g:5678:rwx,m::rwx,o::---")) {
      f.acls = f.acls && acl_set_file(p("dir/sub").c_str(), ACL_TYPE_DEFAULT, dacl) == 0;
      acl_free(dacl);
    }
  }

  // Sparse file with data at the start, the middle and the end.
  if (sparse_size > 0) {
    std::string name = "sparse.img";
    int fd = ::open(p(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    check(fd >= 0, "create sparse");
    check(ftruncate(fd, static_cast<off_t>(sparse_size)) == 0, "ftruncate");
    std::string chunk(70000, 'S');
    for (uint64_t off : {uint64_t{0}, sparse_size / 2 + 12345, sparse_size - chunk.size()})
      check(pwrite(fd, chunk.data(), chunk.size(), static_cast<off_t>(off)) == static_cast<ssize_t>(chunk.size()), "pwrite");
    ::close(fd);
    struct stat st{};
    lstat(p(name).c_str(), &st);
    if (static_cast<uint64_t>(st.st_blocks) * 512 < sparse_size / 4) {
      f.sparse_name = name;
      f.sparse_size = sparse_size;
    } else {
      unlink(p(name).c_str());
    }
  }

  // Fixed times with nanoseconds, set last (children change dir mtimes).
  set_mtime(p("dir/hello.txt"), 1000000000, 123456789);
  set_mtime(p("link-rel"), 1100000000, 987654321);
  set_mtime(p("dir/sub"), 1200000000, 5);
  set_mtime(p("dir"), 1300000000, 999999999);
  return f;
}

std::map<std::string, NodeInfo> snapshot(const std::string& root) {
  std::map<std::string, NodeInfo> out;
  std::map<std::pair<dev_t, ino_t>, std::vector<std::string>> inodes;
  walk(root, "", out, inodes);
  for (auto& [ino, paths] : inodes) {
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) out[path].hardlink_group = paths.front();
  }
  return out;
}

std::vector<std::string> diff_snapshots(const std::map<std::string, NodeInfo>& want,
                                        const std::map<std::string, NodeInfo>& got) {
  std::vector<std::string> d;
  for (const auto& [path, w] : want) {
    auto it = got.find(path);
    std::string shown = "\"" + path + "\"";
    if (it == got.end()) {
      d.push_back(shown + " missing");
      continue;
    }
    const NodeInfo& g = it->second;
    auto cmp = [&](bool same, const std::string& what) {
      if (!same) d.push_back(shown + " differs in " + what);
    };
    cmp(w.type == g.type, "type (" + w.type + " vs " + g.type + ")");
    cmp(w.perms == g.perms, "mode");
    cmp(w.uid == g.uid && w.gid == g.gid, "owner");
    cmp(w.size == g.size, "size");
    cmp(w.mtime_sec == g.mtime_sec && w.mtime_nsec == g.mtime_nsec,
          "mtime (" + std::to_string(w.mtime_sec) + "." + std::to_string(w.mtime_nsec) + " vs " +
              std::to_string(g.mtime_sec) + "." + std::to_string(g.mtime_nsec) + ")");
    cmp(w.content_hash == g.content_hash, "content");
    cmp(w.link_target == g.link_target, "link target");
    cmp(w.rdev == g.rdev, "device numbers");
    cmp(w.xattrs == g.xattrs, "xattrs/ACLs");
    cmp(w.hardlink_group == g.hardlink_group, "hard link identity (" + w.hardlink_group + " vs " + g.hardlink_group + ")");
  }
  for (const auto& [path, g] : got)
    if (!want.count(path)) d.push_back("\"" + path + "\" unexpected");
  return d;
}

}  // namespace ndmp::backup::test

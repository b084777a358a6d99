// Test trees: temporary directories, file creation helpers, and a snapshot
// of everything a restore must reproduce so two trees can be compared.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ndmp::backup::test {

// mkdtemp under /tmp (or $TMPDIR), removed recursively on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string sub(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

void remove_tree(const std::string& path);
void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);
std::string read_file(const std::string& path);
void set_mtime(const std::string& path, int64_t sec, long nsec);  // lutimes-style, no follow

// What the generated tree contains that depends on this machine.
struct TreeFeatures {
  bool devices = false;  // mknod worked (root)
  bool xattrs = false;   // user.* xattrs worked on this filesystem
  bool acls = false;     // POSIX ACLs worked
  std::string sparse_name;  // "" if the filesystem could not make a sparse file
  uint64_t sparse_size = 0;
};

// Every file type, odd names, hard links, xattrs, ACLs and a sparse file of
// `sparse_size` bytes (0 = none). A UNIX socket is created too; tar cannot
// carry it, so snapshots leave sockets out.
TreeFeatures make_rich_tree(const std::string& root, uint64_t sparse_size);

struct NodeInfo {
  std::string type;  // "file", "dir", "symlink", "chr", "blk", "fifo"
  mode_t perms = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  long mtime_nsec = 0;
  uint64_t content_hash = 0;  // regular files: hash of non-zero 4 KiB chunks and their offsets
  std::string link_target;
  dev_t rdev = 0;
  std::map<std::string, std::string> xattrs;  // user.* and system.posix_acl_*
  std::string hardlink_group;                 // first path (sorted) sharing this inode, for nlink > 1
  uint64_t allocated = 0;                     // st_blocks * 512 (not compared)
};

// Snapshot keyed by path relative to root ("" for the root itself).
std::map<std::string, NodeInfo> snapshot(const std::string& root);

// Human-readable differences; empty when equal.
std::vector<std::string> diff_snapshots(const std::map<std::string, NodeInfo>& want,
                                        const std::map<std::string, NodeInfo>& got);

}  // namespace ndmp::backup::test

// Directories known by descriptor, and opening below one without leaving it.
//
// Exports are opened once (server start) and every later path is opened
// relative to such a descriptor, so a name swapped for a symlink between a
// check and a use can never redirect a backup or a restore (issue 15 item 1).
//
//  open_dir      the only place a configured absolute path is resolved by
//                name (symlinks followed: the operator wrote it).
//  open_beneath  a relative path below a Dir: openat2 with RESOLVE_BENEATH |
//                RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS where the kernel
//                has it, else one O_NOFOLLOW|O_DIRECTORY openat per component;
//                `create` makes missing components (0700) on the way.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>
#include <string_view>
#include <utility>

#include "backup/status.h"

namespace ndmp::backup {

// Owns one descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  void reset(int fd = -1);
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// An open directory, shared by whoever holds a copy (a job's request is
// copied between threads). `name` is for logs and the dumpdates key only:
// nothing opens it again.
struct Dir {
  std::shared_ptr<const UniqueFd> fd;
  std::string name;
  dev_t dev = 0;
  ino_t ino = 0;

  int get() const { return fd ? fd->get() : -1; }
  explicit operator bool() const { return get() >= 0; }
};

// Opens an absolute, operator-given directory path.
Status open_dir(const std::string& path, Dir& out);

// Opens `rel` (relative, "/"-separated; "" or "." is `base` itself) below
// `base`. Refused with invalid_argument: "..", a symlink anywhere, a
// component that is not a directory. `out.name` is base.name + "/" + rel.
Status open_beneath(const Dir& base, std::string_view rel, bool create, Dir& out);

// `path` as a name relative to the directory called `base_name`: an
// absolute path lexically below it ("." and repeated "/" ignored, ".."
// refused, nothing resolved), or a relative path as it is. False when an
// absolute path is not below `base_name`.
bool relative_to(const std::string& base_name, const std::string& path, std::string& rel);

// Control characters (and backslash) as \xNN, for names from a tape or a
// peer that go into the log or a LOG message: common/escape.h's escape(),
// under the name backup/ already uses.
std::string printable(std::string_view s);

// One name of a directory listing.
struct DirChild {
  std::string name;
  unsigned char type;  // readdir's d_type (DT_UNKNOWN where the filesystem does not say)
};

// The names of the open directory `dirfd`, sorted (a stable archive order),
// read through a descriptor of its own (a dup would share the directory
// offset with another walk of the same directory); false if it cannot be
// listed.
bool list_dir_sorted(int dirfd, std::vector<DirChild>& out);

}  // namespace ndmp::backup

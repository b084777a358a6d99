#include "backup/dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "common/escape.h"

namespace ndmp::backup {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

Status make_dir(UniqueFd fd, std::string name, Dir& out) {
  struct stat st{};
  if (fstat(fd.get(), &st) != 0) return Status::io_error(fmt::format("cannot stat {}: {}", name, strerror(errno)));
  if (!S_ISDIR(st.st_mode)) return Status::invalid_argument(fmt::format("{} is not a directory", name));
  out.fd = std::make_shared<const UniqueFd>(std::move(fd));
  out.name = std::move(name);
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  return Status::Ok();
}

std::vector<std::string_view> components(std::string_view rel, bool& dotdot) {
  std::vector<std::string_view> out;
  dotdot = false;
  size_t pos = 0;
  while (pos <= rel.size()) {
    size_t end = rel.find('/', pos);
    if (end == std::string_view::npos) end = rel.size();
    auto c = rel.substr(pos, end - pos);
    if (c == "..") dotdot = true;
    if (!c.empty() && c != ".") out.push_back(c);
    pos = end + 1;
  }
  return out;
}

// openat2 once for the whole path; -1 with errno ENOSYS when the kernel
// (or a seccomp filter) does not have it.
int openat2_beneath(int base, const std::string& rel) {
#ifdef SYS_openat2
  open_how how{};
  how.flags = kDirFlags | O_NOFOLLOW;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long r = syscall(SYS_openat2, base, rel.c_str(), &how, sizeof how);
  if (r < 0 && (errno == EPERM || errno == E2BIG)) errno = ENOSYS;  // seccomp, old struct
  return static_cast<int>(r);
#else
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status open_dir(const std::string& path, Dir& out) {
  UniqueFd fd(::open(path.c_str(), kDirFlags));
  if (!fd) return Status::invalid_argument(fmt::format("cannot open directory {}: {}", path, strerror(errno)));
  return make_dir(std::move(fd), path, out);
}

Status open_beneath(const Dir& base, std::string_view rel, bool create, Dir& out) {
  if (!base) return Status::invalid_argument("no base directory");
  if (!rel.empty() && rel.front() == '/') return Status::invalid_argument(fmt::format("{} is not relative", printable(rel)));
  bool dotdot = false;
  auto comps = components(rel, dotdot);
  if (dotdot) return Status::invalid_argument(fmt::format("{} contains ..", printable(rel)));
  std::string joined;
  for (auto c : comps) {
    if (!joined.empty()) joined += '/';
    joined += c;
  }
  std::string name = joined.empty() ? base.name : base.name + "/" + joined;
  if (joined.empty()) {
    // A description of its own, not a dup: a directory listing's offset
    // must not be shared with another job of the same export.
    UniqueFd again(openat(base.get(), ".", kDirFlags));
    if (!again) return Status::io_error(fmt::format("cannot open {}: {}", printable(name), strerror(errno)));
    return make_dir(std::move(again), name, out);
  }
  int fd = openat2_beneath(base.get(), joined);
  if (fd >= 0) return make_dir(UniqueFd(fd), name, out);
  if (errno != ENOSYS && !(errno == ENOENT && create)) {
    if (errno == ELOOP || errno == EXDEV || errno == ENOTDIR)
      return Status::invalid_argument(fmt::format("{} runs through a symlink or a non-directory", printable(name)));
    return Status::invalid_argument(fmt::format("cannot open {}: {}", printable(name), strerror(errno)));
  }
  // The walk: each component opened relative to its parent's descriptor,
  // never following a symlink, so nothing resolves outside `base`.
  UniqueFd cur(fcntl(base.get(), F_DUPFD_CLOEXEC, 0));
  if (!cur) return Status::io_error(fmt::format("dup: {}", strerror(errno)));
  for (auto c : comps) {
    std::string comp(c);
    int next = openat(cur.get(), comp.c_str(), kDirFlags | O_NOFOLLOW);
    if (next < 0 && errno == ENOENT && create) {
      if (mkdirat(cur.get(), comp.c_str(), 0700) != 0 && errno != EEXIST)
        return Status::io_error(fmt::format("cannot create {} in {}: {}", printable(comp), printable(name), strerror(errno)));
      next = openat(cur.get(), comp.c_str(), kDirFlags | O_NOFOLLOW);
    }
    if (next < 0) {
      if (errno == ELOOP || errno == ENOTDIR)
        return Status::invalid_argument(
            fmt::format("{} in {} is a symlink or not a directory", printable(comp), printable(name)));
      return Status::invalid_argument(fmt::format("cannot open {} in {}: {}", printable(comp), printable(name), strerror(errno)));
    }
    cur.reset(next);
  }
  return make_dir(std::move(cur), name, out);
}

bool relative_to(const std::string& base_name, const std::string& path, std::string& rel) {
  if (path.empty() || path.front() != '/') {
    rel = path;
    return true;
  }
  bool dotdot = false;
  auto b = components(base_name, dotdot);
  auto p = components(path, dotdot);
  if (dotdot || p.size() < b.size() || !std::equal(b.begin(), b.end(), p.begin())) return false;
  rel.clear();
  for (size_t i = b.size(); i < p.size(); ++i) {
    if (!rel.empty()) rel += '/';
    rel += p[i];
  }
  return true;
}

std::string printable(std::string_view s) { return log::escape(s); }

bool list_dir_sorted(int dirfd, std::vector<DirChild>& out) {
  out.clear();
  int own = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = own >= 0 ? fdopendir(own) : nullptr;
  if (!d) {
    if (own >= 0) ::close(own);
    return false;
  }
  while (dirent* de = readdir(d)) {
    std::string_view n = de->d_name;
    if (n != "." && n != "..") out.push_back({std::string(n), de->d_type});
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const DirChild& x, const DirChild& y) { return x.name < y.name; });
  return true;
}

}  // namespace ndmp::backup

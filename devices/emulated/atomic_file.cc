#include "devices/emulated/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ndmp::dev::emu {

Status write_file_atomically(const std::filesystem::path& path, const std::string& contents) {
  const std::string tmp = path.string() + ".tmp";
  // Library state is the operator's: owner-only, and never written through
  // a symlink left in place of the temporary name.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::io(fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t w = ::write(fd, contents.data() + done, contents.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      Status s = Status::io(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
      ::close(fd);
      return s;
    }
    done += size_t(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    return Status::io(fmt::format("cannot flush {}: {}", tmp, std::strerror(errno)));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Status::io(fmt::format("cannot rename {} to {}: {}", tmp, path.string(), std::strerror(errno)));
  int dfd = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // make the rename itself durable
    ::close(dfd);
  }
  return Status::Ok();
}

StatusOr<std::string> read_small_file(const std::filesystem::path& path, bool* missing) {
  std::ifstream in(path);
  if (!in) {
    if (missing && errno == ENOENT) {
      *missing = true;
      return std::string();
    }
    return Status::io(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  if (missing) *missing = false;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ndmp::dev::emu

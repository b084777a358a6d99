#include "backup/dump_dates.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ndmp::backup {

Timestamp now_realtime() {
  timespec ts{};
  // The coarse clock is the one the kernel stamps mtime/ctime with. The
  // precise clock runs up to a tick ahead of it, so a file changed just
  // after a precise dump date could carry an earlier mtime and be missed
  // by the next incremental.
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return {ts.tv_sec, static_cast<int32_t>(ts.tv_nsec)};
}

DumpDates::DumpDates(std::string state_dir) : dir_(std::move(state_dir)) {}

std::string DumpDates::path() const { return dir_ + "/dumpdates"; }

Status DumpDates::load(std::vector<DumpDateRecord>& out) const {
  out.clear();
  std::ifstream in(path());
  if (!in) {
    if (errno == ENOENT) return Status::Ok();
    return Status::io_error(fmt::format("cannot read {}: {}", path(), strerror(errno)));
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    DumpDateRecord r;
    long long sec = 0;
    int nsec = 0, used = 0;
    if (sscanf(line.c_str(), "%d %lld.%9d %n", &r.level, &sec, &nsec, &used) != 3 || used == 0 ||
        r.level < 0 || r.level > 9 || static_cast<size_t>(used) >= line.size())
      return Status::io_error(fmt::format("{} line {} is malformed: \"{}\"", path(), lineno, line));
    r.date = {sec, nsec};
    r.filesystem = line.substr(used);
    out.push_back(std::move(r));
  }
  return Status::Ok();
}

Status DumpDates::base_for(const std::string& filesystem, int level,
                           std::optional<Timestamp>& out) const {
  out.reset();
  std::vector<DumpDateRecord> recs;
  if (auto st = load(recs); !st) return st;
  for (const auto& r : recs)
    if (r.filesystem == filesystem && r.level < level && (!out || r.date > *out)) out = r.date;
  return Status::Ok();
}

Status DumpDates::record(const std::string& filesystem, int level, Timestamp date) {
  if (filesystem.find('\n') != std::string::npos)
    return Status::invalid_argument("FILESYSTEM contains a newline; not recorded in dumpdates");
  std::string lock_path = dir_ + "/dumpdates.lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return Status::io_error(fmt::format("cannot open {}: {}", lock_path, strerror(errno)));
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing drops the flock
  } unlock{lock};
  if (flock(lock, LOCK_EX) != 0)
    return Status::io_error(fmt::format("cannot lock {}: {}", lock_path, strerror(errno)));

  std::vector<DumpDateRecord> recs;
  if (auto st = load(recs); !st) return st;
  std::erase_if(recs, [&](const DumpDateRecord& r) { return r.filesystem == filesystem && r.level == level; });
  recs.push_back({filesystem, level, date});

  std::string text;
  for (const auto& r : recs) text += fmt::format("{} {}.{:09d} {}\n", r.level, r.date.sec, r.date.nsec, r.filesystem);
  std::string tmp = path() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::io_error(fmt::format("cannot create {}: {}", tmp, strerror(errno)));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::io_error(fmt::format("cannot write {}: {}", tmp, strerror(e)));
    }
    off += static_cast<size_t>(n);
  }
  // fsync before rename: after a crash the record is either old or new, never empty.
  if (fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::io_error(fmt::format("cannot flush {}: {}", tmp, strerror(errno)));
  }
  if (::rename(tmp.c_str(), path().c_str()) != 0)
    return Status::io_error(fmt::format("cannot replace {}: {}", path(), strerror(errno)));
  return Status::Ok();
}

}  // namespace ndmp::backup

#include "backup/size_estimate.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "backup/dir.h"

namespace ndmp::backup {
namespace {

Timestamp ts(const timespec& t) { return {t.tv_sec, static_cast<int32_t>(t.tv_nsec)}; }

struct Walk {
  const Selection& selection;
  const EstimateLimits& limits;
  dev_t root_dev;
  SizeEstimate est;
  bool stopped = false;

  bool should_stop() {
    if (stopped) return true;
    if ((limits.stop && limits.stop->load(std::memory_order_relaxed)) ||
        (limits.stop_too && limits.stop_too->load(std::memory_order_relaxed)) || est.entries >= limits.max_entries ||
        // The clock is read once per 1024 entries: cheap against a stat each.
        (est.entries % 1024 == 0 && std::chrono::steady_clock::now() >= limits.until))
      stopped = true;
    return stopped;
  }

  void dir(int dirfd, const std::string& rel) {
    std::vector<DirChild> children;
    if (!list_dir_sorted(dirfd, children)) return;
    for (const auto& c : children) {
      if (should_stop()) return;
      const std::string child = rel.empty() ? c.name : rel + "/" + c.name;
      struct stat st{};
      if (selection.excluded(c.name, child) || fstatat(dirfd, c.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISSOCK(st.st_mode) || !selection.changed(st)) continue;
      est.bytes += estimate_entry(st);
      ++est.entries;
      if (S_ISDIR(st.st_mode) && st.st_dev == root_dev) {
        UniqueFd sub(openat(dirfd, c.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub.get() >= 0) dir(sub.get(), child);
      }
    }
  }
};

}  // namespace

bool Selection::excluded(const std::string& name, const std::string& rel) const {
  if (options_.excludes.empty()) return false;
  const std::string slash_rel = "/" + rel;
  for (const auto& p : options_.excludes) {
    if (p.find('/') != std::string::npos) {
      if (fnmatch(p.c_str(), slash_rel.c_str(), FNM_PATHNAME) == 0) return true;
    } else if (fnmatch(p.c_str(), name.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

bool Selection::changed(const struct stat& st) const {
  if (!base_ || S_ISDIR(st.st_mode)) return true;
  return ts(st.st_mtim) >= *base_ || ts(st.st_ctim) >= *base_;
}

uint64_t estimate_entry(const struct stat& st) {
  uint64_t data = 0;
  if (S_ISREG(st.st_mode)) {
    data = std::min<uint64_t>(static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_blocks) * 512);
    data = (data + 511) / 512 * 512;
  }
  return data + 3 * 512;
}

SizeEstimate estimate_tree(int root_fd, const struct stat& root_st, const Selection& selection,
                           const EstimateLimits& limits) {
  Walk w{selection, limits, root_st.st_dev, {}};
  w.est.bytes = estimate_entry(root_st) + 1024;  // the root entry, the end-of-archive blocks
  w.est.entries = 1;
  w.dir(root_fd, "");
  w.est.complete = !w.stopped;
  return w.est;
}

Status estimate_backup(const BackupRequest& req, const EstimateLimits& limits, SizeEstimate& out) {
  if (!req.source) return Status::invalid_argument("no source directory given");
  std::optional<Timestamp> base;
  if (req.options.level > 0 && !req.state_dir.empty())
    if (auto s = DumpDates(req.state_dir).base_for(req.source.name, req.options.level, base); !s) return s;
  struct stat root_st{};
  if (fstat(req.source.get(), &root_st) != 0)
    return Status::io_error(fmt::format("cannot stat {}: {}", printable(req.source.name), strerror(errno)));
  out = estimate_tree(req.source.get(), root_st, Selection(req.options, base), limits);
  return Status::Ok();
}

}  // namespace ndmp::backup

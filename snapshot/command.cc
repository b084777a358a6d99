// The site script's snapshot: the script does the work, ndmpd records it,
// opens what it printed and calls the script again to remove it.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/escape.h"
#include "snapshot/child_process.h"
#include "snapshot/makers.h"

namespace ndmp::snapshot::detail {

backup::Status command_create(Record& r, const Target& t, const Settings& s, const Save& save, backup::Dir& root) {
  if (::mkdir(r.dir.c_str(), 0700) != 0)
    return backup::Status::io_error(fmt::format("cannot create {}: {}", r.dir, strerror(errno)));
  if (auto st = save(r); !st.ok()) return st;
  const std::vector<std::string> argv{r.command, "create", t.export_path, r.id, r.dir};
  auto res = run_child(argv, s.timeout);
  if (!res.ok())
    return backup::Status::io_error(fmt::format("snapshot script {} failed: {}", log::escape(r.command), res.failure_text()));
  std::string mount = res.out.substr(0, res.out.find('\n'));
  if (mount.empty() || mount.front() != '/')
    return backup::Status::io_error(fmt::format("snapshot script {} printed no absolute mount point (got \"{}\")",
                                                log::escape(r.command), log::escape(mount)));
  r.mount = mount;
  if (auto st = save(r); !st.ok()) return st;
  if (auto st = backup::open_dir(mount, root); !st.ok())
    return backup::Status::io_error(fmt::format("cannot open the snapshot at {}: {}", log::escape(mount), st.text()));
  return {};
}

backup::Status command_remove(const Record& r, const Settings& s) {
  const std::vector<std::string> argv{r.command, "remove", r.export_path, r.id, r.dir, r.mount};
  auto res = run_child(argv, s.timeout);
  if (!res.ok())
    return backup::Status::io_error(fmt::format("snapshot script {} remove failed: {}", log::escape(r.command),
                                                res.failure_text()));
  return {};
}

}  // namespace ndmp::snapshot::detail

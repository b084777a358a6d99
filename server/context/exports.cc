#include "server/context/exports.h"

#include <climits>
#include <cstdlib>

#include <fmt/format.h>

#include "common/log.h"

namespace ndmp::server {

std::string Exports::open(const std::vector<std::string>& paths) {
  std::vector<Export> opened;
  for (const auto& p : paths) {
    Export e;
    e.path = p;
    if (auto st = backup::open_dir(p, e.dir); !st.ok()) return fmt::format("export: {}", st.text());
    char buf[PATH_MAX];
    e.real = realpath(p.c_str(), buf) ? buf : p;
    log::info("export {} open (device {}, inode {})", p, e.dir.dev, e.dir.ino);
    opened.push_back(std::move(e));
  }
  list_ = std::move(opened);
  return {};
}

const Export* Exports::find(const std::string& path, std::string& rel) const {
  // The most specific export wins when exports nest.
  const Export* best = nullptr;
  size_t best_len = 0;
  for (const auto& e : list_) {
    for (const auto* name : {&e.path, &e.real}) {
      std::string r;
      if (backup::relative_to(*name, path, r) && (!best || name->size() > best_len)) {
        best = &e;
        rel = r;
        best_len = name->size();
      }
    }
  }
  return best;
}

backup::Status Exports::open_inside(const std::string& path, bool create, backup::Dir& out) const {
  if (path.empty() || path.front() != '/')
    return backup::Status::invalid_argument(fmt::format("{} is not an absolute path", backup::printable(path)));
  std::string best_rel;
  const Export* best = find(path, best_rel);
  if (!best)
    return backup::Status::invalid_argument(fmt::format("{} is not inside an export", backup::printable(path)));
  backup::Status st = backup::open_beneath(best->dir, best_rel, create, out);
  if (st.ok()) out.name = best_rel.empty() ? best->path : best->path + "/" + best_rel;
  return st;
}

}  // namespace ndmp::server

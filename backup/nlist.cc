#include "backup/nlist.h"

#include <algorithm>
#include <map>

namespace ndmp::backup {

std::optional<std::string> canonical_relative(const std::string& name) {
  if (!name.empty() && name[0] == '/') return std::nullopt;
  std::string out;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t end = name.find('/', pos);
    if (end == std::string::npos) end = name.size();
    std::string comp = name.substr(pos, end - pos);
    if (comp == "..") return std::nullopt;
    if (!comp.empty() && comp != ".") {
      if (!out.empty()) out += '/';
      out += comp;
    }
    pos = end + 1;
  }
  return out;
}

std::optional<std::string> canonical_nlist_name(const std::string& name) {
  size_t skip = 0;
  while (skip < name.size() && name[skip] == '/') ++skip;
  return canonical_relative(name.substr(skip));
}

bool selects(const std::string& name, const std::string& path) {
  if (name.empty()) return true;
  return path == name || (path.size() > name.size() && path.compare(0, name.size(), name) == 0 &&
                          path[name.size()] == '/');
}

std::vector<ReadRange> plan_direct_reads(const std::vector<NlistEntry>& nlist) {
  std::vector<std::optional<std::string>> canon;
  for (const auto& e : nlist) canon.push_back(canonical_nlist_name(e.original_path));

  std::map<uint64_t, ReadRange> by_offset;
  ReadRange scan;
  scan.scan = true;
  for (size_t i = 0; i < nlist.size(); ++i) {
    if (!canon[i]) continue;  // refused later by the engine, with a reason
    // Covered by another requested name that has an offset: read with it.
    bool covered = false;
    for (size_t j = 0; j < nlist.size() && !covered; ++j)
      covered = j != i && canon[j] && nlist[j].fh_info != kUnknown && *canon[j] != *canon[i] &&
                selects(*canon[j], *canon[i]);
    if (covered) continue;
    if (nlist[i].fh_info == kUnknown) {
      scan.names.push_back(i);
    } else {
      auto& r = by_offset[nlist[i].fh_info];
      r.offset = nlist[i].fh_info;
      r.names.push_back(i);
    }
  }
  std::vector<ReadRange> out;
  for (auto& [off, r] : by_offset) out.push_back(std::move(r));
  if (!scan.names.empty()) out.push_back(std::move(scan));
  return out;
}

}  // namespace ndmp::backup

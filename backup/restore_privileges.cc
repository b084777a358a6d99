#include "backup/restore_privileges.h"

namespace ndmp::backup {
namespace {

struct Word {
  const char* name;
  bool RestorePrivileges::*field;
};
constexpr Word kWords[] = {{"devices", &RestorePrivileges::devices},
                           {"setid", &RestorePrivileges::setid},
                           {"trusted-xattrs", &RestorePrivileges::trusted_xattrs},
                           {"security-xattrs", &RestorePrivileges::security_xattrs},
                           {"flags", &RestorePrivileges::flags}};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

bool parse_restore_privileges(const std::string& text, RestorePrivileges& out, std::string& error) {
  RestorePrivileges p;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (item.empty() || item == "none") continue;
    if (item == "all") {
      p = RestorePrivileges::all();
      continue;
    }
    bool known = false;
    for (const auto& w : kWords)
      if (item == w.name) p.*(w.field) = known = true;
    if (!known) {
      error = "unknown restore privilege '" + item +
              "' (expected a comma list of devices, setid, trusted-xattrs, security-xattrs, flags, or all/none)";
      return false;
    }
  }
  out = p;
  return true;
}

std::string to_string(const RestorePrivileges& p) {
  std::string s;
  for (const auto& w : kWords)
    if (p.*(w.field)) s += (s.empty() ? "" : ", ") + std::string(w.name);
  return s.empty() ? "none" : s;
}

}  // namespace ndmp::backup

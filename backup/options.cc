#include "backup/options.h"

#include <strings.h>

#include <optional>

namespace ndmp::backup {
namespace {

std::optional<std::string> find(const Env& env, std::string_view name) {
  // The last occurrence wins, like a shell environment assigned twice.
  std::optional<std::string> v;
  for (const auto& [k, val] : env)
    if (k == name) v = val;
  return v;
}

bool parse_bool(const std::string& v, bool& out) {
  static const char* yes[] = {"y", "yes", "t", "true", "1"};
  static const char* no[] = {"n", "no", "f", "false", "0"};
  for (auto* y : yes)
    if (strcasecmp(v.c_str(), y) == 0) return out = true, true;
  for (auto* n : no)
    if (strcasecmp(v.c_str(), n) == 0) return out = false, true;
  return false;
}

Status bool_var(const Env& env, const char* name, bool& out) {
  auto v = find(env, name);
  if (!v) return Status::Ok();
  if (!parse_bool(*v, out))
    return Status::invalid_argument(std::string(name) + "=" + *v + " is not y or n");
  return Status::Ok();
}

std::vector<std::string> split_patterns(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  // Surrounding blanks come from "a, b" lists typed by operators.
  for (auto& p : out) {
    auto b = p.find_first_not_of(' ');
    auto e = p.find_last_not_of(' ');
    p = (b == std::string::npos) ? std::string() : p.substr(b, e - b + 1);
  }
  std::erase(out, std::string());
  return out;
}

Status parse_hist(const Env& env, HistoryMode& out) {
  auto v = find(env, "HIST");
  if (!v) return Status::Ok();  // default: file-style, cheap for tar
  std::string h = *v;
  for (auto& c : h) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (h == "y" || h == "yes" || h == "t" || h == "true") {
    out = HistoryMode::file;
    if (auto t = find(env, "HIST_TYPE")) {
      if (strcasecmp(t->c_str(), "d") == 0) out = HistoryMode::dir;
      else if (strcasecmp(t->c_str(), "f") == 0 || strcasecmp(t->c_str(), "y") == 0) out = HistoryMode::file;
      else return Status::invalid_argument("HIST_TYPE=" + *t + " is not y, f or d");
    }
  } else if (h == "f") {
    out = HistoryMode::file;
  } else if (h == "d") {
    out = HistoryMode::dir;
  } else if (h == "n" || h == "no" || h == "false") {
    out = HistoryMode::none;
  } else {
    return Status::invalid_argument("HIST=" + *v + " is not y, n, f or d");
  }
  return Status::Ok();
}

}  // namespace

Status parse_backup_env(const Env& env, BackupOptions& out) {
  out = BackupOptions{};
  out.env = env;
  if (auto v = find(env, "FILESYSTEM"); v && !v->empty()) out.filesystem = *v;
  else if (auto p = find(env, "PREFIX"); p && !p->empty()) out.filesystem = *p;
  else return Status::invalid_argument("neither FILESYSTEM nor PREFIX names what to back up");

  if (auto t = find(env, "TYPE"); t && *t != "tar")
    return Status::invalid_argument("TYPE=" + *t + " is not supported (only tar)");

  if (auto st = parse_hist(env, out.history); !st) return st;

  if (auto l = find(env, "LEVEL")) {
    if (l->size() != 1 || (*l)[0] < '0' || (*l)[0] > '9')
      return Status::invalid_argument("LEVEL=" + *l + " is not a level 0..9");
    out.level = (*l)[0] - '0';
  }
  if (auto st = bool_var(env, "UPDATE", out.update); !st) return st;
  if (auto e = find(env, "EXCLUDE")) out.excludes = split_patterns(*e);
  return Status::Ok();
}

const char* to_string(CheckMode m) {
  switch (m) {
    case CheckMode::restore: return "restore";
    case CheckMode::verify: return "verify";
    case CheckMode::compare: return "compare";
  }
  return "?";
}

Status parse_restore_env(const Env& env, RestoreEnvOptions& out) {
  out = RestoreEnvOptions{};
  out.env = env;
  if (auto st = bool_var(env, "DIRECT", out.direct); !st) return st;
  if (auto st = bool_var(env, "RECURSIVE", out.recursive); !st) return st;
  if (auto v = find(env, "VERIFY")) {
    bool on = false;
    if (strcasecmp(v->c_str(), "compare") == 0) out.check = CheckMode::compare;
    else if (parse_bool(*v, on)) out.check = on ? CheckMode::verify : CheckMode::restore;
    else return Status::invalid_argument("VERIFY=" + *v + " is not y, n or compare");
  }
  if (auto v = find(env, "DIGEST_MISMATCH")) {
    if (strcasecmp(v->c_str(), "halt") == 0) out.halt_on_mismatch = true;
    else if (strcasecmp(v->c_str(), "continue") == 0) out.halt_on_mismatch = false;
    else return Status::invalid_argument("DIGEST_MISMATCH=" + *v + " is not continue or halt");
  }
  return Status::Ok();
}

}  // namespace ndmp::backup

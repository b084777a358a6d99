#include "snapshot/policy.h"

#include <fmt/format.h>

namespace ndmp::snapshot {
namespace {

// "VALUE" (the default) or "/EXPORT=VALUE" (one export). A value never
// starts with '/', so the form is told by the first character.
template <class Parse>
bool parse_items(const std::vector<std::string>& items, Settings& s, std::string& bad, Parse parse) {
  for (const auto& item : items) {
    if (!item.empty() && item.front() == '/') {
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq + 1 == item.size()) return bad = item, false;
      std::string path = item.substr(0, eq);
      while (path.size() > 1 && path.back() == '/') path.pop_back();
      auto [it, fresh] = s.by_export.try_emplace(path, s.defaults);
      if (!parse(item.substr(eq + 1), it->second)) return bad = item, false;
      (void)fresh;
    } else if (!parse(item, s.defaults)) {
      return bad = item, false;
    }
  }
  return true;
}

bool parse_kind(const std::string& v, Policy& p) {
  if (v == "none") p.kind = Kind::none, p.command.clear();
  else if (v == "btrfs") p.kind = Kind::btrfs, p.command.clear();
  else if (v == "lvm") p.kind = Kind::lvm, p.command.clear();
  else if (v.rfind("command:/", 0) == 0 && v.find('\n') == std::string::npos) p.kind = Kind::command, p.command = v.substr(8);
  else return false;
  return true;
}

bool parse_failure(const std::string& v, Policy& p) {
  if (v == "halt") p.on_failure = OnFailure::halt;
  else if (v == "live") p.on_failure = OnFailure::live;
  else return false;
  return true;
}

bool parse_request(const std::string& v, Policy& p) {
  if (v == "fixed") p.request = Request::fixed;
  else if (v == "opt-out") p.request = Request::opt_out;
  else if (v == "opt-in") p.request = Request::opt_in;
  else return false;
  return true;
}

const char* to_string(Request r) {
  switch (r) {
    case Request::fixed: return "fixed";
    case Request::opt_out: return "opt-out";
    case Request::opt_in: return "opt-in";
  }
  return "?";
}

}  // namespace

bool parse_settings(const std::vector<std::string>& snapshot, const std::vector<std::string>& failure,
                    const std::vector<std::string>& request, Settings& out, std::string& bad) {
  // Defaults first, so an export's line starts from the defaults whatever
  // order the file has them in.
  Settings s;
  auto defaults_only = [](const std::vector<std::string>& v, bool want_default) {
    std::vector<std::string> r;
    for (const auto& i : v)
      if ((i.empty() || i.front() != '/') == want_default) r.push_back(i);
    return r;
  };
  for (bool want_default : {true, false}) {
    if (!parse_items(defaults_only(snapshot, want_default), s, bad, parse_kind)) return false;
    if (!parse_items(defaults_only(failure, want_default), s, bad, parse_failure)) return false;
    if (!parse_items(defaults_only(request, want_default), s, bad, parse_request)) return false;
  }
  s.timeout = out.timeout;
  s.lvm_size = out.lvm_size;
  out = std::move(s);
  return true;
}

bool valid_lvm_size(const std::string& size) {
  const auto digits = size.find_first_not_of("0123456789");
  if (digits == 0 || size.empty()) return false;
  if (digits == std::string::npos) return true;
  const std::string rest = size.substr(digits);
  return rest == "%ORIGIN" || rest == "%VG" || rest == "%FREE" ||
         (rest.size() == 1 && std::string_view("kKmMgGtT").find(rest[0]) != std::string_view::npos);
}

const char* to_string(Kind k) {
  switch (k) {
    case Kind::none: return "none";
    case Kind::btrfs: return "btrfs";
    case Kind::lvm: return "lvm";
    case Kind::command: return "command";
  }
  return "?";
}

std::string describe(const Policy& p) {
  if (p.kind == Kind::none) return "none";
  return fmt::format("{}{}, {} on failure, {}", to_string(p.kind), p.kind == Kind::command ? ":" + p.command : "",
                     p.on_failure == OnFailure::halt ? "halt" : "live tree", to_string(p.request));
}

Decision decide(const Policy& p, const std::optional<std::string>& env, std::string& bad) {
  std::optional<bool> asked;
  if (env) {
    const std::string& v = *env;
    if (v == "y" || v == "Y" || v == "yes" || v == "true" || v == "1") asked = true;
    else if (v == "n" || v == "N" || v == "no" || v == "false" || v == "0") asked = false;
    else return bad = "SNAPSHOT must be y or n", Decision{};
  }
  Decision d;
  if (p.kind == Kind::none) {
    d.why_live = "no snapshot is configured for this export";
    if (asked == true) d.note = "SNAPSHOT=y not obeyed: no snapshot is configured for this export";
    return d;
  }
  switch (p.request) {
    case Request::fixed:
      d.take = true;
      if (asked == false) d.note = "SNAPSHOT=n not obeyed: this export is always backed up from a snapshot";
      break;
    case Request::opt_out:
      d.take = asked != false;
      if (!d.take) d.why_live = "the DMA declined a snapshot (SNAPSHOT=n)";
      break;
    case Request::opt_in:
      d.take = asked == true;
      if (!d.take) d.why_live = "this export takes a snapshot only when the DMA asks for one (SNAPSHOT=y)";
      break;
  }
  return d;
}

}  // namespace ndmp::snapshot

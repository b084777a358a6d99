#include "tools/ndmpctl/catalog.h"

#include <fmt/format.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace ndmp::ctl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kFormat = "ndmpctl-catalog v1";

json opt_string(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string get_string(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

template <class T>
T get_number(const json& j, const char* key, T fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<T>() : fallback;
}

json to_json(const Catalog& c) {
  json j;
  j["format"] = kFormat;
  j["started"] = c.started;
  j["finished"] = c.finished;
  j["data_server"] = c.data_server;
  j["tape_server"] = c.tape_server;
  j["drive"] = c.drive;
  j["filesystem"] = c.filesystem;
  j["butype"] = c.butype;
  j["level"] = c.level;
  j["record_size"] = c.record_size;
  j["bytes"] = c.bytes;
  json env = json::array();
  for (const auto& [n, v] : c.env) env.push_back({{"name", n}, {"value", v}});
  j["env"] = std::move(env);
  json media = json::array();
  for (const auto& m : c.media)
    media.push_back({{"label", opt_string(m.label)},
                     {"slot", m.slot ? json(*m.slot) : json(nullptr)},
                     {"barcode", opt_string(m.barcode)},
                     {"window_offset", m.window_offset},
                     {"bytes", m.bytes}});
  j["media"] = std::move(media);
  json files = json::array();
  for (const auto& f : c.files)
    files.push_back({{"path", f.path},
                     {"type", f.type},
                     {"size", f.size},
                     {"mtime", f.mtime},
                     {"fh_info", f.fh_info ? json(*f.fh_info) : json(nullptr)}});
  j["files"] = std::move(files);
  return j;
}

}  // namespace

std::optional<size_t> Catalog::medium_at(uint64_t offset) const {
  for (size_t i = 0; i < media.size(); ++i)
    if (offset >= media[i].window_offset && offset - media[i].window_offset < media[i].bytes) return i;
  return std::nullopt;
}

const CatalogFile* Catalog::find(const std::string& path) const {
  for (const auto& f : files)
    if (f.path == path) return &f;
  return nullptr;
}

std::string catalog_json(const Catalog& c, int indent) { return to_json(c).dump(indent); }

Outcome save_catalog(const Catalog& c, const std::string& path) {
  std::error_code ec;
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (ec) return Outcome::failure(fmt::format("cannot create {}: {}", p.parent_path().string(), ec.message()));
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Outcome::failure(fmt::format("cannot write the catalogue {}", tmp));
    out << to_json(c).dump(1) << "\n";
    if (!out.flush()) return Outcome::failure(fmt::format("cannot write the catalogue {}", tmp));
  }
  fs::rename(tmp, p, ec);
  if (ec) return Outcome::failure(fmt::format("cannot rename {} to {}: {}", tmp, path, ec.message()));
  return {};
}

Result<Catalog> load_catalog(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Outcome::failure(fmt::format("cannot read the catalogue {}", path));
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Outcome::failure(fmt::format("{} is not a JSON catalogue", path));
  if (get_string(j, "format") != kFormat)
    return Outcome::failure(fmt::format("{} is not an ndmpctl catalogue (format \"{}\", expected \"{}\")", path,
                                        get_string(j, "format"), kFormat));
  Catalog c;
  c.started = get_string(j, "started");
  c.finished = get_string(j, "finished");
  c.data_server = get_string(j, "data_server");
  c.tape_server = get_string(j, "tape_server");
  c.drive = get_string(j, "drive");
  c.filesystem = get_string(j, "filesystem");
  c.butype = get_string(j, "butype");
  c.level = get_number<int>(j, "level");
  c.record_size = get_number<uint32_t>(j, "record_size");
  c.bytes = get_number<uint64_t>(j, "bytes");
  if (auto e = j.find("env"); e != j.end() && e->is_array())
    for (const auto& pv : *e) c.env.emplace_back(get_string(pv, "name"), get_string(pv, "value"));
  if (auto m = j.find("media"); m != j.end() && m->is_array())
    for (const auto& x : *m) {
      CatalogMedium md;
      md.label = get_string(x, "label");
      md.barcode = get_string(x, "barcode");
      if (auto s = x.find("slot"); s != x.end() && s->is_number_unsigned()) md.slot = s->get<unsigned>();
      md.window_offset = get_number<uint64_t>(x, "window_offset");
      md.bytes = get_number<uint64_t>(x, "bytes");
      c.media.push_back(std::move(md));
    }
  if (auto f = j.find("files"); f != j.end() && f->is_array())
    for (const auto& x : *f) {
      CatalogFile cf;
      cf.path = get_string(x, "path");
      cf.type = get_string(x, "type");
      cf.size = get_number<uint64_t>(x, "size");
      cf.mtime = get_number<uint32_t>(x, "mtime");
      if (auto h = x.find("fh_info"); h != x.end() && h->is_number_unsigned()) cf.fh_info = h->get<uint64_t>();
      c.files.push_back(std::move(cf));
    }
  if (c.record_size == 0 || c.media.empty())
    return Outcome::failure(fmt::format("{} names no record size or no tape: not a finished backup", path));
  return c;
}

std::string default_catalog_dir() {
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return (fs::path(x) / "ndmpctl" / "catalog").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : ".") / ".local" / "share" / "ndmpctl" / "catalog").string();
}

std::string default_catalog_path(const Catalog& c) {
  std::string tag = "drive";
  if (!c.media.empty()) {
    if (!c.media.front().label.empty()) tag = c.media.front().label;
    else if (c.media.front().slot) tag = fmt::format("slot{}", *c.media.front().slot);
  }
  // Labels are printable without blanks (label.h) but may hold '/'.
  for (auto& ch : tag)
    if (ch == '/') ch = '_';
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y%m%d-%H%M%S", &tm);
  return (fs::path(default_catalog_dir()) / fmt::format("{}-{}.json", tag, when)).string();
}

Result<std::string> newest_catalog() {
  const fs::path dir = default_catalog_dir();
  std::error_code ec;
  fs::path best;
  fs::file_time_type best_time{};
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".json") continue;
    auto t = e.last_write_time(ec);
    if (ec) continue;
    if (best.empty() || t > best_time) {
      best = e.path();
      best_time = t;
    }
  }
  if (best.empty())
    return Outcome::failure(fmt::format("no catalogue in {}: name one with --catalog FILE", dir.string()));
  return best.string();
}

std::string iso_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return when;
}

}  // namespace ndmp::ctl

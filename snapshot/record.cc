#include "snapshot/record.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/escape.h"

namespace ndmp::snapshot {
namespace {

constexpr size_t kMaxRecordBytes = 16 * 1024;

Kind kind_of(const std::string& v) {
  if (v == "btrfs") return Kind::btrfs;
  if (v == "lvm") return Kind::lvm;
  if (v == "command") return Kind::command;
  return Kind::none;
}

}  // namespace

backup::Status records_dir(const std::string& state_dir, std::string& out) {
  out = state_dir + "/snapshots";
  if (::mkdir(out.c_str(), 0700) != 0 && errno != EEXIST)
    return backup::Status::io_error(fmt::format("cannot create {}: {}", out, strerror(errno)));
  struct stat st {};
  if (::lstat(out.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return backup::Status::io_error(fmt::format("{} is not a directory", out));
  return {};
}

std::string record_path(const std::string& dir, const std::string& id) { return dir + "/" + id + ".snap"; }

backup::Status save_record(const std::string& dir, const Record& r) {
  std::string text = fmt::format("kind {}\nexport {}\ndir {}\n", to_string(r.kind), r.export_path, r.dir);
  for (auto [key, value] : {std::pair{"btrfs-parent", &r.btrfs_parent}, {"name", &r.name}, {"vg", &r.vg},
                            {"command", &r.command}, {"mount", &r.mount}})
    if (!value->empty()) text += fmt::format("{} {}\n", key, *value);
  if (text.size() > kMaxRecordBytes)
    return backup::Status::invalid_argument("snapshot record too large");
  for (const auto* v : {&r.export_path, &r.dir, &r.btrfs_parent, &r.name, &r.vg, &r.command, &r.mount})
    if (v->find('\n') != std::string::npos)
      return backup::Status::invalid_argument(fmt::format("a name with a newline cannot be recorded: {}", log::escape(*v)));
  const std::string path = record_path(dir, r.id), tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return backup::Status::io_error(fmt::format("cannot write {}: {}", tmp, strerror(errno)));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return backup::Status::io_error(fmt::format("cannot write {}: {}", path, strerror(errno)));
  }
  // The record must be on disk before the snapshot exists: a crash between
  // the two then leaves a record of nothing (harmless), never the reverse.
  if (int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return {};
}

backup::Status load_record(const std::string& file, Record& r) {
  std::ifstream in(file);
  if (!in) return backup::Status::io_error(fmt::format("cannot read {}", file));
  r = Record{};
  r.id = std::filesystem::path(file).stem().string();
  size_t total = 0;
  for (std::string line; std::getline(in, line);) {
    total += line.size() + 1;
    if (total > kMaxRecordBytes) return backup::Status::corrupt(fmt::format("{} is too large", file));
    const auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    const std::string key = line.substr(0, sp), value = line.substr(sp + 1);
    if (key == "kind") r.kind = kind_of(value);
    else if (key == "export") r.export_path = value;
    else if (key == "dir") r.dir = value;
    else if (key == "btrfs-parent") r.btrfs_parent = value;
    else if (key == "name") r.name = value;
    else if (key == "vg") r.vg = value;
    else if (key == "command") r.command = value;
    else if (key == "mount") r.mount = value;
  }
  if (r.kind == Kind::none) return backup::Status::corrupt(fmt::format("{} names no snapshot kind", file));
  return {};
}

backup::Status drop_record(const std::string& dir, const std::string& id) {
  if (::unlink(record_path(dir, id).c_str()) != 0 && errno != ENOENT)
    return backup::Status::io_error(fmt::format("cannot remove {}: {}", record_path(dir, id), strerror(errno)));
  return {};
}

std::vector<std::string> list_records(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".snap") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ndmp::snapshot

// LVM: a snapshot of the logical volume that holds the export, mounted
// read-only in a private directory under the state directory.
//
// The volume is found from the export's device number: the device-mapper
// node /sys/dev/block/MAJ:MIN must carry an "LVM-" uuid, and `lvs --select`
// names its volume group and volume. A thin volume gets a thin snapshot
// (no size; activation skip turned off so it can be mounted); a classic one
// gets `-l`/`-L` of copy-on-write space from snapshot-lvm-size. lvcreate
// suspends the origin, which freezes the file system, so the snapshot is
// clean; it is mounted "ro" (ext2/3/4 with noload, XFS with
// nouuid,norecovery: the copy has the origin's UUID and must not replay a
// log on a read-only device). Tools: lvs, lvcreate, lvremove (lvm2),
// mount, umount; all need CAP_SYS_ADMIN.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/escape.h"
#include "snapshot/child_process.h"
#include "snapshot/makers.h"

namespace ndmp::snapshot::detail {
namespace {

struct MountEntry {
  std::string root, point, fstype;
};

std::string unescape_octal(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// The mount of device `dev` whose mount point is the longest prefix of `path`.
bool find_mount(dev_t dev, const std::string& path, MountEntry& out) {
  std::ifstream in("/proc/self/mountinfo");
  const std::string want = fmt::format("{}:{}", major(dev), minor(dev));
  bool found = false;
  size_t best = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, majmin, root, point;
    f >> id >> parent >> majmin >> root >> point;
    if (majmin != want) continue;
    std::string word, fstype;
    while (f >> word && word != "-") {
    }
    f >> fstype;
    point = unescape_octal(point);
    std::string rel;
    if (!backup::relative_to(point, path, rel)) continue;
    if (!found || point.size() > best) out = {unescape_octal(root), point, fstype}, best = point.size(), found = true;
  }
  return found;
}

bool is_mounted(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, majmin, root, point;
    f >> id >> parent >> majmin >> root >> point;
    if (unescape_octal(point) == dir) return true;
  }
  return false;
}

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\n");
  if (a == std::string::npos) return {};
  return s.substr(a, s.find_last_not_of(" \t\n") + 1 - a);
}

backup::Status run(const std::vector<std::string>& argv, const Settings& s, ChildResult* keep = nullptr) {
  auto res = run_child(argv, s.timeout);
  if (keep) *keep = res;
  if (!res.ok()) return backup::Status::io_error(fmt::format("{} failed: {}", show_argv(argv), res.failure_text()));
  return {};
}

bool lv_exists(const std::string& vg, const std::string& name, const Settings& s) {
  return run_child({"lvs", "--noheadings", "-o", "lv_name", vg + "/" + name}, s.timeout).ok();
}

}  // namespace

backup::Status lvm_create(Record& r, const Target& t, const Settings& s, const Save& save, backup::Dir& root) {
  struct stat est {};
  if (::fstat(t.export_dir.get(), &est) != 0)
    return backup::Status::io_error(fmt::format("cannot stat the export: {}", strerror(errno)));
  const unsigned maj = major(est.st_dev), min = minor(est.st_dev);
  std::ifstream uuid_file(fmt::format("/sys/dev/block/{}:{}/dm/uuid", maj, min));
  std::string uuid;
  std::getline(uuid_file, uuid);
  if (uuid.rfind("LVM-", 0) != 0)
    return backup::Status::invalid_argument(fmt::format(
        "{} is not on an LVM logical volume (device {}:{}); snapshot = lvm needs one", log::escape(t.export_path), maj, min));
  MountEntry m;
  if (!find_mount(est.st_dev, t.export_real, m))
    return backup::Status::invalid_argument(fmt::format("cannot find where {} is mounted", log::escape(t.export_path)));
  std::string rel_in_mount;
  backup::relative_to(m.point, t.export_real, rel_in_mount);
  std::string rel = (std::filesystem::path(m.root) / rel_in_mount).lexically_normal().string();
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  if (rel == ".") rel.clear();

  ChildResult lvs;
  if (auto st = run({"lvs", "--noheadings", "--separator", "|", "-o", "vg_name,lv_name,segtype", "--select",
                     fmt::format("lv_kernel_major={} && lv_kernel_minor={}", maj, min)},
                    s, &lvs);
      !st.ok())
    return st;
  std::istringstream fields(trim(lvs.out.substr(0, lvs.out.find('\n'))));
  std::string vg, lv, segtype;
  std::getline(fields, vg, '|');
  std::getline(fields, lv, '|');
  std::getline(fields, segtype, '|');
  vg = trim(vg), lv = trim(lv), segtype = trim(segtype);
  if (vg.empty() || lv.empty())
    return backup::Status::invalid_argument(fmt::format("lvs knows no logical volume for device {}:{}", maj, min));

  if (::mkdir(r.dir.c_str(), 0700) != 0)
    return backup::Status::io_error(fmt::format("cannot create {}: {}", r.dir, strerror(errno)));
  r.vg = vg;
  r.name = "ndmpd-" + r.id;
  if (auto st = save(r); !st.ok()) return st;

  std::vector<std::string> create{"lvcreate", "--snapshot", "--name", r.name};
  if (segtype == "thin") {
    create.insert(create.end(), {"--setactivationskip", "n", "--activate", "y"});
  } else {
    const bool extents = s.lvm_size.find('%') != std::string::npos;
    create.insert(create.end(), {extents ? "--extents" : "--size", s.lvm_size});
  }
  create.push_back(vg + "/" + lv);
  if (auto st = run(create, s); !st.ok()) return st;

  std::string opts = "ro";
  if (m.fstype == "ext2" || m.fstype == "ext3" || m.fstype == "ext4") opts += ",noload";
  else if (m.fstype == "xfs") opts += ",nouuid,norecovery";
  if (auto st = run({"mount", "-t", m.fstype, "-o", opts, "/dev/" + vg + "/" + r.name, r.dir}, s); !st.ok()) return st;
  backup::Dir mounted;
  if (auto st = backup::open_dir(r.dir, mounted); !st.ok()) return st;
  return backup::open_beneath(mounted, rel, false, root);
}

backup::Status lvm_remove(const Record& r, const Settings& s) {
  if (!r.dir.empty() && is_mounted(r.dir))
    if (auto st = run({"umount", r.dir}, s); !st.ok()) return st;
  if (!r.vg.empty() && !r.name.empty() && lv_exists(r.vg, r.name, s))
    if (auto st = run({"lvremove", "--yes", r.vg + "/" + r.name}, s); !st.ok()) return st;
  return {};
}

}  // namespace ndmp::snapshot::detail

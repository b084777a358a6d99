#include "devices/inventory.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "devices/sg_transport.h"

namespace ndmp::dev {
namespace fs = std::filesystem;

const char* to_string(DeviceKind k) { return k == DeviceKind::tape ? "tape" : "changer"; }
const char* to_string(DeviceOrigin o) { return o == DeviceOrigin::emulated ? "emulated" : "sg"; }

namespace {

std::string read_attr(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// vpd_pg80 is the raw VPD page: 4-byte header, then the serial.
std::string serial_from_vpd(const fs::path& p) {
  std::string raw = read_attr(p);
  if (raw.size() < 4 || uint8_t(raw[1]) != 0x80) return {};
  const size_t len = std::min<size_t>(size_t(uint8_t(raw[2])) << 8 | uint8_t(raw[3]), raw.size() - 4);
  std::string s = raw.substr(4, len);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  size_t b = s.find_first_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b);
}

// "sg12" -> 12, for numeric ordering (sg10 after sg9).
int sg_number(const std::string& name) {
  if (name.rfind("sg", 0) != 0) return -1;
  try {
    return std::stoi(name.substr(2));
  } catch (...) {
    return -1;
  }
}

// Releases the inventory's hold on a name when the session closes the device.
class HeldTransport final : public Transport {
 public:
  HeldTransport(std::unique_ptr<Transport> inner, std::string name, std::shared_ptr<void> release)
      : inner_(std::move(inner)), name_(std::move(name)), release_(std::move(release)) {}
  CdbResult execute(const CdbCommand& cmd) override { return inner_->execute(cmd); }
  std::string describe() const override { return name_ + " (" + inner_->describe() + ")"; }

 private:
  std::unique_ptr<Transport> inner_;  // destroyed before release_ runs
  std::string name_;
  std::shared_ptr<void> release_;
};

}  // namespace

std::vector<DeviceInfo> Inventory::discover_sg(const fs::path& sysfs_root, const fs::path& dev_root) {
  std::vector<std::pair<int, fs::path>> nodes;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(sysfs_root / "class" / "scsi_generic", ec)) {
    int n = sg_number(e.path().filename().string());
    if (n >= 0) nodes.emplace_back(n, e.path());
  }
  std::sort(nodes.begin(), nodes.end());
  std::vector<DeviceInfo> out;
  unsigned tapes = 0, changers = 0;
  for (const auto& [n, path] : nodes) {
    const fs::path dev = path / "device";
    const std::string type = read_attr(dev / "type");
    DeviceInfo d;
    if (type == "1") {
      d.kind = DeviceKind::tape;
      d.name = fmt::format("tape{}", tapes++);
    } else if (type == "8") {
      d.kind = DeviceKind::changer;
      d.name = fmt::format("changer{}", changers++);
    } else {
      continue;  // disks, controllers (tgt's LUN 0 is type 0x0c) are never offered
    }
    d.origin = DeviceOrigin::sg;
    d.vendor = read_attr(dev / "vendor");
    d.model = read_attr(dev / "model");
    d.revision = read_attr(dev / "rev");
    d.serial = serial_from_vpd(dev / "vpd_pg80");
    d.sg_path = (dev_root / path.filename()).string();
    // st registers its nodes under device/scsi_tape/{st0,nst0,st0l,...}.
    for (const auto& t : fs::directory_iterator(dev / "scsi_tape", ec)) {
      const std::string f = t.path().filename().string();
      if (f.rfind("nst", 0) == 0 && f.find_first_not_of("0123456789", 3) == std::string::npos)
        d.st_path = (dev_root / f).string();
    }
    out.push_back(std::move(d));
  }
  return out;
}

Inventory::Inventory(InventoryOptions opts) : opts_(std::move(opts)) { refresh(); }

void Inventory::refresh() {
  std::vector<DeviceInfo> list;
  if (opts_.library) {
    const auto& spec = opts_.library->spec();
    for (unsigned i = 0; i < opts_.library->drive_count(); ++i) {
      DeviceInfo d;
      d.name = fmt::format("emu-drive{}", i);
      d.kind = DeviceKind::tape;
      d.origin = DeviceOrigin::emulated;
      d.vendor = spec.vendor;
      d.model = spec.drive_product;
      d.revision = "0100";
      d.serial = opts_.library->drive_serial(i);
      d.emulated_index = i;
      list.push_back(std::move(d));
    }
    DeviceInfo c;
    c.name = "emu-changer";
    c.kind = DeviceKind::changer;
    c.origin = DeviceOrigin::emulated;
    c.vendor = spec.vendor;
    c.model = spec.changer_product;
    c.revision = "0100";
    c.serial = opts_.library->changer_serial();
    list.push_back(std::move(c));
  }
  if (opts_.discover_sg) {
    auto sg = discover_sg(opts_.sysfs_root, opts_.dev_root);
    list.insert(list.end(), sg.begin(), sg.end());
  }
  std::lock_guard lock(mu_);
  devices_ = std::move(list);
}

std::vector<DeviceInfo> Inventory::devices() const {
  std::lock_guard lock(mu_);
  return devices_;
}

StatusOr<DeviceInfo> Inventory::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  for (const auto& d : devices_)
    if (d.name == name) return d;
  return Status::no_device(fmt::format("no device named '{}'", name));
}

StatusOr<std::unique_ptr<Transport>> Inventory::open(const std::string& name,
                                                     std::shared_ptr<const DeviceHolder> holder) {
  auto info = find(name);
  if (!info.ok()) return info.status();
  {
    std::unique_lock lock(open_->mu);
    auto it = open_->names.find(name);
    if (it != open_->names.end() && it->second && it->second->leaving()) {
      log::debug("device '{}' is being released by a departing session; waiting for it", name);
      open_->released.wait(lock, [&] { return !open_->names.contains(name); });
      it = open_->names.end();
    }
    if (it != open_->names.end()) return Status::busy(fmt::format("device '{}' is already open", name));
    open_->names.emplace(name, std::move(holder));
  }
  // From here on the name is held; `release` gives it back on every path.
  std::shared_ptr<void> release(nullptr, [set = open_, name](void*) {
    std::lock_guard lock(set->mu);
    set->names.erase(name);
    set->released.notify_all();
  });
  std::unique_ptr<Transport> t;
  if (info->origin == DeviceOrigin::emulated) {
    t = info->kind == DeviceKind::tape ? opts_.library->drive_transport(info->emulated_index)
                                       : opts_.library->changer_transport();
    if (!t) return Status::no_device(fmt::format("emulated device '{}' is gone", name));
  } else {
    auto sg = SgTransport::open(info->sg_path, true);
    if (!sg.ok()) return sg.status();
    t = std::move(sg).value();
  }
  log::debug("device '{}' opened ({})", name, t->describe());
  return std::unique_ptr<Transport>(new HeldTransport(std::move(t), name, std::move(release)));
}

}  // namespace ndmp::dev

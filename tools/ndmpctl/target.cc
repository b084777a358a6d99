#include "tools/ndmpctl/target.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "devices/emulated/library.h"
#include "devices/inventory.h"
#include "devices/sg_transport.h"

namespace ndmp::ctl {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---------------------------------------------------------------- --server
class ServerTarget final : public Target {
 public:
  ServerTarget(ServerOptions o, std::string changer, std::vector<std::string> drives)
      : o_(std::move(o)), changer_(std::move(changer)), drives_(std::move(drives)) {}

  std::string describe() const override { return fmt::format("{}:{}", o_.host, o_.port); }

  Result<std::unique_ptr<client::Client>> control() override { return connect_server(o_); }

  Result<std::vector<msg::DeviceInfo>> device_info(uint32_t code) {
    auto c = connect_server(o_);
    if (!c.ok()) return c.outcome();
    if (c.value()->version() < 3)
      return Outcome::device(fmt::format("NDMP v{} has no {}; name the devices with --changer and --drives",
                                         c.value()->version(), msg::code_name(code)));
    auto r = ndmp_call(*c.value(), code, describe());
    if (!r.ok()) return r.outcome();
    return code == msg::code::CONFIG_GET_TAPE_INFO ? r->as<msg::ConfigGetTapeInfoReply>().devices
                                                   : r->as<msg::ConfigGetScsiInfoReply>().devices;
  }

  Result<std::string> changer_name() override {
    if (!changer_.empty()) return changer_;
    auto d = device_info(msg::code::CONFIG_GET_SCSI_INFO);
    if (!d.ok()) return d.outcome();
    for (const auto& info : d.value())
      for (const auto& cap : info.caplist) return changer_ = cap.device;
    return Outcome::device(fmt::format("{} lists no SCSI device (changer); name one with --changer", describe()));
  }

  Result<std::unique_ptr<dev::Transport>> open_changer() override {
    auto name = changer_name();
    if (!name.ok()) return name.outcome();
    auto c = connect_server(o_);
    if (!c.ok()) return c.outcome();
    auto t = NdmpScsiTransport::open(std::move(c.value()), name.value());
    if (!t.ok()) return t.outcome();
    return std::unique_ptr<dev::Transport>(std::move(t.value()));
  }

  Result<std::vector<std::string>> drive_names() override {
    if (!drives_.empty()) return drives_;
    auto d = device_info(msg::code::CONFIG_GET_TAPE_INFO);
    if (!d.ok()) return d.outcome();
    for (const auto& info : d.value())
      for (const auto& cap : info.caplist) drives_.push_back(cap.device);
    return drives_;
  }

  Result<std::unique_ptr<Drive>> open_drive(const std::string& name) override {
    auto c = connect_server(o_);
    if (!c.ok()) return c.outcome();
    return make_ndmp_drive(std::move(c.value()), name);
  }

  Result<std::vector<DeviceRow>> devices() override {
    std::vector<DeviceRow> rows;
    for (auto [code, kind] : {std::pair{msg::code::CONFIG_GET_SCSI_INFO, "changer"},
                              std::pair{msg::code::CONFIG_GET_TAPE_INFO, "tape"}}) {
      auto d = device_info(code);
      if (!d.ok()) return d.outcome();
      for (const auto& info : d.value())
        for (const auto& cap : info.caplist) {
          DeviceRow row{cap.device, kind, info.model, {}, {}};
          for (const auto& pv : cap.capability)
            if (pv.name == "SERIAL_NUMBER" || pv.name == "serial") row.serial = pv.value;
          rows.push_back(std::move(row));
        }
    }
    return rows;
  }

 private:
  ServerOptions o_;
  std::string changer_;
  std::vector<std::string> drives_;
};

// ---------------------------------------------------------------- --local
class LocalTarget final : public Target {
 public:
  LocalTarget(std::string device, std::vector<std::string> drives)
      : device_(std::move(device)), drives_(std::move(drives)),
        inventory_(dev::InventoryOptions{}) {}

  std::string describe() const override { return device_; }
  Result<std::unique_ptr<client::Client>> control() override {
    return Outcome::usage("this command needs --server");
  }

  bool is_path(const std::string& s) const { return s.find('/') != std::string::npos; }

  // Kind of a local device: from sysfs discovery, else by INQUIRY.
  Result<dev::DeviceKind> kind_of(const std::string& name) {
    for (const auto& d : inventory_.devices())
      if (d.name == name || d.sg_path == name) return d.kind;
    auto t = open_transport(name);
    if (!t.ok()) return t.outcome();
    auto inq = dev::inquire(*t.value());
    if (!inq.ok()) return device_failure("INQUIRY on " + name, inq.status());
    if (inq->peripheral_type == 8) return dev::DeviceKind::changer;
    if (inq->peripheral_type == 1) return dev::DeviceKind::tape;
    return Outcome::device(fmt::format("{} is neither a tape drive nor a medium changer (peripheral type {})", name,
                                       inq->peripheral_type));
  }

  Result<std::unique_ptr<dev::Transport>> open_transport(const std::string& name) {
    if (is_path(name)) {
      auto t = dev::SgTransport::open(name, true);
      if (!t.ok()) return device_failure("opening " + name, t.status());
      return std::unique_ptr<dev::Transport>(std::move(t.value()));
    }
    auto t = inventory_.open(name);
    if (!t.ok()) return device_failure("opening " + name, t.status());
    return std::move(t.value());
  }

  Result<std::string> changer_name() override {
    auto k = kind_of(device_);
    if (!k.ok()) return k.outcome();
    if (k.value() != dev::DeviceKind::changer)
      return Outcome::usage(fmt::format("{} is a tape drive, not a changer", device_));
    return device_;
  }

  Result<std::unique_ptr<dev::Transport>> open_changer() override {
    auto n = changer_name();
    if (!n.ok()) return n.outcome();
    return open_transport(n.value());
  }

  Result<std::vector<std::string>> drive_names() override {
    if (!drives_.empty()) return drives_;
    auto k = kind_of(device_);
    if (k.ok() && k.value() == dev::DeviceKind::tape) return std::vector<std::string>{device_};
    std::vector<std::string> names;
    for (const auto& d : inventory_.devices())
      if (d.kind == dev::DeviceKind::tape) names.push_back(d.sg_path.empty() ? d.name : d.sg_path);
    return names;
  }

  Result<std::unique_ptr<Drive>> open_drive(const std::string& name) override {
    auto t = open_transport(name);
    if (!t.ok()) return t.outcome();
    return make_local_drive(std::move(t.value()), name);
  }

  Result<std::vector<DeviceRow>> devices() override {
    std::vector<DeviceRow> rows;
    for (const auto& d : inventory_.devices())
      rows.push_back({d.name, dev::to_string(d.kind), d.vendor + " " + d.model, d.serial, d.sg_path});
    return rows;
  }

 private:
  std::string device_;
  std::vector<std::string> drives_;
  dev::Inventory inventory_;
};

// ---------------------------------------------------------------- --library
class LibraryTarget final : public Target {
 public:
  LibraryTarget(std::string dir, std::vector<std::string> drives) : dir_(std::move(dir)), drives_(std::move(drives)) {}

  std::string describe() const override { return dir_; }
  Result<std::unique_ptr<client::Client>> control() override {
    return Outcome::usage("this command needs --server");
  }

  Outcome open_library() {
    if (lib_) return {};
    auto l = dev::emu::Library::open(dir_);
    if (!l.ok()) return device_failure("opening the emulated library " + dir_, l.status());
    lib_ = l.value();
    return {};
  }

  Result<std::string> changer_name() override { return std::string("emu-changer"); }

  Result<std::unique_ptr<dev::Transport>> open_changer() override {
    if (auto o = open_library(); !o.ok()) return o;
    return lib_->changer_transport();
  }

  Result<std::vector<std::string>> drive_names() override {
    if (!drives_.empty()) return drives_;
    if (auto o = open_library(); !o.ok()) return o;
    std::vector<std::string> names;
    for (unsigned i = 0; i < lib_->drive_count(); ++i) names.push_back(fmt::format("emu-drive{}", i));
    return names;
  }

  Result<std::unique_ptr<Drive>> open_drive(const std::string& name) override {
    if (auto o = open_library(); !o.ok()) return o;
    unsigned i = 0;
    const std::string prefix = "emu-drive";
    auto digits = name.substr(std::min(name.size(), prefix.size()));
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
    if (name.rfind(prefix, 0) != 0 || ec != std::errc() || end != digits.data() + digits.size() ||
        i >= lib_->drive_count())
      return Outcome::device(fmt::format("{}: no such drive in {} (emu-drive0..emu-drive{})", name, dir_,
                                         lib_->drive_count() - 1));
    return make_local_drive(lib_->drive_transport(i), name, lib_);
  }

  Result<std::vector<DeviceRow>> devices() override {
    if (auto o = open_library(); !o.ok()) return o;
    dev::InventoryOptions io;
    io.discover_sg = false;
    io.library = lib_;
    dev::Inventory inv(io);
    std::vector<DeviceRow> rows;
    for (const auto& d : inv.devices())
      rows.push_back({d.name, dev::to_string(d.kind), d.vendor + " " + d.model, d.serial, {}});
    return rows;
  }

 private:
  std::string dir_;
  std::vector<std::string> drives_;
  std::shared_ptr<dev::emu::Library> lib_;
};

}  // namespace

Result<std::string> Target::resolve_drive(const std::string& ref) {
  if (!all_digits(ref)) return ref;
  auto names = drive_names();
  if (!names.ok()) return names.outcome();
  unsigned i = 0;
  std::from_chars(ref.data(), ref.data() + ref.size(), i);
  if (i >= names->size())
    return Outcome::usage(fmt::format("drive {} does not exist: {} has {} drive{}", ref, describe(), names->size(),
                                      names->size() == 1 ? "" : "s"));
  return names.value()[i];
}

std::unique_ptr<Target> make_server_target(ServerOptions o, std::string changer, std::vector<std::string> drives) {
  return std::make_unique<ServerTarget>(std::move(o), std::move(changer), std::move(drives));
}
std::unique_ptr<Target> make_local_target(std::string device, std::vector<std::string> drives) {
  return std::make_unique<LocalTarget>(std::move(device), std::move(drives));
}
std::unique_ptr<Target> make_library_target(std::string dir, std::vector<std::string> drives) {
  return std::make_unique<LibraryTarget>(std::move(dir), std::move(drives));
}

}  // namespace ndmp::ctl

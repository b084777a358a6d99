#include "server/root/device_setup.h"

#include <filesystem>

#include "common/log.h"

#include "server/context/context.h"

namespace ndmp::server {
namespace {

std::string open_or_create_library(ServerContext& ctx) {
  const auto& c = ctx.config;
  namespace fs = std::filesystem;
  const fs::path dir = c.library_dir;
  if (!fs::exists(dir / "library.conf")) {
    dev::emu::LibrarySpec spec;
    spec.drives = c.library_drives;
    spec.slots = c.library_slots;
    spec.import_export = c.library_mailslots;
    spec.tape_capacity = c.library_tape_mib << 20;
    for (unsigned i = 1; i <= c.library_slots; ++i)
      spec.barcodes.push_back(fmt::format("{}{:03d}L6", c.library_barcode_prefix, i));
    if (auto st = dev::emu::create_library(dir, spec); !st)
      return fmt::format("cannot create the emulated library in {}: {}", dir.string(), st.to_string());
    log::info("created emulated library in {}: {} drives, {} slots, {} mail slot(s), {} MiB tapes", dir.string(),
              spec.drives, spec.slots, spec.import_export, c.library_tape_mib);
  }
  auto lib = dev::emu::Library::open(dir);
  if (!lib.ok()) return fmt::format("cannot open the emulated library in {}: {}", dir.string(), lib.status().to_string());
  ctx.library = std::move(lib.value());
  return {};
}

}  // namespace

std::string setup_devices(ServerContext& ctx) {
  auto& c = ctx.config;
  // The emulated library is the default: a machine without tapes still
  // offers a working library. "none" turns it off.
  if (c.library_dir.empty()) c.library_dir = (std::filesystem::path(c.state_dir) / "library").string();
  if (c.library_dir == "none") c.library_dir.clear();
  if (!c.library_dir.empty()) {
    if (std::string err = open_or_create_library(ctx); !err.empty()) return err;
  }
  dev::InventoryOptions opts;
  opts.discover_sg = c.discover_devices;
  opts.library = ctx.library;
  ctx.inventory = std::make_unique<dev::Inventory>(opts);
  auto devices = ctx.inventory->devices();
  for (const auto& d : devices)
    log::info("device {}: {} {} {} serial {} ({}{})", d.name, dev::to_string(d.kind), d.vendor, d.model, d.serial,
              dev::to_string(d.origin), d.sg_path.empty() ? "" : " " + d.sg_path);
  if (devices.empty()) log::info("no tape devices configured (set 'library' or 'discover-devices' in ndmpd.conf)");
  return {};
}

}  // namespace ndmp::server

#include "devices/emulated/library.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <sstream>

#include "common/log.h"
#include "devices/emulated/atomic_file.h"
#include "devices/emulated/smc_target.h"
#include "devices/emulated/ssc_target.h"
#include "devices/emulated/tape_image.h"

namespace ndmp::dev::emu {
namespace fs = std::filesystem;

namespace {

constexpr const char* kConf = "library.conf";
constexpr const char* kState = "state";
constexpr const char* kRevision = "0100";

bool valid_barcode(const std::string& b) {
  if (b.empty() || b.size() > 32) return false;
  return std::all_of(b.begin(), b.end(), [](char c) { return c > ' ' && c < 0x7f && c != '/'; });
}

uint64_t effective_early_warning(const LibrarySpec& s) {
  return s.early_warning ? s.early_warning : s.tape_capacity / 50;
}

std::string render_conf(const LibrarySpec& s) {
  std::string out = "# ndmpd emulated tape library (created by create_library; edit only while ndmpd is stopped)\n";
  out += fmt::format("drives = {}\nslots = {}\nimport_export = {}\n", s.drives, s.slots, s.import_export);
  out += fmt::format("tape_capacity = {}\nearly_warning = {}\n", s.tape_capacity, effective_early_warning(s));
  out += fmt::format("vendor = {}\ndrive_product = {}\nchanger_product = {}\nserial_prefix = {}\n", s.vendor,
                     s.drive_product, s.changer_product, s.serial_prefix);
  for (const auto& b : s.barcodes) out += fmt::format("tape = {}\n", b);
  return out;
}

StatusOr<LibrarySpec> parse_conf(const std::string& text, const fs::path& where) {
  LibrarySpec s;
  s.barcodes.clear();
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string key, eq, value;
    if (!(ls >> key >> eq >> value) || eq != "=")
      return Status::io(fmt::format("{}:{}: expected 'key = value'", where.string(), n));
    try {
      if (key == "drives") s.drives = unsigned(std::stoul(value));
      else if (key == "slots") s.slots = unsigned(std::stoul(value));
      else if (key == "import_export") s.import_export = unsigned(std::stoul(value));
      else if (key == "tape_capacity") s.tape_capacity = std::stoull(value);
      else if (key == "early_warning") s.early_warning = std::stoull(value);
      else if (key == "vendor") s.vendor = value;
      else if (key == "drive_product") s.drive_product = value;
      else if (key == "changer_product") s.changer_product = value;
      else if (key == "serial_prefix") s.serial_prefix = value;
      else if (key == "tape") s.barcodes.push_back(value);
      else return Status::io(fmt::format("{}:{}: unknown key '{}'", where.string(), n, key));
    } catch (const std::exception&) {
      return Status::io(fmt::format("{}:{}: bad number '{}'", where.string(), n, value));
    }
  }
  return s;
}

Status validate(const LibrarySpec& s) {
  if (s.drives == 0 || s.drives > 400) return Status::illegal_request("a library needs 1..400 drives");
  if (s.slots == 0 || s.slots > 60000) return Status::illegal_request("a library needs 1..60000 slots");
  if (s.import_export > kFirstDrive - kFirstImportExport)
    return Status::illegal_request(fmt::format("at most {} import/export slots", kFirstDrive - kFirstImportExport));
  if (s.barcodes.size() > s.slots)
    return Status::illegal_request(fmt::format("{} tapes do not fit in {} slots", s.barcodes.size(), s.slots));
  if (s.tape_capacity < (1u << 20)) return Status::illegal_request("tape capacity below 1 MiB");
  if (effective_early_warning(s) >= s.tape_capacity)
    return Status::illegal_request("early-warning zone must be smaller than the capacity");
  std::set<std::string> seen;
  for (const auto& b : s.barcodes) {
    if (!valid_barcode(b)) return Status::illegal_request(fmt::format("bad barcode '{}'", b));
    if (!seen.insert(b).second) return Status::illegal_request(fmt::format("duplicate barcode '{}'", b));
  }
  for (const auto& b : s.write_protected)
    if (!seen.count(b)) return Status::illegal_request(fmt::format("write-protected barcode '{}' is not a tape", b));
  return Status::Ok();
}

// The library and its media folder are owner-only (0700), their files 0600:
// the tapes hold copies of the exports. Applied at every open too, so a
// library an older ndmpd created 0755/0644 is tightened. Symlinks are left
// alone (and never opened as tapes: TapeImage uses O_NOFOLLOW).
Status make_private(const fs::path& dir) {
  for (const fs::path& d : {dir, dir / "media"}) {
    std::error_code ec;
    fs::permissions(d, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return Status::io(fmt::format("cannot make {} private (0700): {}", d.string(), ec.message()));
    fs::directory_iterator it(d, ec);
    if (ec) return Status::io(fmt::format("cannot list {}: {}", d.string(), ec.message()));
    for (const auto& e : it) {
      std::error_code st_ec;
      if (e.symlink_status(st_ec).type() != fs::file_type::regular) continue;
      fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
      if (ec) return Status::io(fmt::format("cannot make {} private (0600): {}", e.path().string(), ec.message()));
    }
  }
  return Status::Ok();
}

}  // namespace

Status create_library(const fs::path& dir, const LibrarySpec& spec) {
  if (Status s = validate(spec); !s) return s;
  std::error_code ec;
  fs::create_directories(dir / "media", ec);
  if (ec) return Status::io(fmt::format("cannot create {}: {}", (dir / "media").string(), ec.message()));
  if (Status s = make_private(dir); !s) return s;
  if (fs::exists(dir / kConf)) return Status::illegal_request(fmt::format("{} already holds a library", dir.string()));
  for (const auto& b : spec.barcodes) {
    auto img = TapeImage::open(dir / "media" / b, true);
    if (!img.ok()) return img.status();
  }
  for (const auto& b : spec.write_protected)
    if (Status s = write_file_atomically(dir / "media" / (b + ".wp"), "write protected\n"); !s) return s;
  std::string state = "# ndmpd emulated library state: address barcode source\n";
  for (size_t i = 0; i < spec.barcodes.size(); ++i)
    state += fmt::format("{} {} {}\n", kFirstSlot + i, spec.barcodes[i], kFirstSlot + i);
  if (Status s = write_file_atomically(dir / kState, state); !s) return s;
  // The description last: its presence is what makes the directory a library.
  return write_file_atomically(dir / kConf, render_conf(spec));
}

class LibraryImpl final : public ChangerModel {
 public:
  LibraryImpl(fs::path dir, LibrarySpec spec) : dir_(std::move(dir)), spec_(std::move(spec)) {}

  Status init() {
    const uint64_t ew = effective_early_warning(spec_);
    elements_.push_back({element_type::transport, kTransportAddress, {}, false, 0, {}});
    for (unsigned i = 0; i < spec_.import_export; ++i)
      elements_.push_back({element_type::import_export, uint16_t(kFirstImportExport + i), {}, false, 0, {}});
    for (unsigned i = 0; i < spec_.drives; ++i) {
      Identity id{1, spec_.vendor, spec_.drive_product, kRevision, drive_serial(i)};
      // DVCID as real libraries and tgt give it: vendor(8) product(16) serial.
      std::string dvcid = fmt::format("{:<8}{:<16}{}", id.vendor.substr(0, 8), id.product.substr(0, 16), id.serial);
      elements_.push_back({element_type::data_transfer, uint16_t(kFirstDrive + i), {}, false, 0, dvcid});
      drives_.push_back(std::make_unique<SscDrive>(i, id, spec_.tape_capacity, ew, dir_ / fmt::format("drive{}.pos", i)));
    }
    for (unsigned i = 0; i < spec_.slots; ++i)
      elements_.push_back({element_type::storage, uint16_t(kFirstSlot + i), {}, false, 0, {}});
    changer_ = std::make_unique<SmcChanger>(
        Identity{8, spec_.vendor, spec_.changer_product, kRevision, changer_serial()}, *this);

    auto text = read_small_file(dir_ / kState);
    if (!text.ok()) return text.status();
    std::istringstream in(*text);
    std::string line;
    std::set<std::string> placed;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ls(line);
      unsigned addr = 0, source = 0;
      std::string barcode;
      if (!(ls >> addr >> barcode >> source))
        return Status::io(fmt::format("{}: bad line '{}'", (dir_ / kState).string(), line));
      ElementState* e = find(uint16_t(addr));
      if (!e || !e->barcode.empty() || !placed.insert(barcode).second)
        return Status::io(fmt::format("{}: inconsistent line '{}'", (dir_ / kState).string(), line));
      e->barcode = barcode;
      e->source = uint16_t(source);
      e->source_valid = source != 0;
      if (e->type == element_type::data_transfer) {
        const unsigned d = addr - kFirstDrive;
        auto img = TapeImage::open(dir_ / "media" / barcode, false);
        if (!img.ok()) return img.status();
        auto saved = SscDrive::read_saved(dir_ / fmt::format("drive{}.pos", d), barcode);
        // A restart is a power cycle for the drive: UNIT ATTENTION, position kept.
        drives_[d]->insert(barcode, std::move(img).value(), write_protected(barcode),
                           saved ? saved->position : 0, saved ? saved->loaded : true, true);
      }
    }
    return Status::Ok();
  }

  std::string drive_serial(unsigned i) const { return fmt::format("{}DRV{:04}", spec_.serial_prefix, i); }
  std::string changer_serial() const { return fmt::format("{}CHG0000", spec_.serial_prefix); }
  bool write_protected(const std::string& barcode) const {
    return fs::exists(dir_ / "media" / (barcode + ".wp"));
  }

  std::vector<ElementState> snapshot() override {
    std::lock_guard lock(robot_);
    return elements_;
  }

  std::optional<SenseSpec> move(uint16_t from, uint16_t to) override {
    std::lock_guard lock(robot_);
    ElementState* src = find(from);
    ElementState* dst = find(to);
    if (!src || !dst || src->type == element_type::transport || dst->type == element_type::transport)
      return sense::invalid_element_address();
    if (src->barcode.empty()) return sense::source_empty();
    if (from == to) return std::nullopt;
    if (!dst->barcode.empty()) return sense::destination_full();
    std::unique_ptr<TapeImage> tape;
    if (src->type == element_type::data_transfer) {
      SscDrive& d = *drives_[from - kFirstDrive];
      // The drive's session holds PREVENT MEDIUM REMOVAL while it uses the tape.
      bool prevented = false;
      tape = d.remove(&prevented);
      if (prevented) return sense::removal_prevented();
    }
    if (dst->type == element_type::data_transfer) {
      if (!tape) {
        auto img = TapeImage::open(dir_ / "media" / src->barcode, false);
        if (!img.ok()) {
          log::error("emulated library: {}", img.status().to_string());
          return sense::medium_error_io();
        }
        tape = std::move(img).value();
      }
      drives_[to - kFirstDrive]->insert(src->barcode, std::move(tape), write_protected(src->barcode));
    }
    tape.reset();  // closes (and syncs) an image that left a drive for a slot
    dst->barcode = std::move(src->barcode);
    src->barcode.clear();
    // SVALID/source: the first element the medium left since it was last at rest in storage.
    if (src->type == element_type::storage || !src->source_valid) {
      dst->source = from;
      dst->source_valid = true;
    } else {
      dst->source = src->source;
      dst->source_valid = src->source_valid;
    }
    if (dst->type == element_type::storage) dst->source = to;  // home again
    src->source_valid = false;
    src->source = 0;
    if (Status s = save_state_locked(); !s) log::error("emulated library: {}", s.to_string());
    return std::nullopt;
  }

  void set_prevent(bool on) override { prevent_ = on; }

  Status save_state_locked() {
    std::string text = "# ndmpd emulated library state: address barcode source\n";
    for (const auto& e : elements_)
      if (!e.barcode.empty()) text += fmt::format("{} {} {}\n", e.address, e.barcode, e.source_valid ? e.source : 0);
    return write_file_atomically(dir_ / kState, text);
  }

  ElementState* find(uint16_t addr) {
    for (auto& e : elements_)
      if (e.address == addr) return &e;
    return nullptr;
  }

  fs::path dir_;
  LibrarySpec spec_;
  std::mutex robot_;
  std::vector<ElementState> elements_;  // ascending address order
  std::vector<std::unique_ptr<SscDrive>> drives_;
  std::unique_ptr<SmcChanger> changer_;
  bool prevent_ = false;
};

Library::Library(std::unique_ptr<LibraryImpl> impl) : impl_(std::move(impl)) {}
Library::~Library() = default;

StatusOr<std::shared_ptr<Library>> Library::open(const fs::path& dir) {
  bool missing = false;
  auto text = read_small_file(dir / kConf, &missing);
  if (!text.ok()) return text.status();
  if (missing) return Status::no_device(fmt::format("{} is not an emulated library (no {})", dir.string(), kConf));
  auto spec = parse_conf(*text, dir / kConf);
  if (!spec.ok()) return spec.status();
  for (const auto& b : spec->barcodes)
    if (fs::exists(dir / "media" / (b + ".wp"))) spec->write_protected.push_back(b);
  if (Status s = validate(*spec); !s) return Status::io(fmt::format("{}: {}", (dir / kConf).string(), s.text()));
  if (Status s = make_private(dir); !s) return s;
  auto impl = std::make_unique<LibraryImpl>(dir, std::move(spec).value());
  if (Status s = impl->init(); !s) return s;
  return std::shared_ptr<Library>(new Library(std::move(impl)));
}

const LibrarySpec& Library::spec() const { return impl_->spec_; }
const fs::path& Library::dir() const { return impl_->dir_; }
unsigned Library::drive_count() const { return unsigned(impl_->drives_.size()); }

std::unique_ptr<Transport> Library::drive_transport(unsigned i) {
  if (i >= impl_->drives_.size()) return nullptr;
  return std::make_unique<SscTransport>(*impl_->drives_[i], i);
}

std::unique_ptr<Transport> Library::changer_transport() { return std::make_unique<SmcTransport>(*impl_->changer_); }

std::string Library::drive_serial(unsigned i) const { return impl_->drive_serial(i); }
std::string Library::changer_serial() const { return impl_->changer_serial(); }

Status Library::raise_tape_alert(unsigned drive, unsigned flag) {
  if (drive >= impl_->drives_.size()) return Status::illegal_request(fmt::format("no drive {} in this library", drive));
  if (flag < 1 || flag > 64) return Status::illegal_request(fmt::format("TapeAlert flag {} is not 1..64", flag));
  impl_->drives_[drive]->raise_tape_alert(flag);
  return Status::Ok();
}

Status Library::set_write_protect(const std::string& barcode, bool on) {
  const auto& b = impl_->spec_.barcodes;
  if (std::find(b.begin(), b.end(), barcode) == b.end())
    return Status::illegal_request(fmt::format("no tape '{}' in this library", barcode));
  const fs::path marker = impl_->dir_ / "media" / (barcode + ".wp");
  if (on) return write_file_atomically(marker, "write protected\n");
  std::error_code ec;
  fs::remove(marker, ec);
  if (ec) return Status::io(fmt::format("cannot remove {}: {}", marker.string(), ec.message()));
  return Status::Ok();
}

Status Library::sync() {
  for (auto& d : impl_->drives_)
    if (Status s = d->sync(); !s) return s;
  return Status::Ok();
}

}  // namespace ndmp::dev::emu

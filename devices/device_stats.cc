#include "devices/device_stats.h"

#include <algorithm>

#include "devices/scsi_cdb.h"
#include "devices/sense.h"

namespace ndmp::dev {

struct DeviceStats::Counters {
  static constexpr size_t kCategories = static_cast<size_t>(Category::no_device) + 1;
  DeviceKind kind = DeviceKind::tape;
  std::atomic<uint64_t> records_written{0}, records_read{0}, bytes_written{0}, bytes_read{0};
  std::array<std::atomic<uint64_t>, kCategories> errors{};
  std::atomic<DeviceCondition> condition{DeviceCondition::closed};
};

namespace {

bool is_failure(Category c) {
  return c != Category::ok && c != Category::filemark && c != Category::early_warning && c != Category::blank_check;
}

bool is_fault(Category c) {
  return c == Category::medium_error || c == Category::hardware_error || c == Category::timeout ||
         c == Category::transport || c == Category::no_device;
}

// Commands that read, write or move the medium (SSC-4, SMC-3): one that
// succeeds shows the device working again after a fault.
bool moves_medium(uint8_t code) {
  // Not in scsi_cdb.h (the drivers do not send them): ERASE(6), READ/WRITE/
  // SPACE/LOCATE(16), EXCHANGE MEDIUM; a DMA's pass-through may.
  constexpr uint8_t kErase6 = 0x19, kRead16 = 0x88, kWrite16 = 0x8a, kSpace16 = 0x91, kLocate16 = 0x92,
                    kExchangeMedium = 0xa6;
  for (uint8_t m : {op::rewind, op::read6, op::write6, op::write_filemarks6, op::space6, op::load_unload,
                    op::locate10, op::move_medium, kErase6, kRead16, kWrite16, kSpace16, kLocate16, kExchangeMedium})
    if (code == m) return true;
  return false;
}

// Bytes a READ moved: the transport's residual where it reports one, the
// sense INFORMATION field (SSC-4 4.2.22, variable-block) otherwise.
uint64_t read_bytes(const CdbCommand& cmd, const CdbResult& r) {
  int64_t resid = std::max(0, r.resid);
  if (resid == 0 && r.check_condition()) {
    Sense s = decode_sense(r.sense_bytes());
    if (s.info_valid && s.info > 0) resid = s.info;
  }
  return static_cast<uint64_t>(std::clamp<int64_t>(static_cast<int64_t>(cmd.data_in.size()) - resid, 0,
                                                   static_cast<int64_t>(cmd.data_in.size())));
}

class CountingTransport final : public Transport {
 public:
  CountingTransport(std::shared_ptr<DeviceStats::Counters> c, std::unique_ptr<Transport> inner)
      : c_(std::move(c)), inner_(std::move(inner)) {
    c_->condition = DeviceCondition::open;
  }
  // The body runs before inner_ is destroyed, so "closed" is stored before
  // the inventory lets another session open the device and store "open".
  ~CountingTransport() override { c_->condition = DeviceCondition::closed; }

  CdbResult execute(const CdbCommand& cmd) override {
    CdbResult r = inner_->execute(cmd);
    const Category cat = r.good() ? Category::ok : Status::from_result(r, "").category();
    const uint8_t code = cmd.cdb.empty() ? 0 : cmd.cdb[0];
    if (code == op::write6 && cmd.direction == Direction::out && (cat == Category::ok || cat == Category::early_warning)) {
      c_->records_written.fetch_add(1, std::memory_order_relaxed);
      c_->bytes_written.fetch_add(cmd.data_out.size(), std::memory_order_relaxed);
    } else if (code == op::read6 && cmd.direction == Direction::in && cat == Category::ok) {
      if (const uint64_t n = read_bytes(cmd, r); n > 0) {
        c_->records_read.fetch_add(1, std::memory_order_relaxed);
        c_->bytes_read.fetch_add(n, std::memory_order_relaxed);
      }
    }
    if (is_failure(cat)) c_->errors[static_cast<size_t>(cat)].fetch_add(1, std::memory_order_relaxed);
    c_->condition = next_condition(cat, code);
    return r;
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  DeviceCondition next_condition(Category cat, uint8_t code) const {
    const DeviceCondition now = c_->condition.load();
    if (is_fault(cat)) return DeviceCondition::fault;
    if (cat == Category::no_medium || cat == Category::not_ready) return DeviceCondition::open;
    if (cat == Category::unit_attention || cat == Category::busy) return now;
    // Only work on the medium proves a fault over; the questions asked
    // after a failure (TapeAlert's LOG SENSE, TEST UNIT READY) do not.
    if (now == DeviceCondition::fault && (is_failure(cat) || !moves_medium(code))) return now;
    return c_->kind == DeviceKind::tape ? DeviceCondition::loaded : DeviceCondition::open;
  }

  std::shared_ptr<DeviceStats::Counters> c_;
  std::unique_ptr<Transport> inner_;
};

}  // namespace

const char* to_string(DeviceCondition c) {
  switch (c) {
    case DeviceCondition::closed: return "closed";
    case DeviceCondition::open: return "open";
    case DeviceCondition::loaded: return "loaded";
    case DeviceCondition::fault: return "fault";
  }
  return "unknown";
}

DeviceStats::DeviceStats() = default;
DeviceStats::~DeviceStats() = default;

std::unique_ptr<Transport> DeviceStats::watch(const std::string& name, DeviceKind kind,
                                              std::unique_ptr<Transport> inner) {
  std::shared_ptr<Counters> c;
  {
    std::lock_guard lock(mu_);
    auto& slot = devices_[name];
    if (!slot) {
      slot = std::make_shared<Counters>();
      slot->kind = kind;  // a name's kind never changes: set once, read without the lock
    }
    c = slot;
  }
  return std::make_unique<CountingTransport>(std::move(c), std::move(inner));
}

std::map<std::string, DeviceFigures> DeviceStats::snapshot() const {
  std::map<std::string, std::shared_ptr<Counters>> devices;
  {
    std::lock_guard lock(mu_);
    devices = devices_;
  }
  std::map<std::string, DeviceFigures> out;
  for (const auto& [name, c] : devices) {
    DeviceFigures f;
    f.kind = c->kind;
    f.records_written = c->records_written.load(std::memory_order_relaxed);
    f.records_read = c->records_read.load(std::memory_order_relaxed);
    f.bytes_written = c->bytes_written.load(std::memory_order_relaxed);
    f.bytes_read = c->bytes_read.load(std::memory_order_relaxed);
    for (size_t i = 0; i < Counters::kCategories; ++i)
      if (uint64_t n = c->errors[i].load(std::memory_order_relaxed)) f.errors[static_cast<Category>(i)] = n;
    f.condition = c->condition.load();
    out[name] = std::move(f);
  }
  return out;
}

}  // namespace ndmp::dev

// Drive over the SSC driver, for --local (SG_IO) and --library (emulated).
#include <fmt/format.h>

#include "devices/tape_write_rules.h"
#include "tools/ndmpctl/drive.h"

namespace ndmp::ctl {

Outcome device_failure(const std::string& what, const dev::Status& st) {
  return Outcome::device(fmt::format("{}: {}", what, st.to_string()));
}

namespace {

constexpr int32_t kSpaceAll = 0x7fffff;  // SSC-4 SPACE(6): 24-bit count

class LocalDrive final : public Drive {
 public:
  LocalDrive(std::unique_ptr<dev::Transport> t, std::string name, std::shared_ptr<void> keep)
      : keep_(std::move(keep)), t_(std::move(t)), drive_(*t_), name_(std::move(name)) {}
  ~LocalDrive() override { (void)close(); }

  const std::string& name() const override { return name_; }

  Result<bool> open(bool write) override {
    dev::Status ready = drive_.test_unit_ready();
    if (ready.is(dev::Category::no_medium)) return false;
    if (!ready) return device_failure("TEST UNIT READY on " + name_, ready);
    if (auto st = drive_.set_block_size(0); !st) return device_failure("selecting variable-block mode on " + name_, st);
    if (write) {
      auto m = drive_.mode_sense();
      if (!m.ok()) return device_failure("MODE SENSE on " + name_, m.status());
      if (m->write_protected) return Outcome::device(fmt::format("{}: the tape is write-protected", name_));
    }
    (void)drive_.read_position();  // learn the position where the device can tell
    open_ = true;
    return true;
  }

  Result<DriveState> status() override {
    DriveState d;
    d.loaded = true;
    auto m = drive_.mode_sense();
    if (m.ok()) {
      d.write_protected = m->write_protected;
      d.block_size = m->block_size;
    }
    auto pos = drive_.read_position();
    const dev::TapePosition& p = pos.ok() ? pos.value() : drive_.tracked();
    d.file = p.file;
    d.block = p.block;
    auto cap = drive_.capacity();
    d.total_bytes = cap.total_bytes;
    d.remaining_bytes = cap.remaining_bytes;
    return d;
  }

  Outcome flush_filemark() {
    dev::Status st = rules_.settle();
    return st.ok() ? Outcome::success() : device_failure("WRITE FILEMARKS on " + name_, st);
  }

  Outcome rewind() override {
    if (auto o = flush_filemark(); !o.ok()) return o;
    dev::Status st = drive_.rewind();
    if (st.ok()) rules_.rewound();
    return st ? Outcome::success() : device_failure("REWIND on " + name_, st);
  }

  Result<uint32_t> space_files(int32_t count) override {
    if (count == 0) return 0u;
    if (count < 0) {
      if (auto o = flush_filemark(); !o.ok()) return o;
    }
    auto r = drive_.space(dev::SpaceCode::filemarks, count);
    if (!r.ok()) return device_failure("SPACE on " + name_, r.status());
    return static_cast<uint32_t>(r->resid < 0 ? -r->resid : r->resid);
  }

  Outcome end_of_data() override {
    if (auto o = flush_filemark(); !o.ok()) return o;
    auto r = drive_.space(dev::SpaceCode::end_of_data, 0);
    if (r.ok()) return {};
    // Drives without SPACE to end of data: space file marks until BLANK CHECK.
    auto f = drive_.space(dev::SpaceCode::filemarks, kSpaceAll);
    return f.ok() ? Outcome::success() : device_failure("SPACE on " + name_, f.status());
  }

  Outcome write_filemarks(uint32_t count) override {
    dev::Status st = rules_.write_filemarks(count);
    return st.ok() ? Outcome::success() : device_failure("WRITE FILEMARKS on " + name_, st);
  }

  Outcome eject() override {
    if (auto o = flush_filemark(); !o.ok()) return o;
    if (dev::Status st = drive_.rewind(); !st) return device_failure("REWIND on " + name_, st);
    rules_.rewound();
    dev::Status st = drive_.unload();
    return st ? Outcome::success() : device_failure("UNLOAD on " + name_, st);
  }

  Result<ReadRecord> read(uint32_t max_bytes) override {
    // Twice the record: tgt returns corrupt data for short reads into a
    // smaller buffer (devices/tape_drive.h).
    buffer_.resize(size_t{max_bytes} * 2);
    auto r = drive_.read(buffer_);
    if (!r.ok()) return device_failure("READ on " + name_, r.status());
    ReadRecord rec;
    if (r->filemark) rec.kind = ReadRecord::Kind::filemark;
    else if (r->end_of_data || r->eom) rec.kind = ReadRecord::Kind::end_of_data;
    else rec.data.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(r->bytes, max_bytes)));
    return rec;
  }

  Outcome write(std::span<const uint8_t> record) override {
    dev::Status st = rules_.write(record);
    return st.ok() ? Outcome::success() : device_failure("WRITE on " + name_, st);
  }

  Outcome close() override {
    if (!open_) return {};
    open_ = false;
    return flush_filemark();
  }

 private:
  std::shared_ptr<void> keep_;  // declared first: destroyed after the transport
  std::unique_ptr<dev::Transport> t_;
  dev::TapeDrive drive_;
  std::string name_;
  std::vector<uint8_t> buffer_;
  bool open_ = false;
  dev::TapeWriteRules rules_{drive_};  // implicit file mark, early warning once
};

}  // namespace

std::unique_ptr<Drive> make_local_drive(std::unique_ptr<dev::Transport> transport, std::string name,
                                        std::shared_ptr<void> keep_alive) {
  return std::make_unique<LocalDrive>(std::move(transport), std::move(name), std::move(keep_alive));
}

}  // namespace ndmp::ctl

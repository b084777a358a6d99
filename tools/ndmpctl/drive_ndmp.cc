// Drive over NDMP TAPE_* (SPEC4 3.4). The server applies the NDMP tape rules
// (implicit file mark, EOF/EOM at end of data); this file maps them back to
// the Drive contract.
#include <fmt/format.h>

#include "tools/ndmpctl/drive.h"
#include "tools/ndmpctl/server_link.h"

namespace ndmp::ctl {
namespace {

using msg::Error;
namespace code = msg::code;

// SPACE counts are 24-bit (SSC-4 7.7); the largest is "as many as there are".
constexpr uint32_t kSpaceAll = 0x7fffff;

class NdmpDrive final : public Drive {
 public:
  NdmpDrive(std::unique_ptr<client::Client> c, std::string device) : c_(std::move(c)), name_(std::move(device)) {}
  ~NdmpDrive() override { (void)close(); }

  const std::string& name() const override { return name_; }

  Result<bool> open(bool write) override {
    msg::TapeOpenRequest req;
    req.device = name_;
    req.mode = write ? msg::TapeOpenMode::rdwr : msg::TapeOpenMode::read;
    auto r = c_->call(code::TAPE_OPEN, req);
    if (!r.ok) return Outcome::connection("TAPE_OPEN: " + r.failure);
    if (r.error() == Error::no_tape_loaded) return false;
    if (r.error() != Error::no_err)
      return Outcome::device(fmt::format("TAPE_OPEN {}: {}", name_, msg::to_string(r.error())));
    open_ = true;
    return true;
  }

  Result<DriveState> status() override {
    auto r = ndmp_call(*c_, code::TAPE_GET_STATE, name_);
    if (!r.ok()) return r.outcome();
    const auto& s = r->as<msg::TapeGetStateReply>();
    DriveState d;
    d.loaded = true;
    d.write_protected = s.flags & 0x10;
    // Validity bits: v3 "invalid", v4 "unsupported", same values (facts 5.11).
    if (!(s.invalid & 0x01) && s.file_num != msg::kInvalidU32) d.file = s.file_num;
    if (!(s.invalid & 0x08) && s.blockno != msg::kInvalidU32) d.block = s.blockno;
    if (!(s.invalid & 0x04) && s.block_size != msg::kInvalidU32) d.block_size = s.block_size;
    if (!(s.invalid & 0x10) && s.total_space != msg::kInvalidU64) d.total_bytes = s.total_space;
    if (!(s.invalid & 0x20) && s.space_remain != msg::kInvalidU64) d.remaining_bytes = s.space_remain;
    return d;
  }

  Result<uint32_t> mtio(msg::MtioOp op, uint32_t count, const char* what) {
    msg::TapeMtioRequest req;
    req.op = op;
    req.count = count;
    auto r = c_->call(code::TAPE_MTIO, req);
    if (!r.ok) return Outcome::connection("TAPE_MTIO: " + r.failure);
    if (r.error() != Error::no_err)
      return Outcome::device(fmt::format("TAPE_MTIO {} on {}: {}", what, name_, msg::to_string(r.error())));
    return r.as<msg::TapeMtioReply>().resid_count;
  }

  Outcome rewind() override {
    auto r = mtio(msg::MtioOp::rew, 1, "REW");
    return r.ok() ? Outcome::success() : r.outcome();
  }
  Result<uint32_t> space_files(int32_t count) override {
    if (count >= 0) return mtio(msg::MtioOp::fsf, static_cast<uint32_t>(count), "FSF");
    return mtio(msg::MtioOp::bsf, static_cast<uint32_t>(-int64_t{count}), "BSF");
  }
  Outcome end_of_data() override {
    // NDMP has no "space to end of data"; spacing file marks stops there
    // with a residual (SSC-4 7.7, BLANK CHECK), which is all we need.
    auto r = mtio(msg::MtioOp::fsf, kSpaceAll, "FSF");
    return r.ok() ? Outcome::success() : r.outcome();
  }
  Outcome write_filemarks(uint32_t count) override {
    auto r = mtio(msg::MtioOp::eof, count, "EOF");
    return r.ok() ? Outcome::success() : r.outcome();
  }
  Outcome eject() override {
    auto r = mtio(msg::MtioOp::off, 1, "OFF");
    return r.ok() ? Outcome::success() : r.outcome();
  }

  Result<ReadRecord> read(uint32_t max_bytes) override {
    msg::TapeReadRequest req;
    req.count = max_bytes;
    auto r = c_->call(code::TAPE_READ, req);
    if (!r.ok) return Outcome::connection("TAPE_READ: " + r.failure);
    ReadRecord rec;
    switch (r.error()) {
      case Error::no_err:
        rec.data = r.as<msg::TapeReadReply>().data;
        return rec;
      case Error::eof: {
        // v4 leaves the tape before the mark (SPEC4 3.4.7); step over it so
        // the next read starts the next file, as the contract says. v2/v3
        // servers have crossed it already.
        if (c_->version() >= 4) {
          auto s = mtio(msg::MtioOp::fsf, 1, "FSF");
          if (!s.ok()) return s.outcome();
          if (s.value() != 0) rec.kind = ReadRecord::Kind::end_of_data;
          else rec.kind = ReadRecord::Kind::filemark;
        } else {
          rec.kind = ReadRecord::Kind::filemark;
        }
        return rec;
      }
      case Error::eom:
        rec.kind = ReadRecord::Kind::end_of_data;
        return rec;
      default:
        return Outcome::device(fmt::format("TAPE_READ on {}: {}", name_, msg::to_string(r.error())));
    }
  }

  Outcome write(std::span<const uint8_t> record) override {
    msg::TapeWriteRequest req;
    req.data.assign(record.begin(), record.end());
    auto r = c_->call(code::TAPE_WRITE, req);
    if (!r.ok) return Outcome::connection("TAPE_WRITE: " + r.failure);
    if (r.error() != Error::no_err)
      return Outcome::device(fmt::format("TAPE_WRITE on {}: {}", name_, msg::to_string(r.error())));
    if (r.as<msg::TapeWriteReply>().count != record.size())
      return Outcome::device(fmt::format("TAPE_WRITE on {}: {} of {} bytes written", name_,
                                         r.as<msg::TapeWriteReply>().count, record.size()));
    return {};
  }

  Outcome close() override {
    if (!open_) return {};
    open_ = false;
    auto r = ndmp_call(*c_, code::TAPE_CLOSE, name_);
    return r.ok() ? Outcome::success() : r.outcome();
  }

 private:
  std::unique_ptr<client::Client> c_;
  std::string name_;
  bool open_ = false;
};

}  // namespace

std::unique_ptr<Drive> make_ndmp_drive(std::unique_ptr<client::Client> client, std::string device) {
  return std::make_unique<NdmpDrive>(std::move(client), std::move(device));
}

}  // namespace ndmp::ctl

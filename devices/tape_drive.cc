#include "devices/tape_drive.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "common/log.h"
#include "devices/scsi_cdb.h"

namespace ndmp::dev {
namespace {

using std::chrono::seconds;
// Long operations (SSC-4 Annex: rewind/space/locate on a full LTO cartridge
// take minutes); data transfers are bounded by one record.
constexpr auto kShort = seconds(60);
constexpr auto kLong = seconds(3 * 3600);

std::string trim(const uint8_t* p, size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  return s.substr(b);
}

}  // namespace

StatusOr<InquiryData> inquire(Transport& t) {
  std::array<uint8_t, 96> buf{};
  const std::array<uint8_t, 6> cdb{op::inquiry, 0, 0, 0, uint8_t(buf.size()), 0};
  CdbResult r = t.execute(CdbCommand::in(cdb, buf, kShort));
  if (Status s = Status::from_result(r, "INQUIRY on " + t.describe()); !s) return s;
  const size_t got = buf.size() - size_t(std::max(0, r.resid));
  if (got < 36) return Status::io(fmt::format("INQUIRY on {}: short answer ({} bytes)", t.describe(), got));
  InquiryData d;
  d.peripheral_type = buf[0] & 0x1f;
  d.removable = buf[1] & 0x80;
  d.vendor = trim(&buf[8], 8);
  d.product = trim(&buf[16], 16);
  d.revision = trim(&buf[32], 4);
  // Unit serial number VPD page; a device without it is not an error.
  std::array<uint8_t, 255> vpd{};
  const std::array<uint8_t, 6> vcdb{op::inquiry, 0x01, 0x80, 0, uint8_t(vpd.size()), 0};
  CdbResult v = t.execute(CdbCommand::in(vcdb, vpd, kShort));
  if (v.good() && vpd[1] == 0x80) {
    const size_t len = std::min<size_t>(be::get16(vpd, 2), vpd.size() - 4);
    d.serial = trim(&vpd[4], len);
  }
  return d;
}

CdbResult TapeDrive::run(const CdbCommand& cmd) {
  CdbResult r = t_.execute(cmd);
  if (r.check_condition()) {
    last_sense_ = decode_sense(r.sense_bytes());
    if (last_sense_->key == sense_key::unit_attention) {
      // 28h: medium may have changed (load); 29h: power on / reset. Either way
      // the drive is at BOT or somewhere we did not put it.
      if (last_sense_->asc == 0x28) reset_position_to_bot();
      else lose_position();
    }
  } else if (r.good()) {
    last_sense_.reset();
  }
  return r;
}

void TapeDrive::reset_position_to_bot() { pos_ = {0, 0, 0, true, false}; }
void TapeDrive::lose_position() { pos_ = {}; }

void TapeDrive::advance_blocks(int64_t n) {
  if (pos_.block) pos_.block = uint64_t(int64_t(*pos_.block) + n);
  if (pos_.object) pos_.object = uint64_t(int64_t(*pos_.object) + n);
  pos_.at_bot = pos_.object && *pos_.object == 0;
}

void TapeDrive::advance_filemarks(int64_t n) {
  if (pos_.file) pos_.file = uint64_t(int64_t(*pos_.file) + n);
  if (pos_.object) pos_.object = uint64_t(int64_t(*pos_.object) + n);
  // Forward over a mark: first block of the next file. Backward: the end of
  // the previous file, whose length we do not know.
  if (n > 0) pos_.block = 0;
  else if (n < 0) pos_.block.reset();
  pos_.at_bot = pos_.object && *pos_.object == 0;
}

Status TapeDrive::test_unit_ready() {
  const std::array<uint8_t, 6> cdb{op::test_unit_ready, 0, 0, 0, 0, 0};
  Status s;
  // Each UNIT ATTENTION is reported once; several may be queued (power on,
  // then medium change), so consume a bounded number.
  for (int i = 0; i < 8; ++i) {
    CdbResult r = run(CdbCommand::none(cdb, kShort));
    s = Status::from_result(r, "TEST UNIT READY on " + t_.describe());
    if (!s.is(Category::unit_attention)) return s;
  }
  return s;
}

StatusOr<Sense> TapeDrive::request_sense() {
  std::array<uint8_t, 64> buf{};
  const std::array<uint8_t, 6> cdb{op::request_sense, 0, 0, 0, uint8_t(buf.size()), 0};
  CdbResult r = t_.execute(CdbCommand::in(cdb, buf, kShort));
  if (Status s = Status::from_result(r, "REQUEST SENSE on " + t_.describe()); !s) return s;
  const size_t got = buf.size() - size_t(std::max(0, r.resid));
  return decode_sense(std::span<const uint8_t>(buf.data(), got));
}

StatusOr<BlockLimits> TapeDrive::read_block_limits() {
  std::array<uint8_t, 6> buf{};
  const std::array<uint8_t, 6> cdb{op::read_block_limits, 0, 0, 0, 0, 0};
  CdbResult r = run(CdbCommand::in(cdb, buf, kShort));
  if (Status s = Status::from_result(r, "READ BLOCK LIMITS on " + t_.describe()); !s) return s;
  return BlockLimits{be::get24(buf, 1), be::get16(buf, 4), uint8_t(buf[0] & 0x1f)};
}

StatusOr<TapeMode> TapeDrive::mode_sense() {
  std::array<uint8_t, 12> buf{};
  // Page 0 (no page): header and block descriptor are all we read. tgt and
  // real drives answer it; page 10h would do as well.
  const std::array<uint8_t, 6> cdb{op::mode_sense6, 0, 0x00, 0, uint8_t(buf.size()), 0};
  CdbResult r = run(CdbCommand::in(cdb, buf, kShort));
  Status s = Status::from_result(r, "MODE SENSE(6) on " + t_.describe());
  if (s.is(Category::illegal_request)) {
    // Some drives reject page 0; ask for the device configuration page.
    const std::array<uint8_t, 6> cdb10{op::mode_sense6, 0, 0x10, 0, uint8_t(buf.size()), 0};
    r = run(CdbCommand::in(cdb10, buf, kShort));
    s = Status::from_result(r, "MODE SENSE(6) page 10h on " + t_.describe());
  }
  if (!s) return s;
  TapeMode m;
  m.write_protected = buf[2] & 0x80;
  m.buffered_mode = (buf[2] >> 4) & 0x07;
  if (buf[3] >= 8) {
    m.density = buf[4];
    m.block_size = be::get24(buf, 9);
  }
  block_size_ = m.block_size;
  return m;
}

Status TapeDrive::set_block_size(uint32_t block_size, uint8_t density) {
  if (block_size > 0xffffff) return Status::illegal_request(fmt::format("block size {} exceeds 24 bits", block_size));
  std::array<uint8_t, 12> p{};
  p[2] = 0x10;  // buffered mode 1: writes complete from the buffer (SSC-4 8.3.3)
  p[3] = 8;
  p[4] = density;
  be::put24(p, 9, block_size);
  const std::array<uint8_t, 6> cdb{op::mode_select6, 0x10, 0, 0, uint8_t(p.size()), 0};
  CdbResult r = run(CdbCommand::out(cdb, p, kShort));
  Status s = Status::from_result(r, "MODE SELECT(6) on " + t_.describe());
  if (s) block_size_ = block_size;
  return s;
}

StatusOr<ReadResult> TapeDrive::read(std::span<uint8_t> buffer) {
  const bool fixed = block_size_ != 0;
  if (fixed && buffer.size() % block_size_ != 0)
    return Status::illegal_request(
        fmt::format("read of {} bytes is not a multiple of the {}-byte block size", buffer.size(), block_size_));
  const uint32_t count = uint32_t(fixed ? buffer.size() / block_size_ : buffer.size());
  if (count > 0xffffff) return Status::illegal_request("read larger than a 24-bit transfer length");
  std::array<uint8_t, 6> cdb{op::read6, uint8_t(fixed ? 1 : 0), 0, 0, 0, 0};
  be::put24(cdb, 2, count);
  CdbResult r = run(CdbCommand::in(cdb, buffer, kLong));
  ReadResult out;
  if (r.good()) {
    out.bytes = buffer.size() - size_t(std::max(0, r.resid));
    advance_blocks(fixed ? int64_t(out.bytes / block_size_) : 1);
    return out;
  }
  Status s = Status::from_result(r, "READ(6) on " + t_.describe());
  if (!r.check_condition() || !last_sense_) return s;
  const Sense& sn = *last_sense_;
  const int64_t info = sn.info_valid ? sn.info : 0;
  // Bytes transferred: from the transport's residual where it has one,
  // from the sense INFORMATION field otherwise (SSC-4 4.2.22).
  auto transferred = [&](int64_t resid_units) -> size_t {
    int64_t bytes = fixed ? (int64_t(count) - resid_units) * block_size_ : int64_t(count) - resid_units;
    return size_t(std::clamp<int64_t>(bytes, 0, int64_t(buffer.size())));
  };
  if (s.is(Category::filemark)) {
    out.filemark = true;
    out.bytes = transferred(info);
    if (fixed) advance_blocks(int64_t(out.bytes / block_size_));
    advance_filemarks(1);
    return out;
  }
  if (s.is(Category::blank_check)) {
    out.end_of_data = true;
    out.bytes = transferred(sn.info_valid ? info : count);
    if (fixed) advance_blocks(int64_t(out.bytes / block_size_));
    return out;
  }
  if (s.is(Category::eom)) {
    out.eom = true;
    out.bytes = transferred(info);
    return out;
  }
  if (s.ok() && sn.ili) {
    out.ili = true;
    if (!fixed) {
      // info = requested - actual: positive for a short record, negative
      // when the record was longer than the buffer (data truncated).
      out.record_length = int64_t(count) - info;
      out.bytes = size_t(std::min<int64_t>(out.record_length, int64_t(buffer.size())));
      advance_blocks(1);
    } else {
      out.bytes = transferred(info);
      advance_blocks(int64_t(count) - info);
    }
    return out;
  }
  return s;
}

Status TapeDrive::write(std::span<const uint8_t> record) {
  const bool fixed = block_size_ != 0;
  if (fixed && record.size() % block_size_ != 0)
    return Status::illegal_request(
        fmt::format("write of {} bytes is not a multiple of the {}-byte block size", record.size(), block_size_));
  const uint32_t count = uint32_t(fixed ? record.size() / block_size_ : record.size());
  if (count == 0) return Status::Ok();
  if (count > 0xffffff) return Status::illegal_request("write larger than a 24-bit transfer length");
  std::array<uint8_t, 6> cdb{op::write6, uint8_t(fixed ? 1 : 0), 0, 0, 0, 0};
  be::put24(cdb, 2, count);
  CdbResult r = run(CdbCommand::out(cdb, record, kLong));
  Status s = Status::from_result(r, "WRITE(6) on " + t_.describe());
  const int64_t units = fixed ? count : 1;
  if (s) {
    advance_blocks(units);
    return s;
  }
  if (s.is(Category::eom) && last_sense_ && last_sense_->key == sense_key::no_sense) {
    // NO SENSE + EOM on a write: early warning; the data is on the tape,
    // minus any residual blocks in fixed mode (SSC-4 4.2.5).
    const int64_t unwritten = last_sense_->info_valid && fixed ? last_sense_->info : 0;
    advance_blocks(units - unwritten);
    return Status::make(Category::early_warning, s.text(), s.sense());
  }
  if (s.is(Category::eom) && fixed && last_sense_ && last_sense_->info_valid)
    advance_blocks(units - last_sense_->info);  // VOLUME OVERFLOW: blocks before the end were written
  return s;
}

Status TapeDrive::write_filemarks(uint32_t count) {
  std::array<uint8_t, 6> cdb{op::write_filemarks6, 0, 0, 0, 0, 0};
  be::put24(cdb, 2, count);
  CdbResult r = run(CdbCommand::none(cdb, kLong));
  Status s = Status::from_result(r, "WRITE FILEMARKS(6) on " + t_.describe());
  if (s) {
    advance_filemarks(count);
    return s;
  }
  if (s.is(Category::eom) && last_sense_ && last_sense_->key == sense_key::no_sense) {
    advance_filemarks(count);
    return Status::make(Category::early_warning, s.text(), s.sense());
  }
  return s;
}

StatusOr<TapeDrive::SpaceResult> TapeDrive::space(SpaceCode code, int32_t count) {
  if (count > 0x7fffff || count < -0x800000) return Status::illegal_request("space count exceeds 24 bits");
  std::array<uint8_t, 6> cdb{op::space6, uint8_t(code), 0, 0, 0, 0};
  be::put24(cdb, 2, uint32_t(count) & 0xffffff);
  CdbResult r = run(CdbCommand::none(cdb, kLong));
  Status s = Status::from_result(r, "SPACE(6) on " + t_.describe());
  SpaceResult out;
  if (code == SpaceCode::end_of_data) {
    if (!s && !s.is(Category::blank_check)) return s;
    // SSC gives no count for EOD: the file number is lost until BOT.
    lose_position();
    return out;
  }
  if (!s && !s.is(Category::filemark) && !s.is(Category::blank_check) && !s.is(Category::eom)) return s;
  // Residual: magnitude of requested - spaced. Drives differ on the sign for
  // reverse spacing (SSC-4 says "requested minus actual"); the magnitude is
  // what both agree on.
  bool resid_known = true;
  if (!s) {
    out.stopped = s.category();
    resid_known = last_sense_ && last_sense_->info_valid;
    out.resid = resid_known ? std::llabs(last_sense_->info) : std::llabs(count);
  }
  if (!resid_known) {
    // Stopped without saying how far it got (tgt sends no INFORMATION):
    // the position is unknown until BOT.
    lose_position();
    return out;
  }
  const int64_t dir = count < 0 ? -1 : 1;
  const int64_t spaced = dir * (std::llabs(count) - out.resid);
  if (code == SpaceCode::blocks) {
    advance_blocks(spaced);
    if (out.stopped == Category::filemark) advance_filemarks(dir);  // crossed the mark that stopped us
  } else {
    advance_filemarks(spaced);
    if (out.stopped == Category::blank_check) lose_position();  // somewhere in the last file, count unknown
  }
  if (out.stopped == Category::eom && dir < 0) reset_position_to_bot();
  return out;
}

Status TapeDrive::rewind() {
  const std::array<uint8_t, 6> cdb{op::rewind, 0, 0, 0, 0, 0};
  CdbResult r = run(CdbCommand::none(cdb, kLong));
  Status s = Status::from_result(r, "REWIND on " + t_.describe());
  if (s) reset_position_to_bot();
  return s;
}

Status TapeDrive::locate(uint64_t object, IfNoLocate if_none) {
  if (object > 0xffffffffull) return Status::illegal_request("LOCATE(10) address exceeds 32 bits");
  std::array<uint8_t, 10> cdb{op::locate10, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  be::put32(cdb, 3, uint32_t(object));
  CdbResult r = run(CdbCommand::none(cdb, kLong));
  Status s = Status::from_result(r, "LOCATE(10) on " + t_.describe());
  if (s) {
    pos_.object = object;
    pos_.file.reset();  // LOCATE says nothing about filemarks passed
    pos_.block.reset();
    pos_.at_bot = object == 0;
    pos_.from_device = false;
    if (auto p = read_position(); p.ok() && p->from_device) pos_ = *p;
    return s;
  }
  if (!(last_sense_ && last_sense_->invalid_opcode()) || if_none == IfNoLocate::refuse) return s;
  // No LOCATE (tgt): REWIND, then SPACE over the objects. Exact only when the
  // objects before `object` are all blocks or we know how they split; we
  // space blocks and let filemarks stop and re-issue, counting them.
  log::info("{}: no LOCATE; positioning by REWIND + SPACE to object {}", t_.describe(), object);
  if (Status rs = rewind(); !rs) return rs;
  uint64_t left = object;
  while (left > 0) {
    const int32_t step = int32_t(std::min<uint64_t>(left, 0x7fffff));
    auto sp = space(SpaceCode::blocks, step);
    if (!sp.ok()) return sp.status();
    const uint64_t moved = uint64_t(step - sp->resid);
    if (sp->stopped == Category::filemark) {
      left -= moved + 1;  // the filemark is an object too
    } else if (sp->stopped != Category::ok) {
      return Status::make(Category::blank_check,
                          fmt::format("LOCATE fallback on {}: object {} is beyond end of data", t_.describe(), object),
                          last_sense_);
    } else {
      left -= moved;
    }
  }
  return Status::Ok();
}

StatusOr<TapePosition> TapeDrive::read_position() {
  // Long form first (object number and file number), then short form.
  std::array<uint8_t, 32> buf{};
  const std::array<uint8_t, 10> long_cdb{op::read_position, 0x06, 0, 0, 0, 0, 0, 0, 0, 0};
  CdbResult r = run(CdbCommand::in(long_cdb, buf, kShort));
  Status s = Status::from_result(r, "READ POSITION on " + t_.describe());
  // Credible only with BPU/MPU clear and not "object 0 but not at BOP": tgt's
  // long form answers 0x20 (its length) in byte 0 and zeros elsewhere.
  const bool credible = !(buf[0] & 0x0c) && !(be::get64(buf, 8) == 0 && !(buf[0] & 0x80));
  if (s && credible) {
    TapePosition p = pos_;
    p.object = be::get64(buf, 8);
    p.file = be::get64(buf, 16);
    p.at_bot = buf[0] & 0x80;
    if (pos_.object != p.object || pos_.file != p.file) p.block = pos_.file == p.file ? pos_.block : std::nullopt;
    if (p.at_bot) p.block = 0;
    p.from_device = true;
    pos_ = p;
    return p;
  }
  buf.fill(0);
  const std::array<uint8_t, 10> short_cdb{op::read_position, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
  r = run(CdbCommand::in(short_cdb, std::span<uint8_t>(buf.data(), 20), kShort));
  s = Status::from_result(r, "READ POSITION on " + t_.describe());
  if (!s && !(last_sense_ && last_sense_->is(sense_key::illegal_request, 0x20, 0)) && !s.is(Category::illegal_request))
    return s;
  // tgt answers with BPU set and zeros (its READ POSITION is broken); believe
  // our own tracking then, and say so through from_device = false.
  if (s && !(buf[0] & 0x04) && !(be::get32(buf, 4) == 0 && !(buf[0] & 0x80))) {
    const uint64_t obj = be::get32(buf, 4);
    if (pos_.object != obj) {
      pos_.object = obj;
      pos_.file.reset();
      pos_.block.reset();
    }
    pos_.at_bot = buf[0] & 0x80;
    if (pos_.at_bot) pos_ = {0, 0, 0, true, true};
    pos_.from_device = true;
    return pos_;
  }
  TapePosition p = pos_;
  p.from_device = false;
  return p;
}

Status TapeDrive::load() {
  const std::array<uint8_t, 6> cdb{op::load_unload, 0, 0, 0, 0x01, 0};
  CdbResult r = run(CdbCommand::none(cdb, kLong));
  Status s = Status::from_result(r, "LOAD on " + t_.describe());
  if (s) reset_position_to_bot();
  return s;
}

Status TapeDrive::unload() {
  const std::array<uint8_t, 6> cdb{op::load_unload, 0, 0, 0, 0x00, 0};
  CdbResult r = run(CdbCommand::none(cdb, kLong));
  Status s = Status::from_result(r, "UNLOAD on " + t_.describe());
  if (s) lose_position();
  return s;
}

Status TapeDrive::prevent_removal(bool prevent) {
  const std::array<uint8_t, 6> cdb{op::prevent_allow, 0, 0, 0, uint8_t(prevent ? 1 : 0), 0};
  CdbResult r = run(CdbCommand::none(cdb, kShort));
  return Status::from_result(r, "PREVENT ALLOW MEDIUM REMOVAL on " + t_.describe());
}

StatusOr<size_t> TapeDrive::log_page(uint8_t page, std::span<uint8_t> buf) {
  std::array<uint8_t, 10> cdb{op::log_sense, 0, uint8_t(0x40 | page), 0, 0, 0, 0, 0, 0, 0};  // PC=01 cumulative
  be::put16(cdb, 7, uint32_t(buf.size()));
  // Through run(), so a UNIT ATTENTION it meets moves the tracked position
  // as for any command. LOG SENSE touches no medium: asking again is safe,
  // and the page is still there (the attention was reported instead of it).
  CdbResult r = run(CdbCommand::in(cdb, buf, kShort));
  if (r.check_condition() && last_sense_ && last_sense_->key == sense_key::unit_attention) {
    std::fill(buf.begin(), buf.end(), uint8_t{0});
    r = run(CdbCommand::in(cdb, buf, kShort));
  }
  if (Status s = Status::from_result(r, fmt::format("LOG SENSE page {:02x}h on {}", page, t_.describe())); !s) return s;
  if ((buf[0] & 0x3f) != page) return Status::io(fmt::format("LOG SENSE on {}: asked page {:02x}h, got {:02x}h",
                                                             t_.describe(), page, buf[0] & 0x3f));
  return std::min<size_t>(be::get16(buf, 2), buf.size() - 4);
}

StatusOr<TapeAlert> TapeDrive::tape_alert() {
  std::array<uint8_t, 4 + 64 * 5> buf{};
  auto n = log_page(0x2e, buf);
  if (!n.ok()) return n.status();
  TapeAlert a;
  for (size_t at = 4; at + 4 < 4 + *n; at += 4 + buf[at + 3]) {
    const uint16_t code = be::get16(buf, at);
    if (code >= 1 && code <= 64 && buf[at + 3] >= 1 && (buf[at + 4] & 1)) a.flags |= uint64_t(1) << (code - 1);
  }
  return a;
}

Capacity TapeDrive::capacity() {
  std::array<uint8_t, 128> buf{};
  auto n = log_page(0x31, buf);
  Capacity c;
  if (!n.ok()) return c;  // page not supported: unknown, not an error
  for (size_t at = 4; at + 4 <= 4 + *n; at += 4 + buf[at + 3]) {
    const uint16_t code = be::get16(buf, at);
    if (buf[at + 3] != 4 || at + 8 > buf.size()) continue;
    const uint64_t mib = be::get32(buf, at + 4);
    if (code == 1) c.remaining_bytes = mib << 20;
    if (code == 3) c.total_bytes = mib << 20;
  }
  return c;
}

Status TapeDrive::check_writable() {
  if (Status s = test_unit_ready(); !s) return s;
  auto m = mode_sense();
  if (!m.ok()) return m.status();
  if (m->write_protected) return Status::write_protected(fmt::format("{}: medium is write-protected", t_.describe()));
  return Status::Ok();
}

}  // namespace ndmp::dev

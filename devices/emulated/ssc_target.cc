#include "devices/emulated/ssc_target.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "common/log.h"
#include "devices/emulated/atomic_file.h"
#include "devices/scsi_cdb.h"

namespace ndmp::dev::emu {

SscDrive::SscDrive(unsigned index, Identity id, uint64_t capacity, uint64_t early_warning,
                   std::filesystem::path pos_file)
    : index_(index),
      id_(std::move(id)),
      capacity_(capacity),
      early_warning_(std::min(early_warning, capacity)),
      pos_file_(std::move(pos_file)) {}

SscDrive::~SscDrive() {
  if (Status s = sync(); !s.ok()) log::error("emulated drive {}: {}", index_, s.to_string());
}

const std::array<SscDrive::Entry, 16>& SscDrive::table() {
  static const std::array<Entry, 16> t{{
      {op::test_unit_ready, "TEST UNIT READY", &SscDrive::test_unit_ready},
      {op::rewind, "REWIND", &SscDrive::rewind},
      {op::request_sense, "REQUEST SENSE", &SscDrive::request_sense},
      {op::read_block_limits, "READ BLOCK LIMITS", &SscDrive::read_block_limits},
      {op::read6, "READ(6)", &SscDrive::read},
      {op::write6, "WRITE(6)", &SscDrive::write},
      {op::write_filemarks6, "WRITE FILEMARKS(6)", &SscDrive::write_filemarks},
      {op::space6, "SPACE(6)", &SscDrive::space},
      {op::inquiry, "INQUIRY", &SscDrive::inquiry},
      {op::mode_select6, "MODE SELECT(6)", &SscDrive::mode_select6},
      {op::mode_sense6, "MODE SENSE(6)", &SscDrive::mode_sense6},
      {op::load_unload, "LOAD UNLOAD", &SscDrive::load_unload},
      {op::prevent_allow, "PREVENT ALLOW MEDIUM REMOVAL", &SscDrive::prevent_allow},
      {op::locate10, "LOCATE(10)", &SscDrive::locate10},
      {op::read_position, "READ POSITION", &SscDrive::read_position},
      {op::log_sense, "LOG SENSE", &SscDrive::log_sense},
  }};
  return t;
}

CdbResult SscDrive::fail(const SenseSpec& s, int32_t resid) {
  last_sense_ = s;
  return check_condition(s, resid);
}

CdbResult SscDrive::execute(const CdbCommand& cmd) {
  std::lock_guard lock(mu_);
  if (cmd.cdb.size() < 6) return fail(sense::invalid_field_in_cdb());
  const Entry* e = find_op(table(), cmd.cdb[0]);
  if (!e) return fail(sense::invalid_opcode());
  // SPC-4 5.? : INQUIRY and REQUEST SENSE neither report nor clear a unit
  // attention; everything else reports it once and is not executed.
  if (attention_ && cmd.cdb[0] != op::inquiry && cmd.cdb[0] != op::request_sense) {
    attention_ = false;
    return fail(sense::medium_changed(), int32_t(cmd.data_length()));
  }
  CdbResult r = (this->*(e->handler))(cmd);
  if (r.scsi_status == scsi_status::good) last_sense_ = {};
  return r;
}

void SscDrive::insert(std::string barcode, std::unique_ptr<TapeImage> tape, bool write_protected, size_t position,
                      bool loaded, bool attention) {
  std::lock_guard lock(mu_);
  tape_ = std::move(tape);
  barcode_ = std::move(barcode);
  write_protected_ = write_protected;
  pos_ = std::min(position, tape_->object_count());
  loaded_ = loaded;
  attention_ = attention;
  prevent_ = false;
  record_position_locked();
}

bool SscDrive::has_tape() const {
  std::lock_guard lock(mu_);
  return tape_ != nullptr;
}

std::unique_ptr<TapeImage> SscDrive::remove(bool* prevented) {
  std::lock_guard lock(mu_);
  *prevented = prevent_;
  if (prevent_) return nullptr;
  if (tape_) {
    if (Status s = tape_->sync(); !s.ok()) log::error("emulated drive {}: {}", index_, s.to_string());
  }
  auto t = std::move(tape_);
  barcode_.clear();
  loaded_ = false;
  pos_ = 0;
  record_position_locked();
  return t;
}

Status SscDrive::sync() {
  std::lock_guard lock(mu_);
  if (tape_)
    if (Status s = tape_->sync(); !s) return s;
  return save_position_locked();
}

void SscDrive::record_position_locked() {
  // The position file only lets a restarted ndmpd find the tape where it was;
  // the command itself succeeded, so a failure is the operator's to see.
  if (Status s = save_position_locked(); !s.ok()) log::error("emulated drive {}: {}", index_, s.to_string());
}

Status SscDrive::save_position_locked() {
  std::string text = fmt::format("# ndmpd emulated drive {} position\nbarcode = {}\nloaded = {}\nposition = {}\n",
                                 index_, tape_ ? barcode_ : std::string("-"), loaded_ ? 1 : 0, pos_);
  return write_file_atomically(pos_file_, text);
}

std::optional<SscDrive::SavedPosition> SscDrive::read_saved(const std::filesystem::path& pos_file,
                                                            const std::string& barcode) {
  bool missing = false;
  auto text = read_small_file(pos_file, &missing);
  if (!text.ok() || missing) return std::nullopt;
  std::istringstream in(*text);
  std::string line, saved_barcode;
  SavedPosition p;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, eq, value;
    if (!(ls >> key >> eq >> value) || eq != "=") continue;
    if (key == "barcode") saved_barcode = value;
    else if (key == "loaded") p.loaded = value == "1";
    else if (key == "position") p.position = std::stoull(value);
  }
  if (saved_barcode != barcode) return std::nullopt;
  return p;
}

// --- handlers -------------------------------------------------------------

CdbResult SscDrive::test_unit_ready(const CdbCommand&) {
  if (!ready()) return fail(sense::no_medium());
  return good();
}

CdbResult SscDrive::rewind(const CdbCommand&) {
  if (!ready()) return fail(sense::no_medium());
  pos_ = 0;
  if (Status s = tape_->sync(); !s) return fail(sense::write_error());
  record_position_locked();
  return good();
}

CdbResult SscDrive::request_sense(const CdbCommand& cmd) {
  // Autosense carries the sense of a failed command; REQUEST SENSE reports
  // the last one, or the standing condition (no medium), or NO SENSE.
  SenseSpec s = last_sense_;
  if (s.key == 0 && !s.filemark && !s.eom && !s.ili && !ready()) s = sense::no_medium();
  last_sense_ = {};
  auto b = fixed_sense(s);
  CdbCommand limited = cmd;
  limited.data_in = cmd.data_in.first(std::min<size_t>(cmd.cdb[4], cmd.data_in.size()));
  return reply(limited, b);
}

CdbResult SscDrive::read_block_limits(const CdbCommand& cmd) {
  std::array<uint8_t, 6> d{};
  d[0] = 0;  // granularity 2^0
  be::put24(d, 1, TapeImage::kMaxRecord);
  be::put16(d, 4, 1);
  return reply(cmd, d);
}

CdbResult SscDrive::read(const CdbCommand& cmd) {
  if (!ready()) return fail(sense::no_medium(), int32_t(cmd.data_length()));
  const bool fixed = cmd.cdb[1] & 0x01;
  const bool sili = cmd.cdb[1] & 0x02;
  const uint32_t count = be::get24(cmd.cdb, 2);
  if (fixed && (block_size_ == 0 || sili)) return fail(sense::invalid_field_in_cdb());
  if (count == 0) return good();
  const uint64_t want = fixed ? uint64_t(count) * block_size_ : count;
  if (want > cmd.data_in.size()) return fail(sense::invalid_field_in_cdb());
  auto buf = cmd.data_in.first(want);
  if (!fixed) {
    if (pos_ == tape_->object_count())
      return fail(sense::end_of_data().with_info(int32_t(count)), int32_t(count));
    if (tape_->is_filemark(pos_)) {
      ++pos_;
      return fail(sense::filemark_detected().with_info(int32_t(count)), int32_t(count));
    }
    const uint32_t len = tape_->record_length(pos_);
    auto got = tape_->read_record(pos_, buf);
    if (!got.ok()) return fail(sense::medium_error_io().with_info(int32_t(count)), int32_t(count));
    ++pos_;
    if (len == count) return good();
    const int32_t diff = int32_t(count) - int32_t(len);
    const int32_t resid = diff > 0 ? diff : 0;
    if (diff > 0 && sili) return good(resid);  // SSC-4: SILI suppresses only the short-record ILI
    return fail(SenseSpec{}.with_ili().with_info(diff), resid);
  }
  // Fixed-block mode: one record per block; INFORMATION counts blocks.
  for (uint32_t k = 0; k < count; ++k) {
    const int32_t left = int32_t(count - k);
    const int32_t resid_bytes = left * int32_t(block_size_);
    if (pos_ == tape_->object_count()) return fail(sense::end_of_data().with_info(left), resid_bytes);
    if (tape_->is_filemark(pos_)) {
      ++pos_;
      return fail(sense::filemark_detected().with_info(left), resid_bytes);
    }
    const uint32_t len = tape_->record_length(pos_);
    auto got = tape_->read_record(pos_, buf.subspan(size_t(k) * block_size_, block_size_));
    if (!got.ok()) return fail(sense::medium_error_io().with_info(left), resid_bytes);
    ++pos_;
    if (len != block_size_) return fail(SenseSpec{}.with_ili().with_info(left - 1), (left - 1) * int32_t(block_size_));
  }
  return good();
}

CdbResult SscDrive::write(const CdbCommand& cmd) {
  if (!ready()) return fail(sense::no_medium(), int32_t(cmd.data_length()));
  if (write_protected_) return fail(sense::write_protected(), int32_t(cmd.data_length()));
  const bool fixed = cmd.cdb[1] & 0x01;
  const uint32_t count = be::get24(cmd.cdb, 2);
  if (fixed && block_size_ == 0) return fail(sense::invalid_field_in_cdb());
  if (count == 0) return good();
  const uint64_t bytes = fixed ? uint64_t(count) * block_size_ : count;
  if (bytes > cmd.data_out.size() || (!fixed && bytes > TapeImage::kMaxRecord))
    return fail(sense::invalid_field_in_cdb());
  if (Status s = tape_->truncate(pos_); !s) return fail(sense::write_error());
  const uint32_t rec = fixed ? block_size_ : count;
  const uint32_t records = fixed ? count : 1;
  for (uint32_t k = 0; k < records; ++k) {
    const int32_t left = int32_t(records - k);
    const uint64_t used = tape_->data_bytes();
    if (used + rec > capacity_) {
      // Physical end: nothing of this record was written (SSC-4 4.2.5).
      const int32_t info = fixed ? left : int32_t(count);
      return fail(sense::volume_overflow().with_info(info), int32_t(uint64_t(left) * rec));
    }
    if (Status s = tape_->append_record(cmd.data_out.subspan(size_t(k) * rec, rec)); !s) {
      log::error("emulated drive {}: {}", index_, s.to_string());
      return fail(sense::write_error().with_info(fixed ? left : int32_t(count)), int32_t(uint64_t(left) * rec));
    }
    ++pos_;
  }
  if (in_early_warning(tape_->data_bytes())) return fail(sense::early_warning().with_info(0));
  return good();
}

CdbResult SscDrive::write_filemarks(const CdbCommand& cmd) {
  if (!ready()) return fail(sense::no_medium());
  if (write_protected_) return fail(sense::write_protected());
  const bool immed = cmd.cdb[1] & 0x01;
  const uint32_t count = be::get24(cmd.cdb, 2);
  if (count > 0) {
    if (Status s = tape_->truncate(pos_); !s) return fail(sense::write_error());
    for (uint32_t k = 0; k < count; ++k) {
      if (Status s = tape_->append_filemark(); !s) return fail(sense::write_error().with_info(int32_t(count - k)));
      ++pos_;
    }
  }
  // Without IMMED, WRITE FILEMARKS returns only once buffered data is on the
  // medium (SSC-4 6.? ); that is our fdatasync point.
  if (!immed)
    if (Status s = tape_->sync(); !s) return fail(sense::write_error());
  record_position_locked();
  if (in_early_warning(tape_->data_bytes())) return fail(sense::early_warning().with_info(0));
  return good();
}

CdbResult SscDrive::space(const CdbCommand& cmd) {
  if (!ready()) return fail(sense::no_medium());
  const uint8_t code = cmd.cdb[1] & 0x07;
  const int32_t count = be::get24_signed(cmd.cdb, 2);
  const size_t end = tape_->object_count();
  CdbResult r = good();
  auto stop = [&](SenseSpec s, int32_t done) {
    // INFORMATION = requested - actually spaced, carrying the request's sign.
    r = fail(s.with_info(count - done));
  };
  if (code == 3) {
    pos_ = end;
  } else if (code == 0 || code == 1) {
    const bool marks = code == 1;
    int32_t done = 0;
    if (count > 0) {
      while (done < count) {
        if (pos_ == end) { stop(sense::end_of_data(), done); break; }
        if (marks) {
          while (pos_ < end && !tape_->is_filemark(pos_)) ++pos_;
          if (pos_ == end) { stop(sense::end_of_data(), done); break; }
          ++pos_;
          ++done;
        } else if (tape_->is_filemark(pos_)) {
          ++pos_;  // forward: positioned on the EOM side of the mark
          stop(sense::filemark_detected(), done);
          break;
        } else {
          ++pos_;
          ++done;
        }
      }
    } else if (count < 0) {
      while (done > count) {
        if (pos_ == 0) { stop(sense::beginning_of_medium(), done); break; }
        if (marks) {
          while (pos_ > 0 && !tape_->is_filemark(pos_ - 1)) --pos_;
          if (pos_ == 0) { stop(sense::beginning_of_medium(), done); break; }
          --pos_;  // on the BOT side of the mark
          --done;
        } else if (tape_->is_filemark(pos_ - 1)) {
          --pos_;  // reverse: positioned on the BOT side of the mark
          stop(sense::filemark_detected(), done);
          break;
        } else {
          --pos_;
          --done;
        }
      }
    }
  } else {
    return fail(sense::invalid_field_in_cdb());
  }
  record_position_locked();
  return r;
}

CdbResult SscDrive::inquiry(const CdbCommand& cmd) { return answer_inquiry(cmd, id_); }

CdbResult SscDrive::mode_select6(const CdbCommand& cmd) {
  const uint8_t len = cmd.cdb[4];
  if (len == 0) return good();  // SPC-4: a zero-length parameter list is not an error
  if (len < 4 || cmd.data_out.size() < len) return fail(sense::parameter_list_length_error());
  auto p = cmd.data_out.first(len);
  const uint8_t bd_len = p[3];
  if (bd_len != 0 && bd_len != 8) return fail(sense::invalid_field_in_parameters());
  if (bd_len == 8) {
    if (len < 12) return fail(sense::parameter_list_length_error());
    const uint32_t bs = be::get24(p, 9);
    if (bs > TapeImage::kMaxRecord) return fail(sense::invalid_field_in_parameters());
    if (p[4] != 0) density_ = p[4];
    block_size_ = bs;
  }
  return good();
}

CdbResult SscDrive::mode_sense6(const CdbCommand& cmd) {
  const bool dbd = cmd.cdb[1] & 0x08;
  const uint8_t page = cmd.cdb[2] & 0x3f;
  const uint8_t alloc = cmd.cdb[4];
  std::vector<uint8_t> d(4, 0);
  d[2] = uint8_t((ready() && write_protected_ ? 0x80 : 0) | 0x10);  // WP, buffered mode 1
  if (!dbd) {
    d[3] = 8;
    const std::array<uint8_t, 8> bd{density_, 0, 0, 0, 0, uint8_t(block_size_ >> 16), uint8_t(block_size_ >> 8),
                                    uint8_t(block_size_)};
    d.insert(d.end(), bd.begin(), bd.end());
  }
  const std::array<uint8_t, 16> compression{0x0f, 0x0e, 0x80, 0x80, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
  const std::array<uint8_t, 16> device_config{0x10, 0x0e, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0};
  switch (page) {
    case 0x00: break;  // header and block descriptor only
    case 0x0f: d.insert(d.end(), compression.begin(), compression.end()); break;
    case 0x10: d.insert(d.end(), device_config.begin(), device_config.end()); break;
    case 0x3f:
      d.insert(d.end(), compression.begin(), compression.end());
      d.insert(d.end(), device_config.begin(), device_config.end());
      break;
    default: return fail(sense::invalid_field_in_cdb());
  }
  d[0] = uint8_t(d.size() - 1);
  CdbCommand limited = cmd;
  limited.data_in = cmd.data_in.first(std::min<size_t>(alloc, cmd.data_in.size()));
  return reply(limited, d);
}

CdbResult SscDrive::load_unload(const CdbCommand& cmd) {
  const bool load = cmd.cdb[4] & 0x01;
  if (!tape_) return fail(sense::no_medium());
  if (load) {
    loaded_ = true;
    pos_ = 0;
  } else {
    if (prevent_) return fail(sense::removal_prevented());
    if (Status s = tape_->sync(); !s.ok()) log::error("emulated drive {}: {}", index_, s.to_string());
    loaded_ = false;  // rewound and ejected to the throat: NOT READY until loaded or moved
    pos_ = 0;
  }
  record_position_locked();
  return good();
}

CdbResult SscDrive::prevent_allow(const CdbCommand& cmd) {
  prevent_ = (cmd.cdb[4] & 0x03) != 0;
  return good();
}

CdbResult SscDrive::locate10(const CdbCommand& cmd) {
  if (!ready()) return fail(sense::no_medium());
  if (cmd.cdb.size() < 10) return fail(sense::invalid_field_in_cdb());
  const uint32_t addr = be::get32(cmd.cdb, 3);
  if (addr > tape_->object_count()) {
    pos_ = tape_->object_count();
    record_position_locked();
    return fail(sense::end_of_data());
  }
  pos_ = addr;
  record_position_locked();
  return good();
}

CdbResult SscDrive::read_position(const CdbCommand& cmd) {
  if (!ready()) return fail(sense::no_medium());
  const uint8_t sa = cmd.cdb[1] & 0x1f;
  const uint8_t flags = uint8_t((pos_ == 0 ? 0x80 : 0) | (in_early_warning(tape_->data_offset(pos_)) ? 0x40 : 0));
  if (sa == 0x00 || sa == 0x01) {  // short form (block id / vendor id: same here)
    std::array<uint8_t, 20> d{};
    d[0] = flags;
    be::put32(d, 4, uint32_t(pos_));
    be::put32(d, 8, uint32_t(pos_));
    return reply(cmd, d);
  }
  if (sa == 0x06) {  // long form: logical object number and logical file identifier
    std::array<uint8_t, 32> d{};
    d[0] = flags;
    be::put64(d, 8, pos_);
    be::put64(d, 16, tape_->filemarks_before(pos_));
    return reply(cmd, d);
  }
  return fail(sense::invalid_field_in_cdb());
}

void SscDrive::raise_tape_alert(unsigned flag) {
  if (flag < 1 || flag > 64) return;
  std::lock_guard lock(mu_);
  tape_alerts_ |= uint64_t(1) << (flag - 1);
}

CdbResult SscDrive::log_sense(const CdbCommand& cmd) {
  if (cmd.cdb.size() < 10) return fail(sense::invalid_field_in_cdb());
  const uint8_t page = cmd.cdb[2] & 0x3f;
  const uint16_t alloc = be::get16(cmd.cdb, 7);
  std::vector<uint8_t> d(4, 0);
  d[0] = page;
  switch (page) {
    case 0x00:
      d.insert(d.end(), {0x00, 0x2e, 0x31});
      break;
    case 0x2e:  // TapeAlert: 64 one-byte flags; reading clears them
      for (uint16_t flag = 1; flag <= 64; ++flag)
        d.insert(d.end(), {uint8_t(flag >> 8), uint8_t(flag), 0x03, 1, uint8_t((tape_alerts_ >> (flag - 1)) & 1)});
      tape_alerts_ = 0;
      break;
    case 0x31: {  // Tape capacity (LTO): remaining / maximum per partition, MiB
      const uint64_t used = ready() ? tape_->data_bytes() : 0;
      const uint32_t remaining = ready() ? uint32_t((capacity_ - std::min(used, capacity_)) >> 20) : 0;
      const uint32_t maximum = ready() ? uint32_t(capacity_ >> 20) : 0;
      for (auto [code, value] : {std::pair<uint16_t, uint32_t>{1, remaining}, {2, 0}, {3, maximum}, {4, 0}}) {
        std::array<uint8_t, 8> p{uint8_t(code >> 8), uint8_t(code), 0x03, 4};
        be::put32(p, 4, value);
        d.insert(d.end(), p.begin(), p.end());
      }
      break;
    }
    default: return fail(sense::invalid_field_in_cdb());
  }
  be::put16(d, 2, uint32_t(d.size() - 4));
  CdbCommand limited = cmd;
  limited.data_in = cmd.data_in.first(std::min<size_t>(alloc, cmd.data_in.size()));
  return reply(limited, d);
}

SscTransport::~SscTransport() {
  if (Status s = d_.sync(); !s.ok()) log::error("emulated drive {}: {}", index_, s.to_string());
}

}  // namespace ndmp::dev::emu

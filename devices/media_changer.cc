#include "devices/media_changer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "devices/scsi_cdb.h"

namespace ndmp::dev {
namespace {
using std::chrono::seconds;
constexpr auto kShort = seconds(60);
constexpr auto kMove = seconds(15 * 60);  // robots with big libraries take minutes
constexpr auto kInit = seconds(60 * 60);  // a full inventory scan of a large library

std::string trim(std::span<const uint8_t> b) {
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}
}  // namespace

const char* to_string(ElementType t) {
  switch (t) {
    case ElementType::all: return "all";
    case ElementType::transport: return "transport";
    case ElementType::storage: return "storage";
    case ElementType::import_export: return "import/export";
    case ElementType::data_transfer: return "data transfer";
  }
  return "unknown";
}

Status MediaChanger::test_unit_ready() {
  const std::array<uint8_t, 6> cdb{op::test_unit_ready, 0, 0, 0, 0, 0};
  Status s;
  for (int i = 0; i < 8; ++i) {  // consume queued UNIT ATTENTIONs (tgt reports one after login)
    s = Status::from_result(t_.execute(CdbCommand::none(cdb, kShort)), "TEST UNIT READY on " + t_.describe());
    if (!s.is(Category::unit_attention)) return s;
  }
  return s;
}

StatusOr<ElementAddressAssignment> MediaChanger::element_address_assignment() {
  std::array<uint8_t, 4 + 20> buf{};
  const std::array<uint8_t, 6> cdb{op::mode_sense6, 0x08 /*DBD*/, 0x1d, 0, uint8_t(buf.size()), 0};
  CdbResult r = t_.execute(CdbCommand::in(cdb, buf, kShort));
  if (Status s = Status::from_result(r, "MODE SENSE(6) page 1Dh on " + t_.describe()); !s) return s;
  const size_t at = 4 + buf[3];  // skip any block descriptors the device sent anyway
  if (at + 20 > buf.size() || (buf[at] & 0x3f) != 0x1d)
    return Status::io(fmt::format("MODE SENSE page 1Dh on {}: malformed answer", t_.describe()));
  std::span<const uint8_t> p(buf.data() + at, 20);
  ElementAddressAssignment a;
  a.transport_first = be::get16(p, 2);
  a.transport_count = be::get16(p, 4);
  a.storage_first = be::get16(p, 6);
  a.storage_count = be::get16(p, 8);
  a.import_export_first = be::get16(p, 10);
  a.import_export_count = be::get16(p, 12);
  a.data_transfer_first = be::get16(p, 14);
  a.data_transfer_count = be::get16(p, 16);
  return a;
}

StatusOr<std::vector<ElementStatus>> parse_element_status(std::span<const uint8_t> d) {
  if (d.size() < 8) return Status::io("READ ELEMENT STATUS: answer shorter than its header");
  const size_t total = std::min<size_t>(8 + be::get24(d, 5), d.size());
  std::vector<ElementStatus> out;
  size_t at = 8;
  while (at + 8 <= total) {
    const auto type = ElementType(d[at] & 0x0f);
    const bool pvoltag = d[at + 1] & 0x80;
    const bool avoltag = d[at + 1] & 0x40;
    const size_t desc = be::get16(d, at + 2);
    const size_t bytes = be::get24(d, at + 5);
    at += 8;
    if (desc < 12) return Status::io(fmt::format("READ ELEMENT STATUS: descriptor length {} below 12", desc));
    const size_t end = std::min(at + bytes, total);
    for (; at + desc <= end; at += desc) {
      auto x = d.subspan(at, desc);
      ElementStatus e;
      e.type = type;
      e.address = be::get16(x, 0);
      e.full = x[2] & 0x01;
      e.except = x[2] & 0x04;
      e.access = x[2] & 0x08;
      e.asc = x[4];
      e.ascq = x[5];
      e.source_valid = x[9] & 0x80;
      e.source = be::get16(x, 10);
      size_t off = 12;
      if (pvoltag && off + 36 <= desc) {
        e.volume_tag = trim(x.subspan(off, 32));
        off += 36;
      }
      if (avoltag && off + 36 <= desc) off += 36;
      // DVCID identification descriptor (SMC-3 6.10.6): code set, type, reserved, length, identifier.
      if (type == ElementType::data_transfer && off + 4 <= desc) {
        const size_t len = std::min<size_t>(x[off + 3], desc - off - 4);
        e.device_id = trim(x.subspan(off + 4, len));
      }
      out.push_back(std::move(e));
    }
    at = end;
  }
  return out;
}

StatusOr<std::vector<ElementStatus>> MediaChanger::read_element_status(ElementType type) {
  if (type == ElementType::all) {
    // One query per type, as mtx does: tgt's all-types answer declares a
    // transport descriptor longer than the bytes it sends, which shifts every
    // page after it (seen in the vtl-vm guest). A type the device rejects
    // (5/21-01, 5/24-00: it has none) contributes no elements.
    std::vector<ElementStatus> all;
    for (ElementType t : {ElementType::transport, ElementType::storage, ElementType::import_export,
                          ElementType::data_transfer}) {
      auto part = read_element_status(t);
      if (!part.ok()) {
        if (part.status().is(Category::illegal_request)) continue;
        return part.status();
      }
      all.insert(all.end(), part->begin(), part->end());
    }
    return all;
  }
  std::vector<uint8_t> buf(64 * 1024);
  // DVCID only where it means something (drives); older changers reject it.
  bool dvcid = type == ElementType::data_transfer;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::array<uint8_t, 12> cdb{op::read_element_status, uint8_t(0x10 | uint8_t(type)), 0, 0, 0xff, 0xff,
                                uint8_t(dvcid ? 0x01 : 0), 0, 0, 0, 0, 0};
    be::put24(cdb, 7, uint32_t(buf.size()));
    std::fill(buf.begin(), buf.end(), 0);
    CdbResult r = t_.execute(CdbCommand::in(cdb, buf, kShort));
    Status s = Status::from_result(r, fmt::format("READ ELEMENT STATUS ({}) on {}", to_string(type), t_.describe()));
    if (s.is(Category::illegal_request) && dvcid && s.sense() && s.sense()->asc == 0x24) {
      dvcid = false;  // a changer without DVCID: ask again without it
      continue;
    }
    if (!s) return s;
    const size_t need = 8 + be::get24(buf, 5);
    if (need > buf.size() && buf.size() < 0xffffff) {
      buf.resize(std::min<size_t>(need, 0xffffff));  // report larger than our allocation: once more, bigger
      continue;
    }
    return parse_element_status(buf);
  }
  return Status::io(fmt::format("READ ELEMENT STATUS on {}: no complete answer", t_.describe()));
}

Status MediaChanger::move_medium(uint16_t from, uint16_t to, uint16_t transport_element) {
  std::array<uint8_t, 12> cdb{op::move_medium, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  be::put16(cdb, 2, transport_element);
  be::put16(cdb, 4, from);
  be::put16(cdb, 6, to);
  return Status::from_result(t_.execute(CdbCommand::none(cdb, kMove)),
                             fmt::format("MOVE MEDIUM {} -> {} on {}", from, to, t_.describe()));
}

Status MediaChanger::initialize_element_status() {
  const std::array<uint8_t, 6> cdb{op::initialize_element_status, 0, 0, 0, 0, 0};
  return Status::from_result(t_.execute(CdbCommand::none(cdb, kInit)),
                             "INITIALIZE ELEMENT STATUS on " + t_.describe());
}

Status MediaChanger::prevent_removal(bool prevent) {
  const std::array<uint8_t, 6> cdb{op::prevent_allow, 0, 0, 0, uint8_t(prevent ? 1 : 0), 0};
  return Status::from_result(t_.execute(CdbCommand::none(cdb, kShort)),
                             "PREVENT ALLOW MEDIUM REMOVAL on " + t_.describe());
}

}  // namespace ndmp::dev

#include "devices/emulated/smc_target.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "devices/scsi_cdb.h"

namespace ndmp::dev::emu {

const std::array<SmcChanger::Entry, 10>& SmcChanger::table() {
  static const std::array<Entry, 10> t{{
      {op::test_unit_ready, "TEST UNIT READY", &SmcChanger::test_unit_ready},
      {op::request_sense, "REQUEST SENSE", &SmcChanger::request_sense},
      {op::initialize_element_status, "INITIALIZE ELEMENT STATUS", &SmcChanger::initialize_element_status},
      {op::inquiry, "INQUIRY", &SmcChanger::inquiry},
      {op::mode_sense6, "MODE SENSE(6)", &SmcChanger::mode_sense},
      {op::prevent_allow, "PREVENT ALLOW MEDIUM REMOVAL", &SmcChanger::prevent_allow},
      {op::initialize_element_status_range, "INITIALIZE ELEMENT STATUS WITH RANGE",
       &SmcChanger::initialize_element_status},
      {op::mode_sense10, "MODE SENSE(10)", &SmcChanger::mode_sense},
      {op::move_medium, "MOVE MEDIUM", &SmcChanger::move_medium},
      {op::read_element_status, "READ ELEMENT STATUS", &SmcChanger::read_element_status},
  }};
  return t;
}

CdbResult SmcChanger::execute(const CdbCommand& cmd) {
  if (cmd.cdb.size() < 6) return check_condition(sense::invalid_field_in_cdb());
  const Entry* e = find_op(table(), cmd.cdb[0]);
  if (!e) return check_condition(sense::invalid_opcode());
  return (this->*(e->handler))(cmd);
}

CdbResult SmcChanger::test_unit_ready(const CdbCommand&) { return good(); }

CdbResult SmcChanger::request_sense(const CdbCommand& cmd) {
  auto b = fixed_sense({});
  CdbCommand limited = cmd;
  limited.data_in = cmd.data_in.first(std::min<size_t>(cmd.cdb[4], cmd.data_in.size()));
  return reply(limited, b);
}

CdbResult SmcChanger::inquiry(const CdbCommand& cmd) { return answer_inquiry(cmd, id_); }

CdbResult SmcChanger::mode_sense(const CdbCommand& cmd) {
  const bool ten = cmd.cdb[0] == op::mode_sense10;
  if (ten && cmd.cdb.size() < 10) return check_condition(sense::invalid_field_in_cdb());
  const uint8_t page = cmd.cdb[2] & 0x3f;
  if (page != 0x1d && page != 0x3f) return check_condition(sense::invalid_field_in_cdb());
  uint16_t first[5] = {}, count[5] = {};
  for (const auto& e : model_.snapshot()) {
    if (count[e.type]++ == 0) first[e.type] = e.address;
  }
  std::array<uint8_t, 20> p{};
  p[0] = 0x1d;
  p[1] = 0x12;
  for (uint8_t t = element_type::transport; t <= element_type::data_transfer; ++t) {
    be::put16(p, 2 + 4 * (t - 1), first[t]);
    be::put16(p, 4 + 4 * (t - 1), count[t]);
  }
  std::vector<uint8_t> d(ten ? 8 : 4, 0);
  d.insert(d.end(), p.begin(), p.end());
  if (ten) be::put16(d, 0, uint32_t(d.size() - 2));
  else d[0] = uint8_t(d.size() - 1);
  const size_t alloc = ten ? be::get16(cmd.cdb, 7) : cmd.cdb[4];
  CdbCommand limited = cmd;
  limited.data_in = cmd.data_in.first(std::min(alloc, cmd.data_in.size()));
  return reply(limited, d);
}

CdbResult SmcChanger::read_element_status(const CdbCommand& cmd) {
  if (cmd.cdb.size() < 12) return check_condition(sense::invalid_field_in_cdb());
  const bool voltag = cmd.cdb[1] & 0x10;
  const uint8_t type = cmd.cdb[1] & 0x0f;
  const uint16_t start = be::get16(cmd.cdb, 2);
  const uint16_t max = be::get16(cmd.cdb, 4);
  const bool dvcid = cmd.cdb[6] & 0x01;
  const uint32_t alloc = be::get24(cmd.cdb, 7);
  if (type > element_type::data_transfer) return check_condition(sense::invalid_field_in_cdb());

  std::vector<ElementState> chosen;
  for (auto& e : model_.snapshot())
    if ((type == 0 || e.type == type) && e.address >= start && chosen.size() < max) chosen.push_back(std::move(e));
  if (chosen.empty() && type != 0) {
    // No element of that type at or after `start`: SMC-3 asks for 5/21-01.
    return check_condition(sense::invalid_element_address());
  }
  // DVCID identifier length: the longest drive identifier, padded to 4 bytes,
  // so every descriptor of the page has the one length SMC-3 requires.
  size_t id_len = 0;
  for (const auto& e : chosen)
    if (e.type == element_type::data_transfer) id_len = std::max(id_len, e.device_id.size());
  const size_t kIdLen = (id_len + 3) / 4 * 4;
  std::vector<uint8_t> d(8, 0);
  size_t i = 0;
  while (i < chosen.size()) {
    // One page per run of same-type elements.
    const uint8_t t = chosen[i].type;
    size_t j = i;
    while (j < chosen.size() && chosen[j].type == t) ++j;
    const bool with_id = dvcid && t == element_type::data_transfer;
    const size_t desc = 12 + (voltag ? 36 : 0) + (with_id ? 4 + kIdLen : 0);
    std::array<uint8_t, 8> ph{};
    ph[0] = t;
    ph[1] = voltag ? 0x80 : 0;
    be::put16(ph, 2, uint32_t(desc));
    be::put24(ph, 5, uint32_t(desc * (j - i)));
    d.insert(d.end(), ph.begin(), ph.end());
    for (; i < j; ++i) {
      const auto& e = chosen[i];
      std::vector<uint8_t> x(desc, 0);
      be::put16(x, 0, e.address);
      x[2] = uint8_t((e.barcode.empty() ? 0 : 0x01) | 0x08);  // FULL, ACCESS
      if (t == element_type::import_export) x[2] |= 0x02 | 0x10 | 0x20;  // IMPEXP, EXENAB, INENAB
      x[9] = e.source_valid ? 0x80 : 0;
      be::put16(x, 10, e.source);
      size_t at = 12;
      if (voltag) {
        for (size_t k = 0; k < 32; ++k) x[at + k] = k < e.barcode.size() ? uint8_t(e.barcode[k]) : ' ';
        if (e.barcode.empty()) std::fill_n(x.begin() + ptrdiff_t(at), 32, 0);
        at += 36;
      }
      if (with_id) {
        x[at] = 2;      // code set: ASCII
        x[at + 1] = 1;  // identifier type: T10 vendor identification
        x[at + 3] = uint8_t(kIdLen);
        for (size_t k = 0; k < kIdLen; ++k) x[at + 4 + k] = k < e.device_id.size() ? uint8_t(e.device_id[k]) : ' ';
      }
      d.insert(d.end(), x.begin(), x.end());
    }
  }
  be::put16(d, 0, chosen.empty() ? 0 : chosen.front().address);
  be::put16(d, 2, uint32_t(chosen.size()));
  be::put24(d, 5, uint32_t(d.size() - 8));
  CdbCommand limited = cmd;
  limited.data_in = cmd.data_in.first(std::min<size_t>(alloc, cmd.data_in.size()));
  return reply(limited, d);
}

CdbResult SmcChanger::move_medium(const CdbCommand& cmd) {
  if (cmd.cdb.size() < 12) return check_condition(sense::invalid_field_in_cdb());
  if (cmd.cdb[10] & 0x01) return check_condition(sense::invalid_field_in_cdb());  // INVERT: no two-sided media
  const uint16_t from = be::get16(cmd.cdb, 4);
  const uint16_t to = be::get16(cmd.cdb, 6);
  if (auto err = model_.move(from, to)) return check_condition(*err);
  return good();
}

CdbResult SmcChanger::initialize_element_status(const CdbCommand&) {
  // The inventory is always exact here; nothing to rescan.
  return good();
}

CdbResult SmcChanger::prevent_allow(const CdbCommand& cmd) {
  model_.set_prevent((cmd.cdb[4] & 0x03) != 0);
  return good();
}

}  // namespace ndmp::dev::emu

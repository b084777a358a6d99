#include "devices/emulated/scsi_reply.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "devices/scsi_cdb.h"

namespace ndmp::dev::emu {

std::array<uint8_t, 18> fixed_sense(const SenseSpec& s) {
  std::array<uint8_t, 18> b{};
  b[0] = 0x70 | (s.info_valid ? 0x80 : 0);
  b[2] = uint8_t((s.filemark ? 0x80 : 0) | (s.eom ? 0x40 : 0) | (s.ili ? 0x20 : 0) | (s.key & 0x0f));
  be::put32(b, 3, uint32_t(s.info));
  b[7] = 10;  // additional sense length
  b[12] = s.asc;
  b[13] = s.ascq;
  return b;
}

CdbResult check_condition(const SenseSpec& s, int32_t resid) {
  CdbResult r;
  r.scsi_status = scsi_status::check_condition;
  r.set_sense(fixed_sense(s));
  r.resid = resid;
  return r;
}

CdbResult good(int32_t resid) {
  CdbResult r;
  r.resid = resid;
  return r;
}

CdbResult reply(const CdbCommand& cmd, std::span<const uint8_t> answer) {
  const size_t n = std::min(answer.size(), cmd.data_in.size());
  std::copy_n(answer.begin(), n, cmd.data_in.begin());
  return good(int32_t(cmd.data_in.size() - n));
}

namespace {
void put_padded(std::span<uint8_t> b, size_t at, size_t width, const std::string& s) {
  for (size_t i = 0; i < width; ++i) b[at + i] = i < s.size() ? uint8_t(s[i]) : ' ';
}
}  // namespace

CdbResult answer_inquiry(const CdbCommand& cmd, const Identity& id) {
  const auto cdb = cmd.cdb;
  const bool evpd = cdb[1] & 0x01;
  const uint16_t alloc = be::get16(cdb, 3);
  CdbCommand limited = cmd;
  limited.data_in = cmd.data_in.first(std::min<size_t>(alloc, cmd.data_in.size()));
  if (!evpd) {
    if (cdb[2] != 0) return check_condition(sense::invalid_field_in_cdb());
    std::array<uint8_t, 36> d{};
    d[0] = id.peripheral_type;
    d[1] = 0x80;  // RMB: removable medium
    d[2] = 0x06;  // SPC-4
    d[3] = 0x02;  // response data format 2
    d[4] = 36 - 5;
    put_padded(d, 8, 8, id.vendor);
    put_padded(d, 16, 16, id.product);
    put_padded(d, 32, 4, id.revision);
    return reply(limited, d);
  }
  switch (cdb[2]) {
    case 0x00: {
      const std::array<uint8_t, 6> d{id.peripheral_type, 0x00, 0x00, 2, 0x00, 0x80};
      return reply(limited, d);
    }
    case 0x80: {
      std::vector<uint8_t> d(4 + id.serial.size());
      d[0] = id.peripheral_type;
      d[1] = 0x80;
      be::put16(d, 2, uint32_t(id.serial.size()));
      std::memcpy(d.data() + 4, id.serial.data(), id.serial.size());
      return reply(limited, d);
    }
    default: return check_condition(sense::invalid_field_in_cdb());
  }
}

}  // namespace ndmp::dev::emu

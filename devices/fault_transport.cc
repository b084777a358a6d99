#include "devices/fault_transport.h"

#include <algorithm>
#include <optional>

namespace ndmp::dev {

void FaultTransport::add(const Fault& f) {
  std::lock_guard lock(mu_);
  faults_.push_back({f, 0});
}

size_t FaultTransport::pending() const {
  std::lock_guard lock(mu_);
  return faults_.size();
}

CdbResult FaultTransport::execute(const CdbCommand& cmd) {
  std::optional<Fault> fire;
  {
    std::lock_guard lock(mu_);
    const uint8_t opcode = cmd.cdb.empty() ? 0xff : cmd.cdb[0];
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      if (it->fault.opcode != opcode) continue;
      if (++it->seen == it->fault.nth) {
        fire = it->fault;
        faults_.erase(it);
        break;
      }
    }
  }
  if (!fire) return inner_.execute(cmd);
  CdbResult r;
  if (fire->pass_to_inner) r = inner_.execute(cmd);
  // Fixed-format sense (SPC-4 4.5.3), the form tape drives return.
  std::array<uint8_t, 18> s{};
  s[0] = 0x70 | (fire->info_valid ? 0x80 : 0);
  s[2] = uint8_t((fire->filemark ? 0x80 : 0) | (fire->eom_bit ? 0x40 : 0) | (fire->ili ? 0x20 : 0) | (fire->key & 0x0f));
  const uint32_t info = static_cast<uint32_t>(fire->info);
  s[3] = uint8_t(info >> 24);
  s[4] = uint8_t(info >> 16);
  s[5] = uint8_t(info >> 8);
  s[6] = uint8_t(info);
  s[7] = 10;
  s[12] = fire->asc;
  s[13] = fire->ascq;
  r.transport = TransportState::ok;
  r.text.clear();
  r.scsi_status = scsi_status::check_condition;
  r.set_sense(s);
  if (!fire->pass_to_inner) r.resid = static_cast<int32_t>(cmd.data_length());
  return r;
}

}  // namespace ndmp::dev

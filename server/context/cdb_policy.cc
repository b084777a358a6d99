#include "server/context/cdb_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "common/log.h"
#include "server/context/context.h"
#include "server/session/session.h"

namespace ndmp::server {
namespace {

struct Op {
  uint8_t code;
  const char* name;
};

// SPC commands a DMA uses on either kind of device: status, identity,
// sense and logs, and its own reservations (RESERVE/RELEASE and reading,
// not changing, persistent reservations).
constexpr Op kCommon[] = {
    {0x00, "TEST UNIT READY"},
    {0x03, "REQUEST SENSE"},
    {0x12, "INQUIRY"},
    {0x16, "RESERVE(6)"},
    {0x17, "RELEASE(6)"},
    {0x1a, "MODE SENSE(6)"},
    {0x1e, "PREVENT/ALLOW MEDIUM REMOVAL"},
    {0x4d, "LOG SENSE"},
    {0x56, "RESERVE(10)"},
    {0x57, "RELEASE(10)"},
    {0x5a, "MODE SENSE(10)"},
    {0x5e, "PERSISTENT RESERVE IN"},
    {0xa0, "REPORT LUNS"},
    {0xa3, "MAINTENANCE IN"},  // REPORT SUPPORTED OPERATION CODES and other reports
};

// SMC: inventory and moving media. No MODE SELECT: a changer's parameters
// are the operator's, not a DMA's.
constexpr Op kChanger[] = {
    {0x07, "INITIALIZE ELEMENT STATUS"},
    {0x1b, "OPEN/CLOSE IMPORT/EXPORT ELEMENT"},
    {0x2b, "POSITION TO ELEMENT"},
    {0x37, "INITIALIZE ELEMENT STATUS WITH RANGE"},
    {0xa5, "MOVE MEDIUM"},
    {0xa6, "EXCHANGE MEDIUM"},
    {0xb8, "READ ELEMENT STATUS"},
};

// SSC: positioning, reading and writing, block size and compression (MODE
// SELECT), density, attributes (read only) and erase. A DMA may already
// overwrite a whole tape with TAPE_WRITE, so ERASE grants nothing new.
constexpr Op kTape[] = {
    {0x01, "REWIND"},
    {0x05, "READ BLOCK LIMITS"},
    {0x08, "READ(6)"},
    {0x0a, "WRITE(6)"},
    {0x10, "WRITE FILEMARKS(6)"},
    {0x11, "SPACE(6)"},
    {0x13, "VERIFY(6)"},
    {0x15, "MODE SELECT(6)"},
    {0x19, "ERASE(6)"},
    {0x1b, "LOAD/UNLOAD"},
    {0x2b, "LOCATE(10)"},
    {0x34, "READ POSITION"},
    {0x44, "REPORT DENSITY SUPPORT"},
    {0x55, "MODE SELECT(10)"},
    {0x80, "WRITE FILEMARKS(16)"},
    {0x88, "READ(16)"},
    {0x8a, "WRITE(16)"},
    {0x8c, "READ ATTRIBUTE"},
    {0x91, "SPACE(16)"},
    {0x92, "LOCATE(16)"},
    {0x93, "ERASE(16)"},
};

// Names of refused commands an operator will want to recognise in the log.
constexpr Op kRefusedNames[] = {
    {0x04, "FORMAT MEDIUM"},
    {0x0b, "SET CAPACITY"},
    {0x1c, "RECEIVE DIAGNOSTIC RESULTS"},
    {0x1d, "SEND DIAGNOSTIC"},
    {0x3b, "WRITE BUFFER"},
    {0x3c, "READ BUFFER"},
    {0x4c, "LOG SELECT"},
    {0x5f, "PERSISTENT RESERVE OUT"},
    {0x8d, "WRITE ATTRIBUTE"},
    {0xa4, "MAINTENANCE OUT"},
    {0xb5, "SECURITY PROTOCOL OUT"},
    {0xb6, "SEND VOLUME TAG"},
};

template <size_t N>
std::optional<const char*> find(const Op (&ops)[N], uint8_t code) {
  for (const auto& o : ops)
    if (o.code == code) return o.name;
  return std::nullopt;
}

std::optional<const char*> allowed(dev::DeviceKind kind, uint8_t code) {
  if (auto n = find(kCommon, code)) return n;
  return kind == dev::DeviceKind::changer ? find(kChanger, code) : find(kTape, code);
}

// CDB length of an opcode's group (SPC-4 4.2.5.1); 0 = variable or vendor.
size_t group_length(uint8_t code) {
  switch (code >> 5) {
    case 0: return 6;
    case 1:
    case 2: return 10;
    case 4: return 16;
    case 5: return 12;
    default: return 0;
  }
}

}  // namespace

std::chrono::milliseconds cdb_timeout_cap(dev::DeviceKind kind, ScsiPassthrough mode, uint8_t opcode) {
  if (mode == ScsiPassthrough::all) return kCdbLongTimeoutCap;
  if (kind == dev::DeviceKind::tape && (opcode == 0x19 || opcode == 0x93)) return kCdbLongTimeoutCap;
  return kCdbTimeoutCap;
}

std::string cdb_name(dev::DeviceKind kind, uint8_t code) {
  if (auto n = allowed(kind, code)) return fmt::format("{} (0x{:02x})", *n, code);
  if (auto n = find(kRefusedNames, code)) return fmt::format("{} (0x{:02x})", *n, code);
  if (code >= 0xc0) return fmt::format("vendor-specific (0x{:02x})", code);
  return fmt::format("opcode 0x{:02x}", code);
}

std::string cdb_refusal(dev::DeviceKind kind, ScsiPassthrough mode, std::span<const uint8_t> cdb,
                        uint32_t timeout_ms) {
  if (cdb.empty()) return "an empty CDB";
  const uint8_t code = cdb[0];
  if (mode == ScsiPassthrough::safe) {
    if (!allowed(kind, code))
      return fmt::format("{} is not a command a DMA needs on a {} (scsi-passthrough = safe)", cdb_name(kind, code),
                         dev::to_string(kind));
    if (cdb.size() < group_length(code))
      return fmt::format("{} needs a {}-byte CDB, got {}", cdb_name(kind, code), group_length(code), cdb.size());
  }
  const auto cap = cdb_timeout_cap(kind, mode, code);
  if (std::chrono::milliseconds(timeout_ms) > cap)
    return fmt::format("{} with a timeout of {} ms, above the cap of {} ms", cdb_name(kind, code), timeout_ms,
                       cap.count());
  return {};
}

msg::Error audit_cdb(Session& s, const std::string& device, dev::DeviceKind kind, const msg::ExecuteCdbRequest& req,
                     const char* request, std::chrono::milliseconds& timeout) {
  const ScsiPassthrough mode = s.ctx().settings()->config.passthrough_for(device);
  std::string why = cdb_refusal(kind, mode, req.cdb, req.timeout_ms);
  if (!why.empty()) {
    log::warn("{}: {} on {} refused: {}", s.tag(), request, device, why);
    return msg::Error::illegal_args;
  }
  const auto cap = cdb_timeout_cap(kind, mode, req.cdb[0]);
  timeout = req.timeout_ms ? std::chrono::milliseconds(req.timeout_ms) : cap;
  return msg::Error::no_err;
}

}  // namespace ndmp::server

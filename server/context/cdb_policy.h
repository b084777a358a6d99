// Which SCSI commands a DMA may send through SCSI_EXECUTE_CDB and
// TAPE_EXECUTE_CDB. A DMA needs a small set per device type to inventory a
// changer, move media and position, read and write a tape; the rest of the
// SCSI command space (firmware download, formatting, diagnostics,
// reservations of other initiators, vendor commands) can brick or take over
// a device, so under `scsi-passthrough = safe` (the default) only the sets
// below pass. man/ndmpd.conf.5 lists them; keep the two in step.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "devices/inventory.h"
#include "server/context/config.h"
#include "xdr/model.h"

namespace ndmp::server {

// Longest a DMA may let one command run. An hour covers the slowest
// ordinary command (a full INITIALIZE ELEMENT STATUS of a large library, a
// LOCATE end to end); erasing a whole tape gets a day, since a long erase
// of an LTO-9 cartridge takes about 13 hours. A timeout of 0 ("no
// timeout") means the cap.
inline constexpr std::chrono::milliseconds kCdbTimeoutCap{std::chrono::hours(1)};
inline constexpr std::chrono::milliseconds kCdbLongTimeoutCap{std::chrono::hours(24)};

// The cap for this command: the long cap for ERASE on a tape, and for
// everything on a device set to `scsi-passthrough = all`.
std::chrono::milliseconds cdb_timeout_cap(dev::DeviceKind kind, ScsiPassthrough mode, uint8_t opcode);

// "MOVE MEDIUM (0xa5)", "vendor-specific (0xc3)", "opcode 0x3b": for logs.
std::string cdb_name(dev::DeviceKind kind, uint8_t opcode);

// Empty when the command may go to a device of `kind`, else why not (for
// the log line). Judges the opcode against the safe set (unless `all`), the
// CDB length against the opcode's group, and the timeout against the cap.
std::string cdb_refusal(dev::DeviceKind kind, ScsiPassthrough mode, std::span<const uint8_t> cdb,
                        uint32_t timeout_ms);


// The handlers' check, before anything reaches the device: logs a refusal
// naming the opcode and returns NDMP_ILLEGAL_ARGS_ERR. `timeout` is set to
// the timeout to use (the request's, or the cap for 0).
msg::Error audit_cdb(const Config& config, const std::string& tag, const std::string& device, dev::DeviceKind kind, const msg::ExecuteCdbRequest& req,
                     const char* request, std::chrono::milliseconds& timeout);

}  // namespace ndmp::server

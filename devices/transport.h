// One CDB transport under every driver, shaped like sg3_utils' sg_pt.h:
// a command is a CDB, a direction, one data buffer and a timeout; the answer
// is how the transport fared, the SCSI status byte, the sense bytes and the
// residual count.
//
//   TapeDrive / MediaChanger  (SSC / SMC drivers, devices/*.h)
//              |  Transport::execute(CdbCommand) -> CdbResult
//     +--------+---------------+-------------------------+
//     SgTransport (SG_IO,      emulated targets          FaultTransport
//     libsgutils2 sg_pt)       (emulated/ssc_target.h,   (decorator: injects
//                               emulated/smc_target.h)    CHECK CONDITIONs)
//
// Which implementation serves a device is chosen at run time (inventory.h),
// never by #ifdef. Only sg_transport.cc includes <scsi/sg_pt.h>.
//
// Threads: a Transport object is used by one thread at a time (the session
// that opened the device). Implementations may be shared behind the scenes
// (the emulated library serialises per drive); callers need not care.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace ndmp::dev {

enum class Direction { none, in, out };

// SAM-5 status byte values the drivers act upon.
namespace scsi_status {
inline constexpr uint8_t good = 0x00;
inline constexpr uint8_t check_condition = 0x02;
inline constexpr uint8_t busy = 0x08;
inline constexpr uint8_t reservation_conflict = 0x18;
inline constexpr uint8_t task_set_full = 0x28;
}  // namespace scsi_status

// One command. The spans are borrowed: they must stay valid for the whole
// execute() call and are not kept afterwards. For Direction::in, `data_in`
// receives up to data_in.size() bytes; for Direction::out, `data_out` is sent.
struct CdbCommand {
  std::span<const uint8_t> cdb;
  Direction direction = Direction::none;
  std::span<uint8_t> data_in;
  std::span<const uint8_t> data_out;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};

  static CdbCommand none(std::span<const uint8_t> cdb, std::chrono::milliseconds t = std::chrono::seconds(60)) {
    return {cdb, Direction::none, {}, {}, t};
  }
  static CdbCommand in(std::span<const uint8_t> cdb, std::span<uint8_t> buf,
                       std::chrono::milliseconds t = std::chrono::seconds(60)) {
    return {cdb, Direction::in, buf, {}, t};
  }
  static CdbCommand out(std::span<const uint8_t> cdb, std::span<const uint8_t> buf,
                        std::chrono::milliseconds t = std::chrono::seconds(60)) {
    return {cdb, Direction::out, {}, buf, t};
  }
  size_t data_length() const {
    return direction == Direction::in ? data_in.size() : direction == Direction::out ? data_out.size() : 0;
  }
};

// How the command fared below SCSI. Anything but `ok` means the SCSI fields
// of CdbResult are meaningless (no status byte was received).
enum class TransportState {
  ok,           // the device answered; look at scsi_status and sense
  timeout,      // the command's timeout expired (SCSI_PT_DO_TIMEOUT / host timeout)
  no_device,    // the node is gone or was never a SCSI device
  error,        // anything else the host adapter or OS reported; see `text`
};

const char* to_string(TransportState s);

struct CdbResult {
  TransportState transport = TransportState::ok;
  std::string text;                       // transport or OS reason, for the operator
  uint8_t scsi_status = scsi_status::good;
  uint8_t sense_length = 0;               // valid bytes in `sense`
  std::array<uint8_t, 64> sense{};        // raw sense as returned (fixed or descriptor format)
  int32_t resid = 0;                      // requested minus transferred, as the kernel/target reports

  bool good() const { return transport == TransportState::ok && scsi_status == scsi_status::good; }
  bool check_condition() const {
    return transport == TransportState::ok && scsi_status == scsi_status::check_condition;
  }
  std::span<const uint8_t> sense_bytes() const { return {sense.data(), sense_length}; }
  void set_sense(std::span<const uint8_t> s);
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Runs one CDB to completion (or to its timeout). Never throws. A CHECK
  // CONDITION is a normal answer, not a failure of execute().
  virtual CdbResult execute(const CdbCommand& cmd) = 0;
  // What the transport talks to, for logs: "/dev/sg3", "emulated drive 0".
  virtual std::string describe() const = 0;
};

}  // namespace ndmp::dev

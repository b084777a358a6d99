// What each device has done since ndmpd started, for the operator's
// monitoring (ndmpd's /metrics): tape records and bytes written and read,
// device errors by kind, and the condition the device is in now.
//
// Counted at the CDB level, by a transport decorator put over every device a
// session opens (watch()), so every path to a device is seen the same way:
// TAPE_WRITE/TAPE_READ, the mover's records, and the DMA's own SCSI and tape
// pass-through. The counting costs a few atomic additions per command; no
// lock is taken on the data path.
//
//   records: one WRITE(6)/READ(6) that moved data is one record (ndmpd puts
//            drives in variable-block mode: one command, one record). A
//            write in the early-warning zone counts (the data was written).
//   errors:  every command that ended in a Category other than ok, filemark,
//            early_warning or blank_check (those are positions, not
//            failures), labelled by the category's name (devices/status.h),
//            the same value server/datapath/device_errors.cc maps to NDMP.
//   condition (one at a time):
//     closed  no session has the device open
//     open    open; for a tape drive, no cartridge seen ready yet or the
//             drive reported none (NOT READY / MEDIUM NOT PRESENT)
//     loaded  a tape drive whose last command found a cartridge ready
//     fault   a command failed in the device or below it (MEDIUM or
//             HARDWARE ERROR, timeout, transport failure, node gone), until a
//             command that reads, writes or moves the medium succeeds, the
//             drive reports no cartridge, or the device is closed (the
//             questions asked after a failure, TEST UNIT READY or
//             TapeAlert's LOG SENSE, do not end it)
//
// Threads: watch() and snapshot() from any thread (a mutex guards the
// registry only, never I/O); the decorator is used as the transport it wraps
// (one thread at a time).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "devices/inventory.h"
#include "devices/status.h"
#include "devices/transport.h"

namespace ndmp::dev {

enum class DeviceCondition { closed, open, loaded, fault };
const char* to_string(DeviceCondition c);
inline constexpr DeviceCondition kAllConditions[] = {DeviceCondition::closed, DeviceCondition::open,
                                                      DeviceCondition::loaded, DeviceCondition::fault};

// One device's figures at one moment (a copy: holds no reference).
struct DeviceFigures {
  DeviceKind kind = DeviceKind::tape;
  uint64_t records_written = 0, records_read = 0, bytes_written = 0, bytes_read = 0;
  std::map<Category, uint64_t> errors;  // kinds seen at least once
  DeviceCondition condition = DeviceCondition::closed;
};

class DeviceStats {
 public:
  DeviceStats();
  ~DeviceStats();
  DeviceStats(const DeviceStats&) = delete;
  DeviceStats& operator=(const DeviceStats&) = delete;

  // Returns a transport that passes every command to `inner` and counts it
  // under `name`. The device is "open" from now until the returned transport
  // is destroyed (it owns `inner`, so the device is released after the
  // condition says closed). The figures outlive the transport: counters only
  // grow for as long as this DeviceStats lives.
  std::unique_ptr<Transport> watch(const std::string& name, DeviceKind kind, std::unique_ptr<Transport> inner);

  // Every device watched so far, by name.
  std::map<std::string, DeviceFigures> snapshot() const;

  struct Counters;  // per device, shared with its decorator (device_stats.cc)

 private:
  mutable std::mutex mu_;  // guards the map, not the counters (atomics)
  std::map<std::string, std::shared_ptr<Counters>> devices_;
};

}  // namespace ndmp::dev

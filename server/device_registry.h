// The devices a DMA may open, and which session holds each one.
//
// Only names in this registry can ever be opened: the emulated library's
// drives and changer, SG devices the operator named, and (when enabled)
// devices discovered in sysfs. A DMA's name is looked up here, never used as
// a path. A device is held by at most one session at a time; a session's
// claims are released when it ends, however it ends.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ndmp::server {

struct DeviceDescription {
  std::string name;      // what the DMA passes to TAPE_OPEN / SCSI_OPEN
  bool is_tape = false;  // false = media changer
  std::string vendor, model, revision, serial;
  std::string origin;    // "emulated" or the /dev/sg path
};

enum class ClaimResult { ok, no_device, busy };

class DeviceRegistry {
 public:
  void add(DeviceDescription d);
  std::vector<DeviceDescription> list() const;
  const DeviceDescription* find(const std::string& name) const;

  ClaimResult claim(const std::string& name, uint64_t session_id);
  void release(const std::string& name, uint64_t session_id);
  void release_all(uint64_t session_id);

 private:
  mutable std::mutex mutex_;
  std::vector<DeviceDescription> devices_;
  std::map<std::string, uint64_t> holders_;
};

}  // namespace ndmp::server

// The list of devices a session may open, and the only way to open one.
// A DMA names a device; if the name is not in this list it is not opened,
// whatever path it looks like (NDMP TAPE_OPEN "/dev/sda" gets no_device).
//
// Names:
//   emulated library   "emu-drive0", "emu-drive1", ..., "emu-changer"
//   sysfs discovery    "tape0", "tape1", ... and "changer0", ... numbered in
//                      ascending sgN order at discovery time (the serial is
//                      listed, so an operator can pin a name to a drive by
//                      serial in the configuration later; the /dev/nstN name is
//                      never the device name, since it changes across boots).
//
// Discovery reads <sysfs>/class/scsi_generic/sgN/device/{type,vendor,model,
// rev,vpd_pg80} (type 1 = tape, 8 = changer; others are ignored) and the
// matching st node from <sysfs>/class/scsi_generic/sgN/device/scsi_tape/.
// It opens nothing. The sysfs root and /dev root are parameters for tests.
//
// Exclusivity: open() refuses a second open of a name while the first
// transport is alive (busy → the server's DEVICE_BUSY); for sg devices the
// kernel's O_EXCL enforces the same between processes.
//
// Threads: all members may be called from any thread.
#pragma once

#include <filesystem>
#include <memory>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "devices/emulated/library.h"
#include "devices/status.h"
#include "devices/transport.h"

namespace ndmp::dev {

enum class DeviceKind { tape, changer };
enum class DeviceOrigin { emulated, sg };
const char* to_string(DeviceKind k);
const char* to_string(DeviceOrigin o);

struct DeviceInfo {
  std::string name;
  DeviceKind kind = DeviceKind::tape;
  DeviceOrigin origin = DeviceOrigin::emulated;
  std::string vendor, model, revision, serial;
  std::string sg_path;    // "/dev/sg3" for sg devices
  std::string st_path;    // "/dev/nst0" for sg tapes when known (informational)
  unsigned emulated_index = 0;  // drive index for emulated drives
};

struct InventoryOptions {
  bool discover_sg = true;
  std::filesystem::path sysfs_root = "/sys";
  std::filesystem::path dev_root = "/dev";
  std::shared_ptr<emu::Library> library;  // may be null: no emulated devices
};

// Whoever holds an open device, as far as the inventory needs to know: is it
// on its way out? (The server's sessions answer "my DMA has gone".)
class DeviceHolder {
 public:
  virtual ~DeviceHolder() = default;
  // True only if the holder is certain to release its devices soon, without
  // anyone's help. Called with the inventory's open-set lock held.
  virtual bool leaving() const = 0;
};

class Inventory {
 public:
  explicit Inventory(InventoryOptions opts);
  // Re-reads sysfs (emulated devices are always listed first).
  void refresh();
  std::vector<DeviceInfo> devices() const;
  StatusOr<DeviceInfo> find(const std::string& name) const;
  // Opens a device by its listed name, exclusively. no_device for a name not
  // in the list; busy when already open; the transport's own failure otherwise.
  // A device whose holder is leaving() is waited for instead of reported busy:
  // a DMA that closes its connection and opens the device again at once must
  // not meet its own departing session. The wait has no timeout because its
  // end is certain (the holder is releasing).
  StatusOr<std::unique_ptr<Transport>> open(const std::string& name,
                                            std::shared_ptr<const DeviceHolder> holder = nullptr);

  // Discovery alone, for tests and `ndmpctl devices`.
  static std::vector<DeviceInfo> discover_sg(const std::filesystem::path& sysfs_root,
                                             const std::filesystem::path& dev_root);

 private:
  struct OpenSet {
    std::mutex mu;
    std::condition_variable released;
    std::map<std::string, std::shared_ptr<const DeviceHolder>> names;  // open name -> its holder (may be null)
  };
  InventoryOptions opts_;
  mutable std::mutex mu_;
  std::vector<DeviceInfo> devices_;
  std::shared_ptr<OpenSet> open_ = std::make_shared<OpenSet>();
};

}  // namespace ndmp::dev

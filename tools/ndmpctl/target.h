// Where ndmpctl's devices are: behind an NDMP server (--server), attached to
// this machine (--local), or an emulated library directory opened in this
// process (--library). The library and drive verbs see only this interface,
// so each verb is written once for the three.
//
//   --server   changer: SCSI_OPEN + SCSI_EXECUTE_CDB (NdmpScsiTransport)
//              drives : TAPE_* (NdmpDrive); each opened on its own connection,
//                       because a session holds one open device at a time
//   --local    changer and drives through SG_IO (devices/sg_transport.h) or
//              the local inventory's names (devices/inventory.h)
//   --library  devices/emulated/library.h, in process
//
// Drive numbers follow mtx: drive 0 is the changer's first data transfer
// element (lowest address). Which tape device is drive N comes from --drives
// when given; otherwise from the target (the server's CONFIG_GET_TAPE_INFO
// order, the inventory's tape order, emu-drive<N>).
// Threads: one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "devices/transport.h"
#include "tools/client/client.h"
#include "tools/ndmpctl/drive.h"
#include "tools/ndmpctl/outcome.h"
#include "tools/ndmpctl/server_link.h"

namespace ndmp::ctl {

struct DeviceRow {
  std::string name;
  std::string kind;  // "tape" or "changer"
  std::string model;  // vendor and product as the device or server reports them
  std::string serial;
  std::string path;   // /dev/sgN for local SG devices
};

class Target {
 public:
  virtual ~Target() = default;
  virtual std::string describe() const = 0;
  // The changer's device name, or why there is none.
  virtual Result<std::string> changer_name() = 0;
  virtual Result<std::unique_ptr<dev::Transport>> open_changer() = 0;
  // Tape device names, drive 0 first.
  virtual Result<std::vector<std::string>> drive_names() = 0;
  virtual Result<std::unique_ptr<Drive>> open_drive(const std::string& name) = 0;
  virtual Result<std::vector<DeviceRow>> devices() = 0;
  // A logged-in control connection (--server only; nullptr otherwise).
  virtual Result<std::unique_ptr<client::Client>> control() = 0;

  // "0" -> drive_names()[0]; any other text is a device name as given.
  Result<std::string> resolve_drive(const std::string& ref);
};

std::unique_ptr<Target> make_server_target(ServerOptions o, std::string changer, std::vector<std::string> drives);
std::unique_ptr<Target> make_local_target(std::string device, std::vector<std::string> drives);
std::unique_ptr<Target> make_library_target(std::string dir, std::vector<std::string> drives);

}  // namespace ndmp::ctl

// Fills the device registry from the configuration: the emulated library's
// drives and changer, SG devices the operator named, and (if enabled) tape
// drives and changers discovered in sysfs.
#pragma once

#include <memory>
#include <string>

#include "devices/status.h"
#include "devices/transport.h"

namespace ndmp::server {

struct ServerContext;

// Returns an operator-readable error, or empty on success.
std::string setup_devices(ServerContext& ctx);

class Session;
// Opens a device by inventory name for session `s`. A device still held by a
// session whose DMA has closed its connection (a DMA that reconnects the
// moment it disconnected) is waited for until released, not reported busy.
dev::StatusOr<std::unique_ptr<dev::Transport>> open_device(Session& s, const std::string& name);

}  // namespace ndmp::server

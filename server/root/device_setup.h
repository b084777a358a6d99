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

}  // namespace ndmp::server

#include "server/device_setup.h"

#include "server/context.h"

namespace ndmp::server {

std::string setup_devices(ServerContext& ctx) { return {}; }

}  // namespace ndmp::server

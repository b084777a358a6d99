// SCSI interface handlers.
#include "server/dispatch.h"

namespace ndmp::server {

std::span<const DispatchEntry> scsi_table() { return {}; }

}  // namespace ndmp::server

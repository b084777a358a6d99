// MOVER interface handlers.
#include "server/dispatch.h"

namespace ndmp::server {

std::span<const DispatchEntry> mover_table() { return {}; }

}  // namespace ndmp::server

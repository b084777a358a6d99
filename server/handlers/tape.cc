// TAPE interface handlers.
#include "server/dispatch.h"

namespace ndmp::server {

std::span<const DispatchEntry> tape_table() { return {}; }

}  // namespace ndmp::server

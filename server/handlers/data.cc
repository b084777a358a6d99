// DATA interface handlers.
#include "server/dispatch.h"

namespace ndmp::server {

std::span<const DispatchEntry> data_table() { return {}; }

}  // namespace ndmp::server

// The one table from device-layer outcomes (dev::Category) to NDMP errors.
// Context-dependent cases (end of data is EOF in v2/v3 and EOM in v4 for
// TAPE_READ; early warning succeeds once) are decided by the tape service,
// not here.
#pragma once

#include "devices/status.h"
#include "xdr/model.h"

namespace ndmp::server {

msg::Error ndmp_error_of(dev::Category c);
inline msg::Error ndmp_error_of(const dev::Status& s) { return ndmp_error_of(s.category()); }

}  // namespace ndmp::server

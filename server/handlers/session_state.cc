// Session-end cleanup of devices and jobs.
#include "server/handlers/device_state.h"
#include "server/handlers/job_state.h"

namespace ndmp::server {

void SessionDevices::close_all(Session&) {}
void SessionJobs::shutdown(Session&) {}

}  // namespace ndmp::server

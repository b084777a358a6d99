// Session-end cleanup: a DMA that vanishes must not leave a job running or a
// drive locked (SPEC4 3.4.1: losing the control connection closes the tape).
#include "common/log.h"
#include "server/datapath/device_state.h"

namespace ndmp::server {

void SessionDevices::close_all(std::string_view who) {
  if (tape) {
    TapeIo t = tape->close();
    if (t.error != msg::Error::no_err)
      log::error("{}: tape {} released without its closing file mark: {}", who, tape->name(), t.why);
    else
      log::info("{}: tape {} released", who, tape->name());
    tape.reset();
  }
  if (scsi) {
    log::info("{}: SCSI device {} released", who, scsi->name);
    scsi.reset();
  }
}

}  // namespace ndmp::server

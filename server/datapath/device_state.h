// The device a session has open: at most one tape drive or one SCSI device
// per control connection (SPEC4 2.11.4; a second open is DEVICE_OPENED_ERR).
// The tape is shared with this session's MOVER (jobs/job_state.h), which
// is why it lives behind a shared_ptr.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "devices/transport.h"
#include "server/datapath/tape_service.h"

namespace ndmp::server {

struct OpenScsi {
  std::string name;
  std::unique_ptr<dev::Transport> transport;
  int16_t controller = 0, id = 0, lun = 0;  // as set by SCSI_SET_TARGET (informational)
};

struct SessionDevices {
  std::shared_ptr<TapeService> tape;
  std::unique_ptr<OpenScsi> scsi;

  bool any_open() const { return tape || scsi; }
  // Closes whatever is open (writing the implicit file mark a tape owes).
  // Called when the session ends; `who` names the session in the log.
  void close_all(std::string_view who);
};

}  // namespace ndmp::server

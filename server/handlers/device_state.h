// The device a session has open: at most one tape drive or one SCSI device
// per control connection (SPEC4 2.11.4; a second open is DEVICE_OPENED_ERR).
#pragma once

namespace ndmp::server {

class Session;

struct SessionDevices {
  // Closes whatever is open (writing the implicit file mark a tape owes) and
  // releases the registry claim. Called when the session ends.
  void close_all(Session& s);
};

}  // namespace ndmp::server

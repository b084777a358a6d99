// ndmpctl's side of an NDMP server: log in, call with one-line errors, and
// a dev::Transport that carries CDBs through SCSI_EXECUTE_CDB.
//
// NdmpScsiTransport is what lets every changer verb be written once: the SMC
// driver (devices/media_changer.h) builds the same CDBs and parses the same
// bytes whether they travel over SG_IO, to the in-process emulated library,
// or through an NDMP server's SCSI interface (SPEC4 3.3.5: the server passes
// the CDB unaltered and returns status, data and sense).
//
// Threads: one thread at a time per connection (client::Client's rule).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "devices/transport.h"
#include "tools/client/client.h"
#include "tools/ndmpctl/outcome.h"

namespace ndmp::ctl {

enum class AuthMethod { md5, text, none };

struct ServerOptions {
  std::string host = "localhost";
  uint16_t port = 10000;
  std::string user = "ndmp";
  std::string password;
  AuthMethod auth = AuthMethod::md5;
  int version = 0;  // 0 = the server's announced version, at most 4
};

// Parses "host", "host:port", "[v6addr]:port". False on a bad port.
bool parse_server_address(const std::string& text, std::string& host, uint16_t& port);

// Connects, opens and logs in. Failure is Exit::connection with the reason
// ("authentication failed: NDMP_NOT_AUTHORIZED_ERR").
Result<std::unique_ptr<client::Client>> connect_server(const ServerOptions& o);

// Calls `code`; a lost connection is Exit::connection, a reply carrying an
// NDMP error is Exit::device ("TAPE_OPEN emu-drive0: NDMP_NO_TAPE_LOADED_ERR").
// `what` names the object for the message ("emu-drive0").
Result<client::CallResult> ndmp_call(client::Client& c, uint32_t code, const msg::Body& req,
                                     const std::string& what);
inline Result<client::CallResult> ndmp_call(client::Client& c, uint32_t code, const std::string& what) {
  msg::Empty e;
  return ndmp_call(c, code, e, what);
}

// Owns a connection on which SCSI_OPEN of `device` succeeded; SCSI_CLOSE is
// sent when it dies. A failed call or an NDMP error comes back as a
// TransportState::error result whose text names the NDMP error, so the
// driver's Status carries it to the operator.
class NdmpScsiTransport final : public dev::Transport {
 public:
  static Result<std::unique_ptr<NdmpScsiTransport>> open(std::unique_ptr<client::Client> c,
                                                         const std::string& device);
  ~NdmpScsiTransport() override;
  dev::CdbResult execute(const dev::CdbCommand& cmd) override;
  std::string describe() const override { return "NDMP SCSI " + device_; }

 private:
  NdmpScsiTransport(std::unique_ptr<client::Client> c, std::string device)
      : c_(std::move(c)), device_(std::move(device)) {}
  std::unique_ptr<client::Client> c_;
  std::string device_;
};

}  // namespace ndmp::ctl

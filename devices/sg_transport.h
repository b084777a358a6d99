// SG_IO transport over a /dev/sgN node, through libsgutils2's sg_pt API.
// The only file that includes <scsi/sg_pt.h> is sg_transport.cc.
//
// Opening: scsi_pt_open_flags(path, O_RDWR|O_NONBLOCK[|O_EXCL]). With
// exclusive = true the sg driver refuses a second opener with EBUSY, which
// open() reports as Category::busy (the server's DEVICE_BUSY), so two
// sessions (or ndmpd and an operator's mtx) never interleave CDBs on a tape.
// O_NONBLOCK keeps open() from waiting for an exclusive holder to leave.
//
// execute(): timeouts are honoured at one-second granularity (sg_pt takes
// seconds; a timeout below one second is rounded up). Residual, status and
// sense are those the kernel returned (get_scsi_pt_resid/status_response/
// sense_len). Transport and OS errors come back as TransportState values with
// sg_pt's own text.
//
// Threads: one thread at a time per object (sg_pt objects are not shared).
#pragma once

#include <memory>
#include <string>

#include "devices/status.h"
#include "devices/transport.h"

namespace ndmp::dev {

class SgTransport final : public Transport {
 public:
  static StatusOr<std::unique_ptr<SgTransport>> open(const std::string& path, bool exclusive);
  ~SgTransport() override;
  SgTransport(const SgTransport&) = delete;
  SgTransport& operator=(const SgTransport&) = delete;

  CdbResult execute(const CdbCommand& cmd) override;
  std::string describe() const override { return path_; }

 private:
  SgTransport(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace ndmp::dev

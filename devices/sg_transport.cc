#include "devices/sg_transport.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <scsi/sg_pt.h>

#include <cerrno>
#include <cstring>

namespace ndmp::dev {

StatusOr<std::unique_ptr<SgTransport>> SgTransport::open(const std::string& path, bool exclusive) {
  int flags = O_RDWR | O_NONBLOCK;
  if (exclusive) flags |= O_EXCL;
  int fd = scsi_pt_open_flags(path.c_str(), flags, 0);
  if (fd < 0) {
    int err = -fd;
    std::string why = fmt::format("cannot open {}: {}", path, std::strerror(err));
    if (err == EBUSY) return Status::busy(why);
    if (err == ENOENT || err == ENXIO || err == ENODEV) return Status::no_device(why);
    return Status::transport(why);
  }
  return std::unique_ptr<SgTransport>(new SgTransport(path, fd));
}

SgTransport::~SgTransport() { scsi_pt_close_device(fd_); }

CdbResult SgTransport::execute(const CdbCommand& cmd) {
  CdbResult r;
  struct Obj {  // sg_pt objects must be destructed on every path
    sg_pt_base* p = construct_scsi_pt_obj();
    ~Obj() { destruct_scsi_pt_obj(p); }
  } obj;
  if (!obj.p) {
    r.transport = TransportState::error;
    r.text = "out of memory constructing sg_pt object";
    return r;
  }
  set_scsi_pt_cdb(obj.p, cmd.cdb.data(), static_cast<int>(cmd.cdb.size()));
  set_scsi_pt_sense(obj.p, r.sense.data(), static_cast<int>(r.sense.size()));
  if (cmd.direction == Direction::in && !cmd.data_in.empty())
    set_scsi_pt_data_in(obj.p, cmd.data_in.data(), static_cast<int>(cmd.data_in.size()));
  else if (cmd.direction == Direction::out && !cmd.data_out.empty())
    // sg_pt takes a non-const pointer but does not write to data-out buffers.
    set_scsi_pt_data_out(obj.p, const_cast<uint8_t*>(cmd.data_out.data()), static_cast<int>(cmd.data_out.size()));
  const auto ms = cmd.timeout.count();
  const int secs = static_cast<int>(ms <= 0 ? 1 : (ms + 999) / 1000);
  int rc = do_scsi_pt(obj.p, fd_, secs, 0);
  if (rc < 0) {
    int err = -rc;
    r.transport = (err == ENODEV || err == ENXIO) ? TransportState::no_device : TransportState::error;
    r.text = std::strerror(err);
    return r;
  }
  if (rc == SCSI_PT_DO_TIMEOUT) {
    r.transport = TransportState::timeout;
    r.text = fmt::format("after {} s", secs);
    return r;
  }
  if (rc != SCSI_PT_DO_START_OK) {
    r.transport = TransportState::error;
    r.text = fmt::format("sg_pt refused the command (code {})", rc);
    return r;
  }
  char buf[256];
  switch (get_scsi_pt_result_category(obj.p)) {
    case SCSI_PT_RESULT_TRANSPORT_ERR:
      r.transport = TransportState::error;
      r.text = get_scsi_pt_transport_err_str(obj.p, sizeof buf, buf);
      return r;
    case SCSI_PT_RESULT_OS_ERR:
      r.transport = TransportState::error;
      r.text = get_scsi_pt_os_err_str(obj.p, sizeof buf, buf);
      return r;
    default: break;
  }
  r.scsi_status = static_cast<uint8_t>(get_scsi_pt_status_response(obj.p));
  int sl = get_scsi_pt_sense_len(obj.p);
  r.sense_length = static_cast<uint8_t>(sl < 0 ? 0 : sl > int(r.sense.size()) ? r.sense.size() : sl);
  r.resid = get_scsi_pt_resid(obj.p);
  return r;
}

}  // namespace ndmp::dev

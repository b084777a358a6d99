// SCSI interface (0x200–0x206): raw CDB pass-through, mostly to the robot.
// The CDB goes unaltered to the device layer's transport (SPEC4 3.3.5), so
// the same request reaches a real changer over SG_IO or the emulated one.
#include <chrono>

#include "common/escape.h"
#include "common/log.h"
#include "server/context/cdb_policy.h"
#include "server/context/context.h"
#include "server/datapath/device_errors.h"
#include "server/handlers/tables.h"
#include "server/datapath/device_state.h"
#include "server/session/session.h"
#include "server/jobs/job_reporter.h"

namespace ndmp::server {

msg::ExecuteCdbReply execute_cdb(dev::Transport& t, const msg::ExecuteCdbRequest& req, uint32_t max_data,
                                 std::chrono::milliseconds timeout) {
  msg::ExecuteCdbReply r;
  const bool in = req.flags & 0x1, out = req.flags & 0x2;
  if ((in && out) || req.cdb.empty() || req.cdb.size() > 16 || req.datain_len > max_data ||
      req.dataout.size() > max_data || (!out && !req.dataout.empty())) {
    r.error = msg::Error::illegal_args;
    return r;
  }
  std::vector<uint8_t> datain(in ? req.datain_len : 0);
  dev::CdbCommand cmd = in    ? dev::CdbCommand::in(req.cdb, datain, timeout)
                        : out ? dev::CdbCommand::out(req.cdb, req.dataout, timeout)
                              : dev::CdbCommand::none(req.cdb, timeout);
  dev::CdbResult res = t.execute(cmd);
  switch (res.transport) {
    case dev::TransportState::ok: break;
    case dev::TransportState::timeout: r.error = msg::Error::timeout; return r;
    case dev::TransportState::no_device: r.error = msg::Error::no_device; return r;
    case dev::TransportState::error: r.error = msg::Error::io; return r;
  }
  // NO_ERR means "executed": the DMA reads the status byte and the sense.
  r.status = res.scsi_status;
  const int32_t resid = std::max<int32_t>(0, res.resid);
  if (in) {
    size_t got = datain.size() - std::min<size_t>(datain.size(), static_cast<size_t>(resid));
    datain.resize(got);
    r.datain = std::move(datain);
  }
  if (out) r.dataout_len = static_cast<uint32_t>(req.dataout.size() - std::min<size_t>(req.dataout.size(), resid));
  if (res.check_condition()) {
    auto sense = res.sense_bytes();
    r.ext_sense.assign(sense.begin(), sense.end());
  }
  return r;
}

namespace {

using msg::Error;

Reply scsi_open(Session& s, const msg::ScsiOpenRequest& req) {
  auto& dv = s.devices();
  if (dv.any_open()) return error_reply(Error::device_opened);
  if (!s.ctx().inventory->find(req.device).ok()) {
    log::warn("{}: SCSI_OPEN of \"{}\" refused: no such device in the configuration", s.tag(),
              log::escape(req.device));
    return error_reply(Error::no_device);
  }
  // No I/O here (SPEC4 3.3.1): the DMA's first CDB is the first command.
  auto t = s.open_device(req.device);
  if (!t.ok()) {
    Error e = ndmp_error_of(t.status());
    log::warn("{}: SCSI_OPEN {}: {} ({})", s.tag(), log::escape(req.device), t.status().to_string(), msg::to_string(e));
    return error_reply(e);
  }
  dv.scsi = std::make_unique<OpenScsi>();
  dv.scsi->name = req.device;
  dv.scsi->transport = std::move(t.value());
  log::info("{}: opened SCSI device {}", s.tag(), req.device);
  return error_reply(Error::no_err);
}

Reply scsi_close(Session& s, const msg::Empty&) {
  auto& dv = s.devices();
  if (!dv.scsi) return error_reply(Error::dev_not_open);
  log::info("{}: closed SCSI device {}", s.tag(), dv.scsi->name);
  dv.scsi.reset();
  return error_reply(Error::no_err);
}

Reply scsi_get_state(Session& s, const msg::Empty&) {
  auto r = std::make_unique<msg::ScsiGetStateReply>();
  auto& dv = s.devices();
  if (!dv.scsi) {
    r->error = Error::dev_not_open;
    return Reply::of(std::move(r));
  }
  r->controller = dv.scsi->controller;
  r->id = dv.scsi->id;
  r->lun = dv.scsi->lun;
  return Reply::of(std::move(r));
}

Reply scsi_set_target(Session& s, const msg::ScsiSetTargetRequest& req) {
  // Devices are addressed by name; the target triple is kept only so
  // SCSI_GET_STATE reports what the DMA set (SPEC4 drops the message in v4).
  auto& dv = s.devices();
  if (!dv.scsi) return error_reply(Error::dev_not_open);
  if (req.device != dv.scsi->name) return error_reply(Error::illegal_args);
  dv.scsi->controller = static_cast<int16_t>(req.controller);
  dv.scsi->id = static_cast<int16_t>(req.id);
  dv.scsi->lun = static_cast<int16_t>(req.lun);
  return error_reply(Error::no_err);
}

Reply scsi_reset_device(Session& s, const msg::Empty&) {
  auto& dv = s.devices();
  if (!dv.scsi) return error_reply(Error::dev_not_open);
  // A reset leaves UNIT ATTENTION behind; clearing it with TEST UNIT READY is
  // what a DMA expects after a reset. The device layer has no bus-level reset
  // for emulated targets, and a SG_IO device reset would also hit other
  // sessions' LUNs behind the same target, so none is sent.
  const uint8_t tur[6] = {0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    auto res = dv.scsi->transport->execute(dev::CdbCommand::none(tur));
    if (res.good() || !res.check_condition()) break;
  }
  log::info("{}: SCSI_RESET_DEVICE on {}: pending conditions cleared", s.tag(), dv.scsi->name);
  return error_reply(Error::no_err);
}

Reply scsi_reset_bus(Session& s, const msg::Empty&) {
  // Resetting a bus would abort other sessions' commands on every device
  // behind it; ndmpd does not let one DMA do that to another.
  if (!s.devices().scsi) return error_reply(Error::dev_not_open);
  log::warn("{}: SCSI_RESET_BUS refused: it would disturb other sessions' devices", s.tag());
  return error_reply(Error::not_supported);
}

Reply scsi_execute_cdb(Session& s, const msg::ExecuteCdbRequest& req) {
  auto& dv = s.devices();
  if (!dv.scsi) {
    auto r = std::make_unique<msg::ExecuteCdbReply>();
    r->error = Error::dev_not_open;
    return Reply::of(std::move(r));
  }
  auto info = s.ctx().inventory->find(dv.scsi->name);
  const auto kind = info.ok() ? info.value().kind : dev::DeviceKind::changer;
  std::chrono::milliseconds timeout{};
  if (Error e = audit_cdb(s.ctx().settings()->config, s.tag(), dv.scsi->name, kind, req, "SCSI_EXECUTE_CDB", timeout); e != Error::no_err) {
    auto r = std::make_unique<msg::ExecuteCdbReply>();
    r->error = e;
    return Reply::of(std::move(r));
  }
  auto reply = std::make_unique<msg::ExecuteCdbReply>(
      execute_cdb(*dv.scsi->transport, req, s.ctx().config.max_tape_record, timeout));
  // A changer that does not answer at all (timeout, transport failure,
  // vanished node) is the library failing, not the DMA's command.
  if (kind == dev::DeviceKind::changer &&
      (reply->error == Error::timeout || reply->error == Error::no_device || reply->error == Error::io))
    report::device_failed(s, "CHANGER_NOT_RESPONDING", dv.scsi->name,
                          fmt::format("the changer {} did not answer SCSI command 0x{:02x} ({})", dv.scsi->name,
                                      req.cdb.front(), msg::to_string(reply->error)));
  return Reply::of(std::move(reply));
}

const DispatchEntry kTable[] = {
    {msg::code::SCSI_OPEN, "SCSI_OPEN", kAllVersions, Access::authenticated, typed<msg::ScsiOpenRequest, scsi_open>},
    {msg::code::SCSI_CLOSE, "SCSI_CLOSE", kAllVersions, Access::authenticated, typed<msg::Empty, scsi_close>},
    {msg::code::SCSI_GET_STATE, "SCSI_GET_STATE", kAllVersions, Access::authenticated,
     typed<msg::Empty, scsi_get_state>},
    {msg::code::SCSI_SET_TARGET, "SCSI_SET_TARGET", kV2 | kV3, Access::authenticated,
     typed<msg::ScsiSetTargetRequest, scsi_set_target>},
    {msg::code::SCSI_RESET_DEVICE, "SCSI_RESET_DEVICE", kAllVersions, Access::authenticated,
     typed<msg::Empty, scsi_reset_device>},
    {msg::code::SCSI_RESET_BUS, "SCSI_RESET_BUS", kV2 | kV3, Access::authenticated,
     typed<msg::Empty, scsi_reset_bus>},
    {msg::code::SCSI_EXECUTE_CDB, "SCSI_EXECUTE_CDB", kAllVersions, Access::authenticated,
     typed<msg::ExecuteCdbRequest, scsi_execute_cdb>},
};

}  // namespace

std::span<const DispatchEntry> scsi_table() { return kTable; }

}  // namespace ndmp::server

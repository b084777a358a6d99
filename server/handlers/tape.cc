// TAPE interface (0x300–0x307): the DMA drives a tape drive record by record.
// NDMP tape rules live in tape_service.cc; this file audits requests.
#include "common/escape.h"
#include "common/log.h"
#include "server/context/cdb_policy.h"
#include "server/context/context.h"
#include "server/datapath/device_errors.h"
#include "server/handlers/tables.h"
#include "server/datapath/device_state.h"
#include "server/jobs/job_state.h"
#include "server/session/session.h"
#include "server/jobs/job_reporter.h"

namespace ndmp::server {
namespace {

using msg::Error;

// While the mover uses the tape (LISTEN/ACTIVE) the DMA may only ask for its
// state (SPEC4 3.4; facts 8 #3: DEVICE_BUSY rather than ndmjob's ILLEGAL_STATE).
Error audit_tape(Session& s) {
  if (!s.devices().tape) return Error::dev_not_open;
  if (s.jobs().mover_holds_tape()) return Error::device_busy;
  return Error::no_err;
}

Reply tape_open(Session& s, const msg::TapeOpenRequest& req) {
  auto& dv = s.devices();
  if (dv.any_open()) return error_reply(Error::device_opened);
  const bool raw_ok = req.mode == msg::TapeOpenMode::raw && s.version() >= 3;
  if (req.mode != msg::TapeOpenMode::read && req.mode != msg::TapeOpenMode::rdwr && !raw_ok)
    return error_reply(Error::illegal_args);
  auto info = s.ctx().inventory->find(req.device);
  if (!info.ok() || info->kind != dev::DeviceKind::tape) {
    log::warn("{}: TAPE_OPEN of \"{}\" refused: no such tape device in the configuration", s.tag(),
              log::escape(req.device));
    return error_reply(Error::no_device);
  }
  auto t = s.open_device(req.device);
  if (!t.ok()) {
    Error e = ndmp_error_of(t.status());
    log::warn("{}: TAPE_OPEN {}: {} ({})", s.tag(), req.device, t.status().to_string(), msg::to_string(e));
    if (report::device_offline(t.status().category()))
      report::device_failed(s, "DRIVE_OFFLINE", req.device,
                            fmt::format("tape drive {} cannot be opened: {}", req.device, t.status().to_string()));
    return error_reply(e);
  }
  auto tape = std::make_shared<TapeService>(req.device, std::move(t.value()), req.mode, s.ctx().config.max_tape_record);
  std::string why;
  if (Error e = tape->open_checks(why); e != Error::no_err) {
    log::warn("{}: TAPE_OPEN {} refused: {} ({})", s.tag(), req.device, why, msg::to_string(e));
    // No tape or a write-protected one is the operator's matter; anything
    // else from TEST UNIT READY means the drive itself is not answering.
    if (e != Error::no_tape_loaded && e != Error::write_protect && e != Error::device_busy)
      report::device_failed(s, "DRIVE_OFFLINE", req.device,
                            fmt::format("tape drive {} does not answer: {}", req.device, why));
    return error_reply(e);
  }
  dv.tape = std::move(tape);
  log::info("{}: opened tape {} {}", s.tag(), req.device,
            req.mode == msg::TapeOpenMode::read ? "read-only" : req.mode == msg::TapeOpenMode::raw ? "raw" : "read/write");
  return error_reply(Error::no_err);
}

Reply tape_close(Session& s, const msg::Empty&) {
  if (Error e = audit_tape(s); e != Error::no_err) return error_reply(e);
  auto& dv = s.devices();
  TapeIo t = dv.tape->close();
  if (t.error != Error::no_err) {
    // Keep it open: the DMA may retry; the retry closes without further I/O.
    log::error("{}: closing tape {}: the file mark owed could not be written: {}", s.tag(), dv.tape->name(), t.why);
    return error_reply(t.error);
  }
  log::info("{}: closed tape {}", s.tag(), dv.tape->name());
  dv.tape.reset();
  {
    // A paused mover lets go too, so the drive is free for the tape change;
    // MOVER_CONTINUE picks up whatever tape is open then.
    std::lock_guard lock(s.jobs().mu);
    s.jobs().mover_tape.reset();
  }
  return error_reply(Error::no_err);
}

Reply tape_get_state(Session& s, const msg::Empty&) {
  auto r = std::make_unique<msg::TapeGetStateReply>();
  auto& dv = s.devices();
  if (!dv.tape) {
    r->error = Error::dev_not_open;
    r->invalid = 0x7f;
    return Reply::of(std::move(r));
  }
  *r = dv.tape->state(s.version());
  return Reply::of(std::move(r));
}

Reply tape_mtio(Session& s, const msg::TapeMtioRequest& req) {
  auto r = std::make_unique<msg::TapeMtioReply>();
  if (Error e = audit_tape(s); e != Error::no_err) {
    r->error = e;
    return Reply::of(std::move(r));
  }
  if (req.op == msg::MtioOp::tur && s.version() < 4) {
    r->error = Error::illegal_args;
    return Reply::of(std::move(r));
  }
  if (static_cast<uint32_t>(req.op) > static_cast<uint32_t>(msg::MtioOp::tur)) {
    r->error = Error::illegal_args;
    return Reply::of(std::move(r));
  }
  if (req.op == msg::MtioOp::eof && !s.devices().tape->writable()) {
    r->error = Error::permission;
    return Reply::of(std::move(r));
  }
  TapeIo t = s.devices().tape->mtio(req.op, req.count, s.version());
  r->error = t.error;
  r->resid_count = t.count;
  log::debug("{}: TAPE_MTIO op {} count {} -> {} resid {}", s.tag(), static_cast<uint32_t>(req.op), req.count,
             msg::to_string(t.error), t.count);
  if (t.error != Error::no_err) log::warn("{}: TAPE_MTIO on {}: {}", s.tag(), s.devices().tape->name(), t.why);
  return Reply::of(std::move(r));
}

Reply tape_write(Session& s, const msg::TapeWriteRequest& req) {
  auto r = std::make_unique<msg::TapeWriteReply>();
  if (Error e = audit_tape(s); e != Error::no_err) {
    r->error = e;
    return Reply::of(std::move(r));
  }
  auto& tape = *s.devices().tape;
  if (!tape.writable()) {
    r->error = Error::permission;
    return Reply::of(std::move(r));
  }
  if (req.data.size() > s.ctx().config.max_tape_record) {
    r->error = Error::illegal_args;
    return Reply::of(std::move(r));
  }
  TapeIo t = tape.write(req.data);
  r->error = t.error;
  r->count = t.count;
  if (t.error != Error::no_err && t.error != Error::eom)
    log::error("{}: TAPE_WRITE on {}: {}", s.tag(), tape.name(), t.why);
  return Reply::of(std::move(r));
}

Reply tape_read(Session& s, const msg::TapeReadRequest& req) {
  auto r = std::make_unique<msg::TapeReadReply>();
  if (Error e = audit_tape(s); e != Error::no_err) {
    r->error = e;
    return Reply::of(std::move(r));
  }
  if (req.count > s.ctx().config.max_tape_record) {
    r->error = Error::illegal_args;
    return Reply::of(std::move(r));
  }
  TapeIo t = s.devices().tape->read(req.count, r->data, s.version());
  r->error = t.error;
  if (t.error == Error::io || t.error == Error::no_tape_loaded)
    log::error("{}: TAPE_READ on {}: {}", s.tag(), s.devices().tape->name(), t.why);
  return Reply::of(std::move(r));
}

Reply tape_execute_cdb(Session& s, const msg::ExecuteCdbRequest& req);

const DispatchEntry kTable[] = {
    {msg::code::TAPE_OPEN, "TAPE_OPEN", kAllVersions, Access::authenticated, typed<msg::TapeOpenRequest, tape_open>},
    {msg::code::TAPE_CLOSE, "TAPE_CLOSE", kAllVersions, Access::authenticated, typed<msg::Empty, tape_close>},
    {msg::code::TAPE_GET_STATE, "TAPE_GET_STATE", kAllVersions, Access::authenticated,
     typed<msg::Empty, tape_get_state>},
    {msg::code::TAPE_MTIO, "TAPE_MTIO", kAllVersions, Access::authenticated, typed<msg::TapeMtioRequest, tape_mtio>},
    {msg::code::TAPE_WRITE, "TAPE_WRITE", kAllVersions, Access::authenticated,
     typed<msg::TapeWriteRequest, tape_write>},
    {msg::code::TAPE_READ, "TAPE_READ", kAllVersions, Access::authenticated, typed<msg::TapeReadRequest, tape_read>},
    {msg::code::TAPE_EXECUTE_CDB, "TAPE_EXECUTE_CDB", kAllVersions, Access::authenticated,
     typed<msg::ExecuteCdbRequest, tape_execute_cdb>},
};

}  // namespace

// Shared with SCSI_EXECUTE_CDB (handlers/scsi.cc).
msg::ExecuteCdbReply execute_cdb(dev::Transport& t, const msg::ExecuteCdbRequest& req, uint32_t max_data,
                                 std::chrono::milliseconds timeout);

namespace {
Reply tape_execute_cdb(Session& s, const msg::ExecuteCdbRequest& req) {
  if (Error e = audit_tape(s); e != Error::no_err) {
    auto r = std::make_unique<msg::ExecuteCdbReply>();
    r->error = e;
    return Reply::of(std::move(r));
  }
  std::chrono::milliseconds timeout{};
  if (Error e = audit_cdb(s.ctx().settings()->config, s.tag(), s.devices().tape->name(), dev::DeviceKind::tape, req, "TAPE_EXECUTE_CDB", timeout);
      e != Error::no_err) {
    auto r = std::make_unique<msg::ExecuteCdbReply>();
    r->error = e;
    return Reply::of(std::move(r));
  }
  return Reply::of(std::make_unique<msg::ExecuteCdbReply>(
      execute_cdb(s.devices().tape->transport(), req, s.ctx().config.max_tape_record, timeout)));
}
}  // namespace

std::span<const DispatchEntry> tape_table() { return kTable; }

}  // namespace ndmp::server

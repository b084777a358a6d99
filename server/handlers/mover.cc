// MOVER interface (0xA00–0xA09): the tape side of a backup or restore.
// Audit (state via the machine, then the guards and argument rules), act,
// commit the transition; the worker (mover_worker.cc) does the moving.
#include "common/log.h"
#include "server/context/connect_policy.h"
#include "server/context/context.h"
#include "server/handlers/tables.h"
#include "server/datapath/device_state.h"
#include "server/jobs/job_state.h"
#include "server/jobs/job_reporter.h"
#include "server/session/session.h"
#include "server/datapath/tape_service.h"
#include "statemachine/mover_guards.h"

namespace ndmp::server {
namespace {

using msg::Error;
using Lock = house::ServiceLock;

Error err(sm::Error e) { return ndmp_error(e); }

// Commits a request's transition and queues its posts after the reply.
void commit(Session& s, SessionJobs& j, sm::MoverEvent e, sm::MoverArgs args = {}) {
  j.mover->apply(e, args);
  post_notifications(s, j.mover->take_notifications(), true);
}

void reset_after_stop(SessionJobs& j) {
  // Entering IDLE resets everything but the record size (SPEC4 3.6).
  const uint32_t rs = j.mv.record_size;
  j.mv = MoverVars{};
  j.mv.record_size = rs;
  j.mover_channel.reset();
  j.mover_listener.reset();
  j.mover_tape.reset();
  j.mover_listening_local = false;
  j.pending_local_for_data.reset();
}

Reply get_state(Session& s, const msg::Empty&) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  j.settle_mover(lock);  // report the state the DMA caused, not a stale LISTEN
  auto r = std::make_unique<msg::MoverGetStateReply>();
  r->mode = static_cast<msg::MoverMode>(m.wire_mode());
  r->state = static_cast<msg::MoverState>(m.wire_state());
  r->pause_reason = static_cast<msg::MoverPauseReason>(m.wire_pause_reason());
  r->halt_reason = static_cast<msg::MoverHaltReason>(m.halt_reason());
  r->record_size = j.mv.record_size;
  r->record_num = static_cast<uint32_t>(j.mv.record_num);
  r->bytes_moved = j.mv.bytes_moved;
  r->seek_position = j.mv.seek_position;
  r->bytes_left_to_read = j.mv.bytes_left_to_read;
  r->window_offset = j.mv.window_offset;
  r->window_length = j.mv.window_length;
  if (j.mover_channel && j.mover_channel->peer_ip())
    r->connection = tcp_addr(j.mover_channel->peer_ip(), j.mover_channel->peer_port());
  else if (j.mover_listener && m.state() == sm::MoverState::listen)
    r->connection = tcp_addr(j.mover_listener->ip(), j.mover_listener->port());
  else
    r->connection.type = msg::AddrType::local;
  return Reply::of(std::move(r));
}

Reply set_record_size(Session& s, const msg::MoverSetRecordSizeRequest& req) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  j.settle_mover(lock);
  if (auto c = m.check(sm::MoverEvent::set_record_size); !c.ok()) return error_reply(err(c.error));
  if (req.len == 0 || req.len > s.ctx().config.max_tape_record) {
    log::warn("{}: MOVER_SET_RECORD_SIZE {} refused: records must be 1..{} bytes", s.tag(), req.len,
              s.ctx().config.max_tape_record);
    return error_reply(Error::illegal_args);
  }
  j.mv.record_size = req.len;
  if (s.version() >= 4) {  // v4: a new record size invalidates the window (SPEC4 3.6.8)
    j.mv.window_offset = 0;
    j.mv.window_length = 0;
  }
  commit(s, j, sm::MoverEvent::set_record_size);
  return error_reply(Error::no_err);
}

Reply set_window(Session& s, const msg::MoverSetWindowRequest& req) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  j.settle_mover(lock);
  if (auto c = m.check(sm::MoverEvent::set_window); !c.ok()) return error_reply(err(c.error));
  const uint64_t rs = j.mv.record_size;
  if (rs == 0) return error_reply(s.version() >= 4 ? Error::precondition : Error::illegal_args);
  // Length all-ones means "to the end of the medium" whatever the offset
  // (ndmjob sends it after tape changes; facts 6.7).
  const bool unbounded = req.length == kInfinity || req.offset + req.length == kInfinity;
  if (req.offset % rs != 0 || (!unbounded && (req.length % rs != 0 || req.offset + req.length < req.offset))) {
    log::warn("{}: MOVER_SET_WINDOW({}, {}) refused: not on {}-byte record boundaries", s.tag(), req.offset,
              req.length, rs);
    return error_reply(Error::illegal_args);
  }
  j.mv.window_offset = req.offset;
  j.mv.window_length = unbounded ? kInfinity : req.length;
  j.mv.record_num = req.offset / rs;
  commit(s, j, sm::MoverEvent::set_window);
  return error_reply(Error::no_err);
}

// The checks MOVER_LISTEN and MOVER_CONNECT share.
Error audit_start(Session& s, SessionJobs& j, uint32_t wire_mode, msg::AddrType type, sm::MoverMode& mode) {
  // Arguments before device state (ndmjob's test-mover M-LISTEN/bogus-args).
  if (Error e = err(sm::audit_listen_mode(wire_mode, mode)); e != Error::no_err) return e;
  if (type != msg::AddrType::local && type != msg::AddrType::tcp) return Error::illegal_args;
  auto& tape = s.devices().tape;
  if (!tape) return Error::dev_not_open;
  if (mode == sm::MoverMode::read && !tape->writable()) return Error::permission;
  if (s.version() >= 4 && j.mv.record_size == 0) return Error::precondition;
  return Error::no_err;
}

void begin_active(Session& s, SessionJobs& j, std::shared_ptr<Channel> chan) {
  j.join_mover_threads();
  j.mover_channel = std::move(chan);
  j.mover_tape = s.devices().tape;
  log::info("{}: MOVER active ({} {} tape {}, records of {} bytes, {})", s.tag(),
            j.mover->mode() == sm::MoverMode::read ? "backup: data connection ->" : "restore:",
            j.mover->mode() == sm::MoverMode::read ? "" : "tape -> data connection,", j.mover_tape->name(),
            j.mv.record_size, j.mover_channel->describe());
  start_mover_worker(s);
}

Reply listen(Session& s, const msg::MoverListenRequest& req) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  auto reply = std::make_unique<msg::MoverListenReply>();
  auto fail = [&](Error e) {
    reply->error = e;
    return Reply::of(std::move(reply));
  };
  if (auto c = m.check(sm::MoverEvent::listen); !c.ok()) return fail(err(c.error));
  sm::MoverMode mode{};
  if (Error e = audit_start(s, j, static_cast<uint32_t>(req.mode), req.type, mode); e != Error::no_err) return fail(e);
  j.join_mover_threads();
  j.mv.addr_type = req.type;
  if (req.type == msg::AddrType::local) {
    // The DATA service of this same session will DATA_CONNECT(LOCAL).
    auto [writer, reader] = make_local_pipe_for_records(j.mv.record_size);
    j.mover_channel = mode == sm::MoverMode::read ? reader : writer;
    j.pending_local_for_data = mode == sm::MoverMode::read ? writer : reader;
    j.mover_listening_local = true;
    reply->addr.type = msg::AddrType::local;
  } else {
    auto l = std::make_unique<TcpListener>(local_ipv4_of(s.control_fd()));
    if (!l->ok()) {
      log::error("{}: MOVER_LISTEN: {}", s.tag(), l->error());
      return fail(Error::io);
    }
    reply->addr = tcp_addr(l->ip(), l->port());
    j.mover_listener = std::move(l);
  }
  // The tape the job will use, chosen now on the session thread: the
  // acceptor never looks at the session's devices.
  j.mover_tape = s.devices().tape;
  sm::MoverArgs args;
  args.mode = mode;
  commit(s, j, sm::MoverEvent::listen, args);
  if (req.type == msg::AddrType::tcp) start_mover_acceptor(s);
  log::info("{}: MOVER listening ({}, {})", s.tag(), mode == sm::MoverMode::read ? "backup" : "restore",
            req.type == msg::AddrType::local ? "LOCAL" : fmt::format("tcp port {}", j.mover_listener->port()));
  return Reply::of(std::move(reply));
}

Reply connect(Session& s, const msg::MoverConnectRequest& req) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  j.settle_mover(lock);
  if (auto c = m.check(sm::MoverEvent::connect); !c.ok()) return error_reply(err(c.error));
  sm::MoverMode mode{};
  if (Error e = audit_start(s, j, static_cast<uint32_t>(req.mode), req.addr.type, mode); e != Error::no_err)
    return error_reply(e);
  if (Error e = audit_data_connect(s.ctx().settings()->config, s.control_fd(), s.tag(), req.addr, "MOVER_CONNECT"); e != Error::no_err) return error_reply(e);
  std::shared_ptr<Channel> chan;
  if (req.addr.type == msg::AddrType::local) {
    // Joins this session's DATA, which did DATA_LISTEN(LOCAL).
    if (!j.data_listening_local || !j.data || j.data->state() != sm::DataState::listen)
      return error_reply(Error::illegal_state);
    auto [writer, reader] = make_local_pipe_for_records(j.mv.record_size);
    chan = mode == sm::MoverMode::read ? reader : writer;
    j.pending_local_for_mover = mode == sm::MoverMode::read ? writer : reader;
    // The DATA side becomes CONNECTED now that its peer exists.
    j.data_channel = j.pending_local_for_mover;
    j.pending_local_for_mover.reset();
    j.data_listening_local = false;
    j.data->apply(sm::DataEvent::peer_connected);
    post_notifications(s, j.data->take_notifications(), true);
  } else if (req.addr.type == msg::AddrType::tcp) {
    std::string why = "no address given";
    for (const auto& a : req.addr.tcp) {
      lock.unlock();
      chan = connect_tcp(a.ip, a.port, why);
      lock.lock();
      if (chan) break;
    }
    if (!chan) {
      log::error("{}: MOVER_CONNECT: {}", s.tag(), why);
      return error_reply(Error::connect);
    }
  } else {
    return error_reply(Error::illegal_args);
  }
  j.mv.addr_type = req.addr.type;
  sm::MoverArgs args;
  args.mode = mode;
  commit(s, j, sm::MoverEvent::connect, args);
  begin_active(s, j, std::move(chan));
  return error_reply(Error::no_err);
}

Reply read(Session& s, const msg::MoverReadRequest& req) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  j.settle_mover(lock);
  if (auto c = m.check(sm::MoverEvent::read); !c.ok()) return error_reply(err(c.error));
  if (Error e = err(sm::audit_read(s.version(), m.mode(), j.mv.bytes_left_to_read)); e != Error::no_err)
    return error_reply(e);
  if (req.length == 0 || (req.length != kInfinity && req.offset + req.length < req.offset))
    return error_reply(Error::illegal_args);
  j.mv.seek_position = req.offset;
  j.mv.bytes_left_to_read = req.length;
  commit(s, j, sm::MoverEvent::read);
  j.cv.notify_all();
  return error_reply(Error::no_err);
}

Reply continue_(Session& s, const msg::Empty&) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  j.settle_mover(lock);
  if (auto c = m.check(sm::MoverEvent::continue_); !c.ok()) return error_reply(err(c.error));
  if (Error e = err(sm::audit_continue(s.version(), m.window_set_since_pause())); e != Error::no_err)
    return error_reply(e);
  // The DMA may have changed tapes while paused: the mover goes on with
  // whatever tape this session has open now.
  if (!s.devices().tape) return error_reply(Error::dev_not_open);
  j.mover_tape = s.devices().tape;
  commit(s, j, sm::MoverEvent::continue_);
  report::mover_continued(s, j.mover_tape->name());
  log::info("{}: MOVER continues on tape {}", s.tag(), j.mover_tape->name());
  j.cv.notify_all();
  return error_reply(Error::no_err);
}

Reply abort(Session& s, const msg::Empty&) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  j.settle_mover(lock);
  if (auto c = m.check(sm::MoverEvent::abort); !c.ok()) return error_reply(err(c.error));
  if (j.mover_channel) j.mover_channel->shutdown();
  if (j.mover_listener) j.mover_listener->cancel();
  if (m.state() != sm::MoverState::halted) log::warn("{}: MOVER aborted by the DMA", s.tag());
  commit(s, j, sm::MoverEvent::abort);
  j.cv.notify_all();
  return error_reply(Error::no_err);
}

Reply close(Session& s, const msg::Empty&) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  j.settle_mover(lock);
  if (auto c = m.check(sm::MoverEvent::close); !c.ok()) return error_reply(err(c.error));
  // End of the stream for the data service (restore from the last tape).
  if (j.mover_channel) j.mover_channel->close_write();
  if (j.mover_listener) j.mover_listener->cancel();
  commit(s, j, sm::MoverEvent::close);
  j.cv.notify_all();
  return error_reply(Error::no_err);
}

Reply stop(Session& s, const msg::Empty&) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.mover_machine(s.version());
  j.settle_mover(lock);
  if (auto c = m.check(sm::MoverEvent::stop); !c.ok()) return error_reply(err(c.error));
  commit(s, j, sm::MoverEvent::stop);
  j.cv.notify_all();
  lock.unlock();
  j.join_mover_threads();  // HALTED: the worker has returned or is returning
  lock.lock();
  reset_after_stop(j);
  return error_reply(Error::no_err);
}

const DispatchEntry kTable[] = {
    {msg::code::MOVER_GET_STATE, "MOVER_GET_STATE", kAllVersions, Access::authenticated, typed<msg::Empty, get_state>},
    {msg::code::MOVER_LISTEN, "MOVER_LISTEN", kAllVersions, Access::authenticated,
     typed<msg::MoverListenRequest, listen>},
    {msg::code::MOVER_CONTINUE, "MOVER_CONTINUE", kAllVersions, Access::authenticated, typed<msg::Empty, continue_>},
    {msg::code::MOVER_ABORT, "MOVER_ABORT", kAllVersions, Access::authenticated, typed<msg::Empty, abort>},
    {msg::code::MOVER_STOP, "MOVER_STOP", kAllVersions, Access::authenticated, typed<msg::Empty, stop>},
    {msg::code::MOVER_SET_WINDOW, "MOVER_SET_WINDOW", kAllVersions, Access::authenticated,
     typed<msg::MoverSetWindowRequest, set_window>},
    {msg::code::MOVER_READ, "MOVER_READ", kAllVersions, Access::authenticated, typed<msg::MoverReadRequest, read>},
    {msg::code::MOVER_CLOSE, "MOVER_CLOSE", kAllVersions, Access::authenticated, typed<msg::Empty, close>},
    {msg::code::MOVER_SET_RECORD_SIZE, "MOVER_SET_RECORD_SIZE", kAllVersions, Access::authenticated,
     typed<msg::MoverSetRecordSizeRequest, set_record_size>},
    {msg::code::MOVER_CONNECT, "MOVER_CONNECT", kV3 | kV4, Access::authenticated,
     typed<msg::MoverConnectRequest, connect>},
};

}  // namespace

std::span<const DispatchEntry> mover_table() { return kTable; }

}  // namespace ndmp::server

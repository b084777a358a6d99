// DATA interface (0x400–0x40B): backups and restores of the exported trees.
// Audit (state via the machine, then arguments), act, commit the transition;
// the worker (data_worker.cc) runs the engine.
#include <filesystem>

#include "backup/dir.h"
#include "backup/options.h"
#include "common/escape.h"
#include "common/log.h"
#include "server/context/connect_policy.h"
#include "server/context/context.h"
#include "server/context/snapshot_plan.h"
#include "server/handlers/tables.h"
#include "server/datapath/device_state.h"
#include "server/jobs/job_state.h"
#include "server/jobs/job_reporter.h"
#include "server/session/session.h"
#include "server/jobs/space_check.h"

namespace ndmp::server {
namespace {

using msg::Error;
using Lock = house::ServiceLock;

Error err(sm::Error e) { return ndmp_error(e); }

void commit(Session& s, SessionJobs& j, sm::DataEvent e) {
  j.data->apply(e);
  post_notifications(s, j.data->take_notifications(), true, j.dv.halt_text);
}

backup::Env to_env(const std::vector<msg::Pval>& p) {
  backup::Env e;
  for (const auto& v : p) e.emplace_back(v.name, v.value);
  return e;
}

std::string env_value(const std::vector<msg::Pval>& env, const std::string& name) {
  for (const auto& p : env)
    if (p.name == name) return p.value;
  return {};
}

// Connects the DATA side to the mover address v2 passes in START_*, or to
// this session's listening mover for LOCAL.
Error connect_data(Session& s, SessionJobs& j, const msg::Addr& addr, Lock& lock) {
  if (addr.type == msg::AddrType::local) {
    if (!j.mover || j.mover->state() != sm::MoverState::listen || !j.mover_listening_local ||
        !j.pending_local_for_data)
      return Error::illegal_state;
    j.data_channel = std::move(j.pending_local_for_data);
    j.mover_listening_local = false;
    // The mover's peer is here: it goes ACTIVE and starts moving.
    j.mover->apply(sm::MoverEvent::peer_connected);
    post_notifications(s, j.mover->take_notifications(), true);
    j.mover_tape = s.devices().tape;
    start_mover_worker(s);
    j.dv.addr_type = msg::AddrType::local;
    return Error::no_err;
  }
  if (addr.type != msg::AddrType::tcp || addr.tcp.empty()) return Error::illegal_args;
  if (Error e = audit_data_connect(s.ctx().settings()->config, s.control_fd(), s.tag(), addr, "DATA_CONNECT"); e != Error::no_err) return e;
  std::string why;
  std::shared_ptr<Channel> chan;
  for (const auto& a : addr.tcp) {
    lock.unlock();
    chan = connect_tcp(a.ip, a.port, why);
    lock.lock();
    if (chan) break;
  }
  if (!chan) {
    log::error("{}: DATA: {}", s.tag(), why);
    return Error::connect;
  }
  j.data_channel = std::move(chan);
  j.dv.addr_type = msg::AddrType::tcp;
  log::info("{}: DATA connected to {}", s.tag(), j.data_channel->describe());
  return Error::no_err;
}

Reply get_state(Session& s, const msg::Empty&) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.data_machine(s.version());
  j.settle_data(lock);  // report the state the DMA caused, not a stale LISTEN
  auto r = std::make_unique<msg::DataGetStateReply>();
  r->operation = static_cast<msg::DataOperation>(m.operation());
  r->state = static_cast<msg::DataState>(m.wire_state());
  r->halt_reason = static_cast<msg::DataHaltReason>(m.halt_reason());
  uint64_t processed = j.dv.bytes_processed;
  uint64_t total = 0;
  if (j.backup_engine) {
    auto p = j.backup_engine->progress();
    processed = p.bytes_written;
    total = p.est_total_bytes;
  } else if (j.restore_engine) {
    processed = j.restore_engine->progress().bytes_read;
  }
  r->bytes_processed = processed;
  if (total > 0) {
    r->est_bytes_remain = total > processed ? total - processed : 0;
    r->invalid = 0x2;  // EST_TIME_REMAIN: not estimated
  } else {
    r->invalid = 0x3;  // neither estimate available
  }
  r->read_offset = j.dv.read_offset;
  r->read_length = j.dv.read_length;
  if (j.data_channel && j.data_channel->peer_ip())
    r->connection = tcp_addr(j.data_channel->peer_ip(), j.data_channel->peer_port());
  else if (j.data_listener && m.state() == sm::DataState::listen)
    r->connection = tcp_addr(j.data_listener->ip(), j.data_listener->port());
  else
    r->connection.type = msg::AddrType::local;
  return Reply::of(std::move(r));
}

Reply listen(Session& s, const msg::DataListenRequest& req) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.data_machine(s.version());
  j.settle_data(lock);
  auto reply = std::make_unique<msg::DataListenReply>();
  if (auto c = m.check(sm::DataEvent::listen); !c.ok()) {
    reply->error = err(c.error);
    return Reply::of(std::move(reply));
  }
  j.join_data_threads();
  if (req.type == msg::AddrType::local) {
    j.data_listening_local = true;
    reply->addr.type = msg::AddrType::local;
  } else if (req.type == msg::AddrType::tcp) {
    auto l = std::make_unique<TcpListener>(local_ipv4_of(s.control_fd()));
    if (!l->ok()) {
      reply->error = Error::io;
      return Reply::of(std::move(reply));
    }
    reply->addr = tcp_addr(l->ip(), l->port());
    j.data_listener = std::move(l);
    j.data_take = {.pending = true, .taking = false};
    // The listener lives until DATA_STOP or a new LISTEN, which join this thread first.
    TcpListener& listener = *j.data_listener;
    j.data_acceptor = std::thread([&s, &j, &listener] {
      auto chan = take_peer(j, listener, j.data_take);
      std::lock_guard g(j.mu);
      j.data_take = {};
      j.cv.notify_all();
      if (!chan || j.data->state() != sm::DataState::listen) return;
      if (!j.data->apply(sm::DataEvent::peer_connected).ok()) return;
      j.data_channel = std::move(chan);
      log::info("{}: DATA: data connection from {}", s.tag(), j.data_channel->describe());
    });
  } else {
    reply->error = Error::illegal_args;
    return Reply::of(std::move(reply));
  }
  j.dv.addr_type = req.type;
  commit(s, j, sm::DataEvent::listen);
  return Reply::of(std::move(reply));
}

Reply connect(Session& s, const msg::DataConnectRequest& req) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.data_machine(s.version());
  j.settle_data(lock);
  if (auto c = m.check(sm::DataEvent::connect); !c.ok()) return error_reply(err(c.error));
  j.join_data_threads();
  if (Error e = connect_data(s, j, req.addr, lock); e != Error::no_err) return error_reply(e);
  commit(s, j, sm::DataEvent::connect);
  return error_reply(Error::no_err);
}

// Checks shared by every START: state, butype, and (v2) the connection.
Error audit_start(Session& s, SessionJobs& j, sm::DataEvent e, const std::string& butype, const msg::Addr& v2_mover,
                  Lock& lock) {
  auto& m = *j.data;
  if (auto c = m.check(e); !c.ok()) return err(c.error);
  if (butype != "tar") {
    log::warn("{}: DATA_START refused: backup type \"{}\" is not offered (only \"tar\")", s.tag(),
              log::escape(butype));
    return Error::illegal_args;
  }
  if (s.version() == 2) {
    j.join_data_threads();
    if (Error c = connect_data(s, j, v2_mover, lock); c != Error::no_err) return c;
  }
  if (!j.data_channel) return Error::illegal_state;  // LISTEN with no peer yet
  return Error::no_err;
}

Reply start_backup(Session& s, const msg::DataStartBackupRequest& req) {
  auto& j = s.jobs();
  backup::BackupRequest br;
  const auto settings = s.ctx().settings();  // one snapshot of the exports for the source and its plan
  if (auto st = backup::parse_backup_env(to_env(req.env), br.options); !st.ok()) {
    log::warn("{}: DATA_START_BACKUP refused: {}", s.tag(), st.to_string());
    return error_reply(Error::illegal_args);
  }
  // The source is opened here, once, below its export's descriptor; the
  // engine walks that descriptor. Before the job lock: this is disk I/O.
  if (auto st = settings->exports.open_inside(br.options.filesystem, false, br.source); !st.ok()) {
    log::warn("{}: DATA_START_BACKUP refused: FILESYSTEM \"{}\" is not inside an export of this server: {}", s.tag(),
              backup::printable(br.options.filesystem), st.text());
    return error_reply(Error::illegal_args);
  }
  snapshot::SourcePlan snap;
  if (auto st = plan_snapshot(*settings, br.options.filesystem, to_env(req.env), snap); !st.ok()) {
    log::warn("{}: DATA_START_BACKUP refused: {}", s.tag(), st.text());
    return error_reply(Error::illegal_args);
  }
  Lock lock(j.mu);
  j.data_machine(s.version());
  j.settle_data(lock);
  br.state_dir = s.ctx().config.state_dir;
  // Ask for room only when the state allows a start (LISTEN may still become
  // CONNECTED in audit_start), and before audit_start connects a v2 job.
  if (auto c = j.data->check(sm::DataEvent::start_backup); !c.ok() && j.data->state() != sm::DataState::listen)
    return error_reply(err(c.error));
  const std::string job_id = report::new_job_id();
  if (Error e = check_backup_space(s, job_id, br, lock); e != Error::no_err) return error_reply(e);
  if (Error e = audit_start(s, j, sm::DataEvent::start_backup, req.butype, req.mover, lock); e != Error::no_err)
    return error_reply(e);
  j.dv.env = req.env;
  j.dv.bytes_processed = 0;
  j.dv.files_processed = 0;
  j.dv.halt_text.clear();
  commit(s, j, sm::DataEvent::start_backup);
  report::data_started(s, job_id, JobKind::backup, br.options.filesystem);
  start_data_backup(s, std::move(br), std::move(snap));
  return error_reply(Error::no_err);
}

Reply start_recover_common(Session& s, const msg::DataStartRecoverRequest& req, sm::DataEvent ev) {
  auto& j = s.jobs();
  backup::RestoreEnvOptions ro;
  if (auto st = backup::parse_restore_env(to_env(req.env), ro); !st.ok()) return error_reply(Error::illegal_args);
  // Where to restore: PREFIX (ndmjob, Bareos), else FILESYSTEM. It is
  // opened here, once, below its export's descriptor (made if missing) and
  // the engine writes through that descriptor: nothing swapped in between
  // this check and the restore can move it. Before the job lock: disk I/O.
  std::string dest = env_value(req.env, "PREFIX");
  if (dest.empty()) dest = env_value(req.env, "FILESYSTEM");
  if (dest.empty() && !req.nlist.empty()) dest = req.nlist.front().destination_path;
  backup::RestoreRequest rr;
  rr.check = ro.check;
  rr.halt_on_mismatch = ro.halt_on_mismatch;
  // A verify writes nothing and needs no destination; compare reads the
  // tree it names and must not create it.
  const bool needs_dest = ro.check != backup::CheckMode::verify;
  if (auto st = needs_dest ? s.ctx().settings()->exports.open_inside(dest, ro.check == backup::CheckMode::restore,
                                                                       rr.destination)
                           : backup::Status::Ok();
      needs_dest && (dest.empty() || !st.ok())) {
    log::warn("{}: DATA_START_RECOVER refused: destination \"{}\" is not inside an export of this server: {}", s.tag(),
              backup::printable(dest),
              dest.empty() ? "none given" : st.text());
    return error_reply(Error::illegal_args);
  }
  Lock lock(j.mu);
  j.data_machine(s.version());
  j.settle_data(lock);
  rr.destination_root = backup::printable(rr.destination.name);  // shown in the worker's log lines
  rr.privileges = s.ctx().settings()->config.restore_privileges;
  rr.recursive = ro.recursive;
  for (const auto& n : req.nlist) {
    backup::NlistEntry e;
    e.original_path = n.original_path;
    // Destinations come as absolute paths (v2 dest, v3/v4 destination +
    // name); the engine wants them relative to the restore root.
    std::string d = n.destination_path;
    if (!n.new_name.empty()) d = (std::filesystem::path(d) / n.new_name).string();
    auto rel = std::filesystem::path(d).lexically_relative(dest);
    if (!d.empty() && !rel.empty() && *rel.begin() != "..") e.destination = "/" + rel.string();
    if (e.destination == "/.") e.destination.clear();
    e.fh_info = n.fh_info;
    rr.nlist.push_back(std::move(e));
  }
  if (Error e = audit_start(s, j, ev, req.butype, req.mover, lock); e != Error::no_err) return error_reply(e);
  j.dv.env = req.env;
  j.dv.bytes_processed = 0;
  j.dv.files_processed = 0;
  j.dv.halt_text.clear();
  commit(s, j, ev);
  report::data_started(s, report::new_job_id(), JobKind::restore, dest);
  start_data_recover(s, std::move(rr), ro.direct, ev);
  return error_reply(Error::no_err);
}

Reply start_recover(Session& s, const msg::DataStartRecoverRequest& req) {
  return start_recover_common(s, req, sm::DataEvent::start_recover);
}

Reply start_recover_filehist(Session& s, const msg::DataStartRecoverRequest& req) {
  return start_recover_common(s, req, sm::DataEvent::start_recover_filehist);
}

Reply abort(Session& s, const msg::Empty&) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.data_machine(s.version());
  j.settle_data(lock);
  if (auto c = m.check(sm::DataEvent::abort); !c.ok()) return error_reply(err(c.error));
  if (j.backup_engine) j.backup_engine->cancel();
  if (j.restore_engine) j.restore_engine->cancel();
  if (j.data_channel) j.data_channel->shutdown();
  if (j.data_listener) j.data_listener->cancel();
  if (m.state() != sm::DataState::halted) log::warn("{}: DATA aborted by the DMA", s.tag());
  j.dv.halt_text = "aborted by the DMA";
  commit(s, j, sm::DataEvent::abort);
  report::data_halted(s, m.halt_reason(), j.dv.halt_text);
  return error_reply(Error::no_err);
}

Reply get_env(Session& s, const msg::Empty&) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.data_machine(s.version());
  j.settle_data(lock);
  auto r = std::make_unique<msg::DataGetEnvReply>();
  if (auto c = m.check(sm::DataEvent::get_env); !c.ok()) {
    r->error = err(c.error);
    return Reply::of(std::move(r));
  }
  r->env = j.dv.env;
  return Reply::of(std::move(r));
}

Reply stop(Session& s, const msg::Empty&) {
  auto& j = s.jobs();
  Lock lock(j.mu);
  auto& m = j.data_machine(s.version());
  j.settle_data(lock);
  if (auto c = m.check(sm::DataEvent::stop); !c.ok()) return error_reply(err(c.error));
  commit(s, j, sm::DataEvent::stop);
  lock.unlock();
  j.join_data_threads();
  lock.lock();
  j.dv = DataVars{};
  j.data_channel.reset();
  j.data_listener.reset();
  j.data_listening_local = false;
  return error_reply(Error::no_err);
}

const DispatchEntry kTable[] = {
    {msg::code::DATA_GET_STATE, "DATA_GET_STATE", kAllVersions, Access::authenticated, typed<msg::Empty, get_state>},
    {msg::code::DATA_START_BACKUP, "DATA_START_BACKUP", kAllVersions, Access::authenticated,
     typed<msg::DataStartBackupRequest, start_backup>},
    {msg::code::DATA_START_RECOVER, "DATA_START_RECOVER", kAllVersions, Access::authenticated,
     typed<msg::DataStartRecoverRequest, start_recover>},
    {msg::code::DATA_ABORT, "DATA_ABORT", kAllVersions, Access::authenticated, typed<msg::Empty, abort>},
    {msg::code::DATA_GET_ENV, "DATA_GET_ENV", kAllVersions, Access::authenticated, typed<msg::Empty, get_env>},
    {msg::code::DATA_STOP, "DATA_STOP", kAllVersions, Access::authenticated, typed<msg::Empty, stop>},
    {msg::code::DATA_LISTEN, "DATA_LISTEN", kV3 | kV4, Access::authenticated, typed<msg::DataListenRequest, listen>},
    {msg::code::DATA_CONNECT, "DATA_CONNECT", kV3 | kV4, Access::authenticated,
     typed<msg::DataConnectRequest, connect>},
    {msg::code::DATA_START_RECOVER_FILEHIST, "DATA_START_RECOVER_FILEHIST", kAllVersions, Access::authenticated,
     typed<msg::DataStartRecoverRequest, start_recover_filehist>},
};

}  // namespace

std::span<const DispatchEntry> data_table() { return kTable; }

}  // namespace ndmp::server

#include "cloudmanager/bridge.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cloudmanager/event_mapping.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "cloudmanager/tcp.h"
#include "common/log.h"

#ifndef NDMPD_VERSION
#error "NDMPD_VERSION must come from the build (cloudmanager/CMakeLists.txt)"
#endif

namespace ndmp::cm {

using events::SpaceAnswer;
using events::SpaceOutcome;

const char* to_string(Extension e) {
  switch (e) {
    case Extension::unknown: return "unknown";
    case Extension::accepted: return "accepted";
    case Extension::unavailable: return "unavailable";
  }
  return "?";
}

namespace {

Header request_header(wire::Command command) {
  Header h;
  h.direction = wire::MessageDirection_StreamerToCloudManager;
  h.command = command;
  return h;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "ndmpd";
  return buf;
}

// The answers of a Cloud Manager that does not know a command: it speaks the
// protocol summary, not our extension.
bool unknown_command(wire::ErrorCode e) {
  return e == wire::ErrorCode_UnrecognizedCommand || e == wire::ErrorCode_OperationNotSupported;
}

}  // namespace

Bridge::Bridge(BridgeConfig config)
    : cfg_(std::move(config)), space_(cfg_), conn_(connection_of(cfg_)), link_(cfg_.address, cfg_.port, cfg_.max_body),
      space_policy_(cfg_.space_policy) {}

Bridge::~Bridge() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status Bridge::start() {
  if (running_) return Status::Ok();
  if (cfg_.address.empty() || cfg_.port == 0)
    return Status::Error("cloud manager: cloudmanager.address and cloudmanager.port are required");
  if (cfg_.streamer_uuid.empty())
    return Status::Error("cloud manager: cloudmanager.uuid (this server's identity) is required");
  if (cfg_.journal_path.empty())
    return Status::Error("cloud manager: cloudmanager.journal (a file for unsent events) is required");
  if (cfg_.reconnect_min.count() <= 0 || cfg_.reconnect_max < cfg_.reconnect_min)
    return Status::Error("cloud manager: need 0 < reconnect_min <= reconnect_max");
  if (cfg_.io_timeout.count() <= 0) return Status::Error("cloud manager: need 0 < reply_timeout");
  if (!journal_) {
    std::unique_ptr<Journal> j;
    if (Status s = Journal::open(cfg_.journal_path, cfg_.journal_max_bytes, j); !s.ok()) return s;
    std::lock_guard lock(mu_);
    journal_ = std::move(j);
  }
  if (wake_fd_ < 0) wake_fd_ = make_wake_fd();
  if (wake_fd_ < 0) return Status::Error(fmt::format("cloud manager: eventfd: {}", std::strerror(errno)));
  // Started whatever the policy: a reload may turn the check on.
  if (Status s = space_.start(); !s.ok()) return s;
  stopping_ = false;
  running_ = true;
  worker_ = std::thread([this] { run(); });
  ndmp::log::info("cloud manager bridge: reporting to {}:{} as {} (journal {}, space policy {}, reply timeout {} ms)",
                  cfg_.address, cfg_.port, cfg_.streamer_uuid, cfg_.journal_path, to_string(cfg_.space_policy),
                  cfg_.io_timeout.count());
  return Status::Ok();
}

void Bridge::stop() {
  if (!running_) return;
  stopping_ = true;
  wake(wake_fd_);
  if (worker_.joinable()) worker_.join();
  space_.stop();
  running_ = false;
}

Status Bridge::reconfigure(const BridgeConnection& next) {
  if (std::string why = check_connection(next); !why.empty()) return Status::Error("cloud manager: " + why);
  {
    std::lock_guard lock(mu_);
    next_conn_ = next;
    reconfigure_pending_ = true;
  }
  space_policy_ = next.space_policy;
  off_ = next.address.empty();
  space_.retarget(next);  // off: its kept connection to the old one closes too
  if (wake_fd_ >= 0) wake(wake_fd_);
  return Status::Ok();
}

void Bridge::publish(const events::JobEvent& event) {
  {
    std::lock_guard lock(mu_);
    if (event.type == events::JobEventType::progress) {
      auto it = last_progress_.find(event.job_id);
      if (it != last_progress_.end() && event.when - it->second < cfg_.progress_interval) return;
      last_progress_[event.job_id] = event.when;
    } else if (event.type == events::JobEventType::halted || event.type == events::JobEventType::refused) {
      last_progress_.erase(event.job_id);
    }
    if (!journal_) {
      ndmp::log::error("cloud manager bridge not started: {} event of job {} not recorded",
                       wire::Command_Name(command_for(event.type)), event.job_id);
      return;
    }
  }
  if (event.type != events::JobEventType::exception && !event.tape_alert_flags.empty()) {
    // Only the exception report carries TapeAlert flags: the drive's alerts
    // read with a state change go as their own report, before it.
    events::JobEvent x = event;
    x.type = events::JobEventType::exception;
    x.reason = "TAPE_ALERT";
    x.text = "the drive reports TapeAlert flags";
    journal_->append(entry_class_for(x.type), command_for(x.type),
                     [&](uint64_t id) { return event_body(x, cfg_.streamer_uuid, id); });
  }
  journal_->append(entry_class_for(event.type), command_for(event.type),
                   [&](uint64_t id) { return event_body(event, cfg_.streamer_uuid, id); });
  if (wake_fd_ >= 0) wake(wake_fd_);
}

SpaceAnswer Bridge::space_check(const std::string& job_id, uint64_t estimated_bytes,
                                std::chrono::milliseconds deadline) {
  const SpacePolicy policy = space_policy_;
  if (off_) return events::space_not_asked();
  if (policy == SpacePolicy::skip) {
    ndmp::log::debug("job {}: backup space check skipped (cloudmanager.space_policy = skip)", job_id);
    SpaceAnswer a;
    a.outcome = SpaceOutcome::skipped;
    a.proceed = true;
    a.asked_bytes = estimated_bytes;
    a.text = "the backup space check is off (cloudmanager.space_policy = skip)";
    return a;
  }
  SpaceAnswer a = running_ ? space_.ask(job_id, estimated_bytes, deadline) : SpaceAnswer{};
  if (!running_) {
    a.outcome = SpaceOutcome::not_connected;
    a.asked_bytes = estimated_bytes;
    a.text = "the Cloud Manager bridge is not running";  // nobody to ask: do not sit out the deadline
  }
  if (a.outcome == SpaceOutcome::enough) {
    a.proceed = true;
    ndmp::log::info("job {}: {}", job_id, a.text);
    return a;
  }
  a.proceed = policy != SpacePolicy::refuse;
  if (a.proceed)
    ndmp::log::warn("job {}: backup space check: {}; going on (cloudmanager.space_policy = warn)", job_id, a.text);
  else
    ndmp::log::error("job {}: backup space check: {}; refusing the backup (cloudmanager.space_policy = refuse)",
                     job_id, a.text);
  return a;
}

BridgeStats Bridge::stats() const {
  BridgeStats s;
  s.connected = connected_;
  s.connects = connects_;
  s.delivered = delivered_;
  s.extension = extension_;
  s.not_sent = not_sent_;
  std::lock_guard lock(mu_);
  if (journal_) {
    const JournalStats j = journal_->stats();
    s.pending = j.pending;
    s.dropped = j.dropped;
  }
  return s;
}

// ---------------------------------------------------------------------------
// Report worker

void Bridge::run() {
  std::chrono::milliseconds backoff = conn_.reconnect_min;
  while (!stopping_) {
    if (reconfigure_pending_) {
      apply_reconfigure();
      backoff = conn_.reconnect_min;
      continue;
    }
    if (conn_.address.empty()) {  // off: wait for the next reconfigure or stop
      pause(std::chrono::hours(1));
      continue;
    }
    if (!link_.open()) {
      if (Status s = connect_and_hello(); !s.ok()) {
        if (stopping_) break;
        if (!unreachable_logged_) {
          ndmp::log::warn("cloud manager {}:{} unreachable: {}; retrying with backoff up to {} ms, "
                          "{} events kept in the journal",
                          conn_.address, conn_.port, s.text(), conn_.reconnect_max.count(),
                          journal_->stats().pending);
          unreachable_logged_ = true;
        } else {
          ndmp::log::debug("cloud manager {}:{} still unreachable: {}", conn_.address, conn_.port, s.text());
        }
        pause(backoff);
        backoff = std::min(backoff * 2, conn_.reconnect_max);
        continue;
      }
      backoff = conn_.reconnect_min;
      continue;
    }
    if (auto e = journal_->front()) {
      if (extension_ == Extension::accepted) send_event(*e);
      else set_aside(*e);
      continue;
    }
    read_idle();
  }
  close_connection("");
}

Status Bridge::connect_and_hello() {
  if (Status s = link_.connect(conn_.io_timeout); !s.ok()) return s;
  wire::StreamerHelloRequest hello;
  hello.set_streamer_uuid(cfg_.streamer_uuid);
  hello.set_streamer_name(conn_.streamer_name.empty() ? host_name() : conn_.streamer_name);
  hello.set_software_version("ndmpd " NDMPD_VERSION);
  const JournalStats js = journal_->stats();
  hello.set_first_event_id(static_cast<int64_t>(journal_->first_pending_id()));
  hello.set_next_event_id(static_cast<int64_t>(js.next_id));
  Frame reply;
  if (!exchange(encode_message(request_header(wire::Command_StreamerHello), hello), wire::Command_StreamerHello,
                reply))
    return Status::Error("StreamerHello got no usable reply (reason above)");
  const wire::ErrorCode e = reply.header.error_code;
  if (e != wire::ErrorCode_Success && !unknown_command(e)) {
    close_connection("");
    return Status::Error(fmt::format("StreamerHello refused: {}", wire::ErrorCode_Name(e)));
  }
  connected_ = true;
  ++connects_;
  unreachable_logged_ = false;
  refuse_pause_ = std::chrono::milliseconds(0);
  if (e == wire::ErrorCode_Success) {
    extension_ = Extension::accepted;
    ndmp::log::info("cloud manager {}:{} connected, job status extension accepted; {} events to send", conn_.address,
                    conn_.port, js.pending);
  } else {
    extension_ = Extension::unavailable;
    ndmp::log::warn("cloud manager {}:{} connected, but it does not know the job status extension (StreamerHello "
                    "answered {}): it gets backup space queries only, and job reports are not sent to it "
                    "({} waiting in the journal are set aside); asked again on every new connection",
                    conn_.address, conn_.port, wire::ErrorCode_Name(e), js.pending);
  }
  return Status::Ok();
}

void Bridge::close_connection(const std::string& why) {
  if (!link_.open()) return;
  if (!why.empty())
    ndmp::log::warn("cloud manager {}:{}: {}; closing the connection, events stay in the journal",
                    conn_.address, conn_.port, why);
  link_.close();
  connected_ = false;
  extension_ = Extension::unknown;
}

// Sends one request and reads the one reply within reply_timeout. False when
// the connection was closed (the reason is logged).
bool Bridge::exchange(const std::string& request, wire::Command command, Frame& reply) {
  const Exchange x = link_.exchange(request, command, Clock::now() + conn_.io_timeout, wake_fd_,
                                    [this] { return !stopping_.load(); }, reply);
  if (x == Exchange::answered) return true;
  connected_ = false;
  extension_ = Extension::unknown;
  if (x == Exchange::timeout)
    ndmp::log::warn("cloud manager {}:{}: no reply to {} within {} ms (cloudmanager.reply_timeout); closing the "
                    "connection, events stay in the journal",
                    conn_.address, conn_.port, wire::Command_Name(command), conn_.io_timeout.count());
  else if (x == Exchange::closed)
    ndmp::log::warn("cloud manager {}:{}: {}; closing the connection, events stay in the journal", conn_.address,
                    conn_.port, link_.why());
  return false;
}

void Bridge::send_event(const JournalEntry& e) {
  journal_->sync();  // on disk before the Cloud Manager can see it
  Header h = request_header(static_cast<wire::Command>(e.command));
  h.data_type = wire::DataType_Protobuf;
  Frame reply;
  if (!exchange(encode_frame(h, e.body), h.command, reply)) return;
  const wire::ErrorCode code = reply.header.error_code;
  if (code == wire::ErrorCode_Success) {
    journal_->acknowledge(e.id);
    ++delivered_;
    refuse_pause_ = std::chrono::milliseconds(0);
    return;
  }
  if (unknown_command(code)) {
    // Accepted the hello, not this command (a partial implementation): stop
    // sending reports on this connection rather than retrying forever.
    extension_ = Extension::unavailable;
    ndmp::log::warn("cloud manager {}:{} does not know {} ({}); job reports are not sent on this connection",
                    conn_.address, conn_.port, wire::Command_Name(h.command), wire::ErrorCode_Name(code));
    return;
  }
  refuse_pause_ = std::clamp(refuse_pause_ * 2, conn_.reconnect_min, conn_.reconnect_max);
  ndmp::log::warn("cloud manager refused event {} ({}): {}; keeping it, retrying in {} ms", e.id,
                  wire::Command_Name(h.command), wire::ErrorCode_Name(code), refuse_pause_.count());
  pause(refuse_pause_);
}

// The connected Cloud Manager cannot take reports: the event leaves the
// journal unsent, so the journal does not grow without bound.
void Bridge::set_aside(const JournalEntry& e) {
  journal_->acknowledge(e.id);
  ++not_sent_;
  ndmp::log::debug("cloud manager {}:{}: event {} ({}) not sent: no job status extension", conn_.address,
                   conn_.port, e.id, wire::Command_Name(static_cast<wire::Command>(e.command)));
}

// Between two exchanges (the worker's loop): the settings a reconfigure
// left become the ones in use; a new address closes the old connection.
void Bridge::apply_reconfigure() {
  std::optional<BridgeConnection> next;
  {
    std::lock_guard lock(mu_);
    next.swap(next_conn_);
    reconfigure_pending_ = false;
  }
  if (!next || *next == conn_) return;
  const bool moved = next->address != conn_.address || next->port != conn_.port;
  const std::string pending = fmt::format("{} events in the journal", journal_->stats().pending);
  if (next->address.empty()) {
    ndmp::log::info("cloud manager settings reloaded: bridge off, leaving {}:{}; reports stay in the journal ({}) "
                    "for the next address given",
                    conn_.address, conn_.port, pending);
  } else if (conn_.address.empty()) {
    ndmp::log::info("cloud manager settings reloaded: bridge on, reporting to {}:{}; {} go there", next->address,
                    next->port, pending);
  } else if (moved) {
    ndmp::log::info("cloud manager settings reloaded: moving from {}:{} to {}:{}; {} go to the new one",
                    conn_.address, conn_.port, next->address, next->port, pending);
  } else {
    ndmp::log::info("cloud manager settings reloaded for {}:{} (name {}, reply timeout {} ms, reconnect {}-{} ms, "
                    "space policy {}); reconnecting so the Cloud Manager sees them",
                    next->address, next->port, next->streamer_name, next->io_timeout.count(),
                    next->reconnect_min.count(), next->reconnect_max.count(), to_string(next->space_policy));
  }
  close_connection("");
  conn_ = *next;
  link_.retarget(conn_.address, conn_.port);
  unreachable_logged_ = false;
  refuse_pause_ = std::chrono::milliseconds(0);
}

// Sleeps `d` unless stopped or reconfigured.
void Bridge::pause(std::chrono::milliseconds d) {
  const auto until = Clock::now() + d;
  while (!stopping_ && !reconfigure_pending_) {
    const Wait w = wait_for(-1, wake_fd_, until);
    if (w != Wait::woken) return;
    drain_wake(wake_fd_);
  }
}

// Nothing to send: wait for work, and notice the Cloud Manager going away.
void Bridge::read_idle() {
  const Wait w = wait_for(link_.fd(), wake_fd_, Clock::now() + std::chrono::hours(1));
  if (w == Wait::woken) {
    drain_wake(wake_fd_);
    return;
  }
  if (w != Wait::readable) return;
  if (!link_.drain_unasked()) {
    connected_ = false;
    extension_ = Extension::unknown;
    ndmp::log::warn("cloud manager {}:{}: {}; closing the connection, events stay in the journal", conn_.address,
                    conn_.port, link_.why());
  }
}

}  // namespace ndmp::cm

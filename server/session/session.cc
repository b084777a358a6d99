#include "server/session/session.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#include "common/log.h"
#include "devices/inventory.h"
#include "server/context/context.h"
#include "server/datapath/device_state.h"
#include "server/jobs/job_state.h"
#include "xdr/record.h"

namespace ndmp::server {
namespace {

// After this many undecodable records in a row the peer is not speaking NDMP.
constexpr unsigned kMaxConsecutiveBad = 8;
// Socket read buffers: small before login (a connection that has not logged
// in must cost little), large after (TAPE_WRITE records).
constexpr size_t kPreLoginReadBuffer = 4 * 1024;
constexpr size_t kReadBuffer = 64 * 1024;

// Replies a peer that has not logged in may leave unread before it is
// closed: far more than a DMA's login exchange (a few hundred bytes).
constexpr size_t kPreLoginUnsentCap = 16 * 1024;

}  // namespace

// Answers the inventory's question "is this session certain to release its
// devices soon?": yes once the DMA has closed its side of the connection
// (the session thread will see the end of the stream and release everything)
// or the session has ended.
class Session::Holder final : public dev::DeviceHolder {
 public:
  explicit Holder(int fd) : fd_(fd) {}
  bool leaving() const override {
    std::lock_guard lock(mu_);
    if (ended_) return true;
    pollfd p{fd_, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
  }
  // After this the descriptor may be closed: it is never polled again.
  void end() {
    std::lock_guard lock(mu_);
    ended_ = true;
  }

 private:
  mutable std::mutex mu_;
  const int fd_;
  bool ended_ = false;
};

Session::Session(ServerContext& ctx, const DispatchIndex& dispatch, int fd, std::string peer, uint64_t id)
    : ctx_(ctx), dispatch_(dispatch), fd_(fd), peer_(std::move(peer)), id_(id),
      devices_(std::make_unique<SessionDevices>()), jobs_(std::make_unique<SessionJobs>()),
      holder_(std::make_shared<Holder>(fd)), outbox_(fd, fmt::format("session {} ({})", id, peer_)) {
  // The brake keys on the host part only: a peer reconnecting from a new port is the same peer.
  peer_host_ = peer_.substr(0, peer_.rfind(':'));
}

Session::~Session() {
  holder_->end();
  release_everything();
  // A connection the front door closed, or one that missed a deadline or
  // overflowed before login, is owed nothing: its socket is shut so the
  // outbox ends at once instead of waiting on a peer that does not read.
  if (abandon_output_ || (visitor_ && visitor_->cancelled && !authenticated_)) ::shutdown(fd_, SHUT_RDWR);
  outbox_.finish();  // the last reply and posts leave before the socket closes
  // Leave the front door before the descriptor is closed: the door may shut
  // a waiting connection's socket, and must never reach a reused number.
  if (visitor_) ctx_.front_door.leave(*visitor_);
  ::close(fd_);
}

SessionDevices& Session::devices() { return *devices_; }
SessionJobs& Session::jobs() { return *jobs_; }
std::shared_ptr<const dev::DeviceHolder> Session::device_holder() const { return holder_; }

std::string Session::tag() const { return fmt::format("session {} ({})", id_, peer_); }

bool Session::send(xdr::Header h, const msg::Body* body, Outbox::Kind kind) {
  // Encoded inside push(), so sequence numbers follow the order of the wire.
  return outbox_.push(kind, [&](uint32_t seq, std::vector<uint8_t>& framed) {
    std::vector<uint8_t> encoded;
    h.sequence = seq;
    h.time_stamp = static_cast<uint32_t>(std::time(nullptr));
    const int v = wire_version_.load();
    if (!xdr::encode(v, h, body, encoded)) {
      log::error("{}: cannot encode {} (version {}); replying NDMP_XDR_ENCODE_ERR", tag(), msg::code_label(h.code),
                 v);
      if (h.type != xdr::MessageType::reply) return false;
      h.error = msg::Error::xdr_encode;
      encoded.clear();
      if (!xdr::encode(v, h, nullptr, encoded)) return false;
    }
    framed.reserve(encoded.size() + 16);
    xdr::append_record(framed, encoded);
    return true;
  });
}

bool Session::send_post(uint32_t code, const msg::Body& body, Outbox::Kind kind) {
  xdr::Header h;
  h.type = xdr::MessageType::request;
  h.code = code;
  return send(h, &body, kind);
}

void Session::queue_post(uint32_t code, std::unique_ptr<msg::Body> body) {
  queued_posts_.emplace_back(code, std::move(body));
}

void Session::flush_queued_posts() {
  while (!queued_posts_.empty()) {
    auto [code, body] = std::move(queued_posts_.front());
    queued_posts_.pop_front();
    send_post(code, *body);
  }
}

void Session::run() {
  using Clock = std::chrono::steady_clock;
  const auto& cfg = ctx_.config;
  const Clock::time_point accepted = Clock::now();
  login_deadline_ = accepted + cfg.login_timeout;
  log::info("{}: connected", tag());
  {
    msg::NotifyConnectionStatusPost hello;
    hello.reason = msg::ConnectReason::connected;
    hello.protocol_version = kAnnouncedVersion;
    if (!send_post(msg::code::NOTIFY_CONNECTION_STATUS, hello)) {
      log::warn("{}: connection lost before the greeting could be sent", tag());
      return;
    }
  }
  // Before login: small records and a small read buffer, so a connection
  // that has not logged in costs a few KiB (SECURITY.md states the bound).
  xdr::RecordReader reader(Config::kPreLoginMaxRecord);
  std::vector<uint8_t> buf(kPreLoginReadBuffer);
  bool raised = false;
  Clock::time_point record_started = accepted;
  Clock::time_point last_activity = accepted;
  while (!closing_) {
    if (raised && buf.size() != kReadBuffer) buf.resize(kReadBuffer);
    // The nearest deadline, and what it is for.
    Clock::time_point now = Clock::now();
    Clock::time_point deadline = Clock::time_point::max();
    enum class Why { none, login, record, idle } why = Why::none;
    if (!authenticated_) {
      deadline = login_deadline_;
      why = Why::login;
    }
    if (!reader.idle() && record_started + cfg.record_timeout < deadline) {
      deadline = record_started + cfg.record_timeout;
      why = Why::record;
    }
    if (authenticated_ && cfg.idle_timeout.count() > 0 && reader.idle()) {
      // A job's end does not wake this thread: while there is work, look
      // again after idle-timeout; the session is closed between one and two
      // idle-timeouts after its last request or job.
      if (has_work()) last_activity = now;
      if (last_activity + cfg.idle_timeout < deadline) {
        deadline = last_activity + cfg.idle_timeout;
        why = Why::idle;
      }
    }
    int timeout_ms = -1;
    if (why != Why::none) {
      if (now >= deadline) {
        switch (why) {
          case Why::login:
            log::warn("{}: did not log in within {} s (login-timeout); closing the connection", tag(),
                      cfg.login_timeout.count() / 1000.0);
            break;
          case Why::record:
            log::warn("{}: a message took more than {} s to arrive (record-timeout); closing the connection",
                      tag(), cfg.record_timeout.count() / 1000.0);
            break;
          case Why::idle:
            log::info("{}: no request and no job for {} s (idle-timeout); closing the connection", tag(),
                      cfg.idle_timeout.count() / 1000.0);
            break;
          case Why::none:
            break;
        }
        // A peer past its deadline gets nothing more: what is queued for it
        // is dropped at once rather than drained (Outbox::kDrainAtEnd).
        abandon_output_ = true;
        break;
      }
      timeout_ms = static_cast<int>(
          std::min<int64_t>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count(), 60'000));
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      log::error("{}: poll: {}", tag(), std::strerror(errno));
      break;
    }
    if (r == 0) continue;  // a deadline: judged at the top of the loop
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      if (visitor_ && visitor_->cancelled && !authenticated_)
        log::info("{}: closed to make room for a newer connection (max-unauthenticated)", tag());
      else if (!reader.idle())
        log::warn("{}: connection closed in the middle of a message (truncated record)", tag());
      else
        log::info("{}: connection closed by the DMA", tag());
      break;
    }
    now = Clock::now();
    last_activity = now;
    if (reader.idle()) record_started = now;
    std::span<const uint8_t> data(buf.data(), static_cast<size_t>(n));
    while (!data.empty() && !closing_) {
      size_t consumed = 0;
      auto status = reader.feed(data, consumed);
      data = data.subspan(consumed);
      if (status == xdr::RecordReader::Status::too_large) {
        if (authenticated_)
          log::error("{}: message larger than the {} byte limit; closing this connection", tag(),
                     reader.max_record());
        else
          log::error("{}: message larger than the {} byte limit before login; closing this connection", tag(),
                     reader.max_record());
        abandon_output_ = !authenticated_;
        closing_ = true;
        break;
      }
      if (status == xdr::RecordReader::Status::complete) {
        std::vector<uint8_t> record = reader.take();
        if (!handle_record(record)) closing_ = true;
        if (!authenticated_ && !closing_ && outbox_.queued_bytes() > kPreLoginUnsentCap) {
          log::warn("{}: sends requests but does not read the replies ({} bytes unsent) before login; "
                    "closing the connection", tag(), outbox_.queued_bytes());
          abandon_output_ = true;
          closing_ = true;
        }
        record_started = Clock::now();  // the next record, if bytes of it follow
        last_activity = record_started;
        // Records after the login may be large: raise the cap before feeding
        // more (the read buffer grows at the top of the loop, once `data`,
        // which points into it, is used up).
        if (authenticated_ && !raised) {
          reader.set_limits(cfg.max_record_bytes());
          raised = true;
        }
      }
    }
  }
  holder_->end();
  log::info("{}: session ended", tag());
}

bool Session::has_work() {
  if (devices_->any_open()) return true;
  std::lock_guard lock(jobs_->mu);
  return jobs_->data_worker.joinable() || jobs_->mover_worker.joinable() || jobs_->data_listener ||
         jobs_->mover_listener || jobs_->data_acceptor.joinable();
}

std::string Session::source() const {
  if (visitor_) return visitor_->source;
  return peer_host_;
}

bool Session::handle_record(std::span<const uint8_t> record) {
  // Before CONNECT_OPEN only the version-0 handshake set is decoded; any
  // other first request means the DMA accepted the announced version (SPEC4 2.11.2).
  int v = negotiated_ ? version_ : 0;
  auto decoded = xdr::decode(v, record, scratch_);
  if (!negotiated_ && decoded.status == xdr::DecodeStatus::unknown_code) {
    v = kAnnouncedVersion;
    decoded = xdr::decode(v, record);
    if (decoded.status == xdr::DecodeStatus::ok) set_version(kAnnouncedVersion);
  }
  const xdr::Header& h = decoded.message.header;

  switch (decoded.status) {
    case xdr::DecodeStatus::ok:
      break;
    case xdr::DecodeStatus::short_record:
      log::warn("{}: discarded a {} byte record, too short for an NDMP header", tag(), record.size());
      return ++consecutive_bad_ < kMaxConsecutiveBad;
    case xdr::DecodeStatus::bad_header:
      log::warn("{}: discarded a record whose header is not NDMP (message type {})", tag(),
                static_cast<uint32_t>(h.type));
      return ++consecutive_bad_ < kMaxConsecutiveBad;
    case xdr::DecodeStatus::unknown_code:
    case xdr::DecodeStatus::bad_body: {
      if (h.type != xdr::MessageType::request) {
        log::warn("{}: ignored an unexpected reply to {}", tag(), msg::code_label(h.code));
        return ++consecutive_bad_ < kMaxConsecutiveBad;
      }
      const bool unknown = decoded.status == xdr::DecodeStatus::unknown_code;
      const msg::Error e = unknown ? msg::Error::not_supported : msg::Error::xdr_decode;
      log::warn("{}: {} 0x{:x} ({}) in NDMP v{}: replying {}", tag(),
                unknown ? "unsupported message" : "undecodable body of", h.code, msg::code_label(h.code), v,
                msg::to_string(e));
      xdr::Header rh;
      rh.type = xdr::MessageType::reply;
      rh.code = h.code;
      rh.reply_sequence = h.sequence;
      rh.error = e;
      if (!send(rh, nullptr)) return false;
      if (unknown) return true;  // a well-formed request we do not implement is not garbage
      return ++consecutive_bad_ < kMaxConsecutiveBad;
    }
  }
  consecutive_bad_ = 0;

  if (h.type == xdr::MessageType::reply) {
    log::warn("{}: ignored an unexpected reply to {}", tag(), msg::code_label(h.code));
    return true;
  }

  const DispatchEntry* entry = dispatch_.find(h.code);
  Reply reply;
  // Version 0 is the handshake subset (facts 1.4), identical in every version.
  const uint8_t vbit = v == 0 ? kAllVersions : static_cast<uint8_t>(1u << v);
  if (!entry || !(entry->versions & vbit)) {
    log::warn("{}: {} is not served in NDMP v{}; replying NDMP_NOT_SUPPORTED_ERR", tag(), msg::code_label(h.code), v);
    reply = Reply::header(msg::Error::not_supported);
  } else if (!authenticated_ && (entry->access == Access::authenticated ||
                                  (entry->access == Access::before_auth_v2 && v != 2))) {
    log::warn("{}: {} refused before authentication (NDMP_NOT_AUTHORIZED_ERR)", tag(), entry->name);
    reply = Reply::header(msg::Error::not_authorized);
  } else {
    log::debug("{}: {}", tag(), entry->name);
    reply = entry->handler(*this, *decoded.message.body);
    xdr::recycle(decoded, scratch_);
    // Every refused request leaves a line: which message, which error.
    if (reply.body) {
      if (msg::Error e = msg::reply_error(*reply.body); e != msg::Error::no_err)
        log::info("{}: {} answered {}", tag(), entry->name, msg::to_string(e));
    }
  }

  if (reply.send) {
    xdr::Header rh;
    rh.type = xdr::MessageType::reply;
    rh.code = h.code;
    rh.reply_sequence = h.sequence;
    rh.error = reply.header_error;
    if (!send(rh, reply.header_error == msg::Error::no_err ? reply.body.get() : nullptr)) return false;
  }
  flush_queued_posts();
  return true;
}

void Session::release_everything() {
  // A DMA that vanishes must not leave a job running or a drive locked (SPEC4 3.4.1).
  jobs_->shutdown(*this);
  devices_->close_all(tag());
}

dev::StatusOr<std::unique_ptr<dev::Transport>> Session::open_device(const std::string& name) {
  auto t = ctx_.inventory->open(name, device_holder());
  if (!t.ok()) return t;
  std::unique_ptr<dev::Transport> opened = std::move(t.value());
  if (ctx_.wrap_transport) opened = ctx_.wrap_transport(name, std::move(opened));
  // Outermost, so what a test's fault decorator injects is counted as the drive's own.
  auto info = ctx_.inventory->find(name);
  return ctx_.device_stats.watch(name, info.ok() ? info->kind : dev::DeviceKind::tape, std::move(opened));
}

}  // namespace ndmp::server

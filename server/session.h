// One DMA control connection.
//
//   DMA ──TCP──> Session::run()  (one thread per connection; poll with a deadline, then read)
//                   │ RecordReader: bytes → whole XDR records (size-capped:
//                   │   Config::kPreLoginMaxRecord until login, max_record_bytes() after)
//                   │ deadlines: login-timeout from accept until login, record-timeout
//                   │   from a record's first byte to its last, idle-timeout (when set)
//                   │   while logged in with no job, no open device and no request
//                   │ xdr::decode(version) → header + typed body
//                   │ find_handler(code): version check, access check
//                   │ handler(Session&, request) → Reply
//                   └ send reply, then the posts the handler queued
//   every reply and post ──> Outbox (server/outbox.h) ──> one sender thread ──> DMA
//
// Threads: run() owns reading and all per-session protocol state below; the
// only member other threads may call is send_post(), which queues and never
// writes to the socket itself. A failure to decode a
// record closes only this connection (after the reply the protocol names).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "server/auth.h"
#include "server/dispatch.h"
#include "server/front_door.h"
#include "server/outbox.h"
#include "xdr/codec.h"

namespace ndmp::dev {
class DeviceHolder;
}

namespace ndmp::server {

struct ServerContext;
struct SessionDevices;  // the session's open tape/SCSI device (handlers/device_state.h)
struct SessionJobs;     // DATA and MOVER of this session (handlers/job_state.h)

class Session {
 public:
  static constexpr int kAnnouncedVersion = 4;

  Session(ServerContext& ctx, int fd, std::string peer, uint64_t id);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run();

  // --- for handlers (session thread only) ---
  ServerContext& ctx() { return ctx_; }
  int version() const { return version_; }
  bool version_negotiated() const { return negotiated_; }
  void set_version(int v) {
    version_ = v;
    negotiated_ = true;
    wire_version_ = v;
  }
  bool authenticated() const { return authenticated_; }
  void set_authenticated(const std::string& user) { authenticated_ = true; user_ = user; }
  const std::string& user() const { return user_; }
  const std::string& peer() const { return peer_; }
  int control_fd() const { return fd_; }
  uint64_t id() const { return id_; }
  std::optional<Challenge>& md5_challenge() { return challenge_; }
  void request_close() { closing_ = true; }
  // Front door (front_door.h): this connection's admission, set by the
  // accept loop before run(); null only in tests that build a Session alone.
  void set_visitor(std::shared_ptr<Visitor> v) { visitor_ = std::move(v); }
  Visitor* visitor() { return visitor_.get(); }
  // The login brake's key: the source address (IPv4) or /64 (IPv6).
  std::string source() const;
  std::chrono::steady_clock::time_point login_deadline() const { return login_deadline_; }
  // v4 extension negotiation (facts 6.14)
  bool ext_list_got = false;
  bool ext_list_set = false;

  SessionDevices& devices();
  SessionJobs& jobs();
  // This session as the holder of the devices it opens: leaving once its DMA
  // has closed the connection or the session has ended (devices/inventory.h).
  std::shared_ptr<const dev::DeviceHolder> device_holder() const;

  // Queue a post to go out after the current reply (session thread).
  void queue_post(uint32_t code, std::unique_ptr<msg::Body> body);
  // Sends a post now, from any thread, behind everything already queued.
  // Urgent posts (NOTIFY_*) are always taken at once, so they may be sent
  // with a service mutex held; bulk ones (file history, LOG text) may wait
  // for a slow DMA and must be sent without any lock held. Returns false if
  // the connection is gone.
  bool send_post(uint32_t code, const msg::Body& body, Outbox::Kind kind = Outbox::Kind::urgent);

  // "session 7 (192.0.2.4:51230)" for log lines.
  std::string tag() const;

 private:
  bool handle_record(std::span<const uint8_t> record);
  // A job, a listening data connection or an open device: not idle.
  bool has_work();
  bool send(xdr::Header h, const msg::Body* body, Outbox::Kind kind = Outbox::Kind::urgent);
  void flush_queued_posts();
  void release_everything();

  ServerContext& ctx_;
  int fd_;
  std::string peer_;
  std::string peer_host_;
  uint64_t id_;
  int version_ = kAnnouncedVersion;
  bool negotiated_ = false;
  bool authenticated_ = false;
  bool closing_ = false;
  std::string user_;
  std::optional<Challenge> challenge_;
  unsigned consecutive_bad_ = 0;
  xdr::DecodeScratch scratch_;  // TAPE_WRITE's buffer, reused record after record
  std::shared_ptr<Visitor> visitor_;
  bool abandon_output_ = false;  // ended by a deadline or an overflow: drop what is unsent
  std::chrono::steady_clock::time_point login_deadline_ = std::chrono::steady_clock::time_point::max();

  // Written by the session thread only before the first message that uses
  // it (CONNECT_OPEN); read by pushers, which run after that.
  std::atomic<int> wire_version_{0};

  std::deque<std::pair<uint32_t, std::unique_ptr<msg::Body>>> queued_posts_;
  std::unique_ptr<SessionDevices> devices_;
  std::unique_ptr<SessionJobs> jobs_;
  class Holder;
  std::shared_ptr<Holder> holder_;
  // ~Session finishes it explicitly after the jobs have ended, so its sender
  // thread is gone before any member is destroyed.
  Outbox outbox_;
};

}  // namespace ndmp::server

// One DMA control connection.
//
//   DMA ──TCP──> Session::run()  (one thread per connection; poll with a deadline, then read)
//                   │ RecordReader: bytes → whole XDR records (size-capped:
//                   │   Config::kPreLoginMaxRecord until login, max_record_bytes() after)
//                   │ deadlines: login-timeout from accept until login, record-timeout
//                   │   from a record's first byte to its last, idle-timeout (when set)
//                   │   while logged in with no job, no open device and no request
//                   │ xdr::decode(version) → header + typed body
//                   │ dispatch_.find(code): version check, access check
//                   │ handler(Session&, request) → Reply
//                   └ send reply, then the posts the handler queued
//   every reply and post ──> Outbox (server/session/outbox.h) ──> one sender thread ──> DMA
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

#include "devices/status.h"
#include "devices/transport.h"
#include "server/context/auth.h"
#include "server/session/dispatch.h"
#include "server/context/front_door.h"
#include "server/session/outbox.h"
#include "xdr/codec.h"

namespace ndmp::dev {
class DeviceHolder;
}

namespace ndmp::server {

struct ServerContext;
struct SessionDevices;  // the session's open tape/SCSI device (datapath/device_state.h)
struct SessionJobs;     // DATA and MOVER of this session (jobs/job_state.h)

class Session final : public JobHost {
 public:
  static constexpr int kAnnouncedVersion = 4;

  // `dispatch` outlives the session (the composition root owns it).
  Session(ServerContext& ctx, const DispatchIndex& dispatch, int fd, std::string peer, uint64_t id);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run();

  // --- for handlers (session thread only) ---
  ServerContext& ctx() override { return ctx_; }
  int version() const override { return version_; }
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
  uint64_t id() const override { return id_; }
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

  SessionDevices& devices() override;
  SessionJobs& jobs() override;
  // This session as the holder of the devices it opens: leaving once its DMA
  // has closed the connection or the session has ended (devices/inventory.h).
  std::shared_ptr<const dev::DeviceHolder> device_holder() const;
  // Opens a device by inventory name for this session. A device still held
  // by a session whose DMA has closed its connection (a DMA that reconnects
  // the moment it disconnected) is waited for until released, not reported
  // busy.
  dev::StatusOr<std::unique_ptr<dev::Transport>> open_device(const std::string& name);

  // Queue a post to go out after the current reply (session thread).
  void queue_post(uint32_t code, std::unique_ptr<msg::Body> body) override;
  // Sends a post now, from any thread, behind everything already queued.
  // Urgent posts (NOTIFY_*) are always taken at once, so they may be sent
  // with a service mutex held; bulk ones (file history, LOG text) may wait
  // for a slow DMA and must be sent without any lock held. Returns false if
  // the connection is gone.
  bool send_post(uint32_t code, const msg::Body& body, PostKind kind) override;
  using JobHost::send_post;

  // "session 7 (192.0.2.4:51230)" for log lines.
  std::string tag() const override;

 private:
  bool handle_record(std::span<const uint8_t> record);
  // A job, a listening data connection or an open device: not idle.
  bool has_work();
  bool send(xdr::Header h, const msg::Body* body, Outbox::Kind kind = Outbox::Kind::urgent);
  void flush_queued_posts();
  void release_everything();

  ServerContext& ctx_;
  const DispatchIndex& dispatch_;
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

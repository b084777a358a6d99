// What a DATA or MOVER job needs from the session that started it: the
// shared context, the negotiated version, a name for log lines, the
// session's job and device state, and a way to post messages to the DMA.
// The session implements it; jobs/ sees only this, so jobs/ does not depend
// on session/ (docs/ARCHITECTURE.md, "Rooms").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "xdr/model.h"

namespace ndmp::server {

struct ServerContext;
struct SessionDevices;
struct SessionJobs;

// How a post waits for a DMA that reads slowly: urgent posts (NOTIFY_*) are
// always taken at once; bulk ones (file history, LOG text) wait while the
// session's outbox is full, so they must be sent without any lock held.
enum class PostKind { urgent, bulk };

class JobHost {
 public:
  virtual ServerContext& ctx() = 0;
  virtual int version() const = 0;
  // The session's number, as log lines and job records name it.
  virtual uint64_t id() const = 0;
  // "session 7 (192.0.2.4:51230)" for log lines.
  virtual std::string tag() const = 0;
  virtual SessionJobs& jobs() = 0;
  virtual SessionDevices& devices() = 0;
  // Queue a post to go out after the current reply (session thread only).
  virtual void queue_post(uint32_t code, std::unique_ptr<msg::Body> body) = 0;
  // Sends a post now, from any thread, behind everything already queued.
  // False if the connection is gone.
  virtual bool send_post(uint32_t code, const msg::Body& body, PostKind kind) = 0;
  bool send_post(uint32_t code, const msg::Body& body) { return send_post(code, body, PostKind::urgent); }

 protected:
  ~JobHost() = default;
};

// A LOG message to the DMA: LOG_LOG in v2, LOG_MESSAGE of `type` after.
// Texts carry names from the DMA and from tape, so control characters are
// escaped here whatever the call site let through. Bulk by default, so never
// sent with the jobs mutex held; urgent only where the DMA must see it before
// the post that follows (a halt).
bool log_to_dma(JobHost& s, msg::LogType type, const std::string& text, PostKind kind = PostKind::bulk);

}  // namespace ndmp::server

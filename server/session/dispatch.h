// One dispatch table per NDMP interface, keyed by message number.
//
// Each row names the message, says which versions define it, whether it may
// be served before authentication, and points at the handler. The session
// looks the code up, checks version and access centrally, decodes, calls the
// handler and sends the one reply; handlers never parse bytes or send replies.
#pragma once

#include <cstdint>
#include <memory>
#include <initializer_list>
#include <span>
#include <unordered_map>
#include <vector>

#include "xdr/model.h"

namespace ndmp::server {

class Session;

// What a handler returns: a reply body, or a header error (no body) for the
// cases the facts sheet puts in the header (1.3): NOT_SUPPORTED,
// NOT_AUTHORIZED, XDR_DECODE. Every other failure goes in the body.
struct Reply {
  msg::Error header_error = msg::Error::no_err;
  std::unique_ptr<msg::Body> body;
  bool send = true;  // false only for CONNECT_CLOSE, which is never answered

  static Reply header(msg::Error e) { return Reply{e, nullptr, true}; }
  static Reply none() { return Reply{msg::Error::no_err, nullptr, false}; }
  template <class B>
  static Reply of(std::unique_ptr<B> b) { return Reply{msg::Error::no_err, std::move(b), true}; }
};

// A reply that is only an error field (most NDMP replies).
inline Reply error_reply(msg::Error e) {
  auto r = std::make_unique<msg::ErrorReply>();
  r->error = e;
  return Reply::of(std::move(r));
}

// before_auth_v2: served before authentication in v2 only (CONFIG_GET_HOST_INFO is
// the only way a v2 DMA learns the auth types, facts 6.2).
enum class Access { before_auth, before_auth_v2, authenticated };

constexpr uint8_t kV2 = 1 << 2, kV3 = 1 << 3, kV4 = 1 << 4;
constexpr uint8_t kAllVersions = kV2 | kV3 | kV4;

using HandlerFn = Reply (*)(Session&, const msg::Body&);

struct DispatchEntry {
  uint32_t code;
  const char* name;
  uint8_t versions;  // kV2 | kV3 | kV4
  Access access;
  HandlerFn handler;
};

// Adapts a typed handler `Reply f(Session&, const Req&)` to the table's type.
// The codec guarantees the body's dynamic type matches the code.
template <class Req, Reply (*F)(Session&, const Req&)>
Reply typed(Session& s, const msg::Body& b) {
  return F(s, static_cast<const Req&>(b));
}

// Every interface's rows, indexed by message number. Built once by the
// composition root from the handlers' tables (handlers/tables.h) and shared,
// read-only, by every session: the session finds a handler without knowing
// which interfaces exist, so session/ does not depend on handlers/.
class DispatchIndex {
 public:
  // A code listed twice is a programming error caught by the dispatch test,
  // not silently shadowed: the first row wins and duplicates() names it.
  explicit DispatchIndex(std::initializer_list<std::span<const DispatchEntry>> tables);
  // The row for `code` (nullptr = unknown message).
  const DispatchEntry* find(uint32_t code) const;
  const std::vector<uint32_t>& duplicates() const { return duplicates_; }

 private:
  std::unordered_map<uint32_t, const DispatchEntry*> index_;
  std::vector<uint32_t> duplicates_;
};

}  // namespace ndmp::server

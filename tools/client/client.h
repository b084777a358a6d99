// The DMA side of an NDMP control connection: connect, negotiate, log in,
// send requests and wait for their replies, collect the server's posts.
// Used by ndmpctl and by the tests, over the same xdr/ codecs as the server.
//
// Threads: one Client is used by one thread. Posts that arrive while waiting
// for a reply are kept in arrival order and can be taken with next_post().
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xdr/codec.h"
#include "xdr/record.h"

namespace ndmp::client {

struct CallResult {
  bool ok = false;             // a reply arrived and decoded
  std::string failure;         // why not, for the operator
  xdr::Header header;          // reply header (error = header error)
  std::unique_ptr<msg::Body> body;

  template <class T>
  const T& as() const { return static_cast<const T&>(*body); }
  // The body's error field, or the header error if there is no body.
  msg::Error error() const;
};

class Client {
 public:
  Client() = default;
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // TCP connect and read the server's NOTIFY_CONNECTION_STATUS greeting.
  // `source`, when given, is the local address to connect from (tests use
  // 127.0.0.2 and the like to appear as another host). Returns an error text or empty.
  std::string connect(const std::string& host, uint16_t port, const std::string& source = "");
  int announced_version() const { return announced_; }

  // CONNECT_OPEN with `version` (0 = the server's announced version, capped at 4).
  std::string open(int version = 0);
  int version() const { return version_; }

  std::string auth_md5(const std::string& user, const std::string& password);
  std::string auth_text(const std::string& user, const std::string& password);
  std::string auth_none();

  // Sends a request and waits for its reply; posts received meanwhile are queued.
  CallResult call(uint32_t code, const msg::Body& request);
  CallResult call(uint32_t code) { msg::Empty e; return call(code, e); }
  // Sends a request that has no reply (CONNECT_CLOSE).
  bool send_only(uint32_t code, const msg::Body& request);

  // Waits up to `timeout` for a post (any code if code == 0); nullopt on timeout.
  std::optional<xdr::Message> next_post(uint32_t code = 0,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::deque<xdr::Message>& queued_posts() { return posts_; }

  // Sends a request whose body is given as already-encoded XDR bytes (for
  // codes this version has no codec for, or deliberately bad bodies) and
  // waits for the reply.
  CallResult call_raw(uint32_t code, const std::vector<uint8_t>& body_xdr);
  // For tests: raw bytes onto the socket, and the raw fd.
  bool send_raw(const std::vector<uint8_t>& bytes);
  int fd() const { return fd_; }
  void close();
  void set_reply_timeout(std::chrono::milliseconds t) { reply_timeout_ = t; }

 private:
  bool send_message(xdr::MessageType type, uint32_t code, const msg::Body* body, uint32_t& seq_out);
  CallResult wait_reply(uint32_t code, uint32_t seq);
  // Reads one record (waiting up to timeout); false on timeout/EOF/error.
  bool read_record(std::vector<uint8_t>& out, std::chrono::milliseconds timeout, std::string& why);

  int fd_ = -1;
  int announced_ = 0;
  int version_ = 0;  // 0 until CONNECT_OPEN
  uint32_t next_seq_ = 1;
  std::deque<xdr::Message> posts_;
  xdr::RecordReader reader_{16u << 20};
  std::vector<uint8_t> inbuf_;
  size_t inpos_ = 0;
  std::chrono::milliseconds reply_timeout_{std::chrono::seconds(120)};
};

}  // namespace ndmp::client

#include "tools/client/client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "fmt/format.h"
#include "xdr/auth_digest.h"

namespace ndmp::client {

msg::Error CallResult::error() const {
  if (header.error != msg::Error::no_err || !body) return header.error;
  return msg::reply_error(*body);
}

Client::~Client() { close(); }

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string Client::connect(const std::string& host, uint16_t port, const std::string& source) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) return fmt::format("cannot resolve {}: {}", host, gai_strerror(rc));
  std::string err = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (!source.empty()) {
      addrinfo shints{};
      shints.ai_family = ai->ai_family;
      shints.ai_socktype = SOCK_STREAM;
      shints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
      addrinfo* src = nullptr;
      if (getaddrinfo(source.c_str(), nullptr, &shints, &src) != 0 || ::bind(fd, src->ai_addr, src->ai_addrlen) != 0) {
        err = fmt::format("cannot bind to source address {}", source);
        if (src) freeaddrinfo(src);
        ::close(fd);
        continue;
      }
      freeaddrinfo(src);
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      fd_ = fd;
      break;
    }
    err = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  if (fd_ < 0) return fmt::format("cannot connect to {}:{}: {}", host, port, err);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  std::vector<uint8_t> rec;
  std::string why;
  if (!read_record(rec, std::chrono::seconds(30), why)) return "no greeting from the server: " + why;
  auto d = xdr::decode(0, rec);
  if (d.status != xdr::DecodeStatus::ok || d.message.header.code != msg::code::NOTIFY_CONNECTION_STATUS)
    return "the server's first message is not NOTIFY_CONNECTION_STATUS";
  auto& hello = static_cast<const msg::NotifyConnectionStatusPost&>(*d.message.body);
  if (hello.reason != msg::ConnectReason::connected)
    return fmt::format("server refused the connection: {}", hello.text);
  announced_ = hello.protocol_version;
  return {};
}

std::string Client::open(int version) {
  int v = version ? version : std::min(announced_, 4);
  msg::ConnectOpenRequest req;
  req.protocol_version = static_cast<uint16_t>(v);
  version_ = 0;  // CONNECT_OPEN travels as version 0 (facts 1.4)
  auto r = call(msg::code::CONNECT_OPEN, req);
  if (!r.ok) return r.failure;
  if (r.error() != msg::Error::no_err)
    return fmt::format("server refused NDMP version {}: {}", v, msg::to_string(r.error()));
  version_ = v;
  return {};
}

std::string Client::auth_text(const std::string& user, const std::string& password) {
  msg::ConnectClientAuthRequest req;
  req.auth.type = msg::AuthType::text;
  req.auth.id = user;
  req.auth.password = password;
  auto r = call(msg::code::CONNECT_CLIENT_AUTH, req);
  if (!r.ok) return r.failure;
  if (r.error() != msg::Error::no_err) return fmt::format("authentication failed: {}", msg::to_string(r.error()));
  return {};
}

std::string Client::auth_none() {
  msg::ConnectClientAuthRequest req;
  req.auth.type = msg::AuthType::none;
  auto r = call(msg::code::CONNECT_CLIENT_AUTH, req);
  if (!r.ok) return r.failure;
  if (r.error() != msg::Error::no_err) return fmt::format("authentication failed: {}", msg::to_string(r.error()));
  return {};
}

std::string Client::auth_md5(const std::string& user, const std::string& password) {
  msg::ConfigGetAuthAttrRequest areq;
  areq.type = msg::AuthType::md5;
  auto a = call(msg::code::CONFIG_GET_AUTH_ATTR, areq);
  if (!a.ok) return a.failure;
  if (a.error() != msg::Error::no_err)
    return fmt::format("server offers no MD5 challenge: {}", msg::to_string(a.error()));
  const auto& attr = a.as<msg::ConfigGetAuthAttrReply>().attr;
  msg::ConnectClientAuthRequest req;
  req.auth.type = msg::AuthType::md5;
  req.auth.id = user;
  req.auth.digest = xdr::md5_digest(password, attr.challenge);
  auto r = call(msg::code::CONNECT_CLIENT_AUTH, req);
  if (!r.ok) return r.failure;
  if (r.error() != msg::Error::no_err) return fmt::format("authentication failed: {}", msg::to_string(r.error()));
  return {};
}

bool Client::send_raw(const std::vector<uint8_t>& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t w = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(w);
  }
  return true;
}

bool Client::send_message(xdr::MessageType type, uint32_t code, const msg::Body* body, uint32_t& seq_out) {
  xdr::Header h;
  h.sequence = seq_out = next_seq_++;
  h.time_stamp = static_cast<uint32_t>(std::time(nullptr));
  h.type = type;
  h.code = code;
  std::vector<uint8_t> enc;
  if (!xdr::encode(version_, h, body, enc)) return false;
  std::vector<uint8_t> framed;
  xdr::append_record(framed, enc);
  return send_raw(framed);
}

bool Client::send_only(uint32_t code, const msg::Body& request) {
  uint32_t seq = 0;
  return send_message(xdr::MessageType::request, code, &request, seq);
}

bool Client::read_record(std::vector<uint8_t>& out, std::chrono::milliseconds timeout, std::string& why) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (inpos_ < inbuf_.size()) {
      size_t consumed = 0;
      auto st = reader_.feed(std::span<const uint8_t>(inbuf_).subspan(inpos_), consumed);
      inpos_ += consumed;
      if (st == xdr::RecordReader::Status::complete) {
        out = reader_.take();
        return true;
      }
      if (st == xdr::RecordReader::Status::too_large) {
        why = "record too large";
        return false;
      }
    }
    inbuf_.resize(64 * 1024);
    inpos_ = 0;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      inbuf_.clear();
      why = "timed out";
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) {
      // A signal (ndmpctl's Ctrl-C) is the caller's business, not a broken connection.
      inbuf_.clear();
      continue;
    }
    if (n <= 0) {
      inbuf_.clear();
      why = n == 0 ? "timed out" : std::strerror(errno);
      return false;
    }
    ssize_t got = ::recv(fd_, inbuf_.data(), inbuf_.size(), 0);
    if (got <= 0) {
      inbuf_.clear();
      why = got == 0 ? "connection closed by the server" : std::strerror(errno);
      return false;
    }
    inbuf_.resize(static_cast<size_t>(got));
  }
}

CallResult Client::call(uint32_t code, const msg::Body& request) {
  CallResult r;
  uint32_t seq = 0;
  if (!send_message(xdr::MessageType::request, code, &request, seq)) {
    r.failure = fmt::format("cannot send {}", msg::code_label(code));
    return r;
  }
  return wait_reply(code, seq);
}

CallResult Client::call_raw(uint32_t code, const std::vector<uint8_t>& body_xdr) {
  CallResult r;
  // The header through the codec (a reply-less header encodes for any code), then the raw body.
  xdr::Header h;
  h.sequence = next_seq_++;
  h.time_stamp = static_cast<uint32_t>(std::time(nullptr));
  h.type = xdr::MessageType::request;
  h.code = code;
  std::vector<uint8_t> rec;
  for (uint32_t w : {h.sequence, h.time_stamp, 0u, code, 0u, 0u})
    for (int i = 3; i >= 0; --i) rec.push_back(static_cast<uint8_t>(w >> (8 * i)));
  rec.insert(rec.end(), body_xdr.begin(), body_xdr.end());
  std::vector<uint8_t> framed;
  xdr::append_record(framed, rec);
  if (!send_raw(framed)) {
    r.failure = "cannot send";
    return r;
  }
  return wait_reply(code, h.sequence);
}

CallResult Client::wait_reply(uint32_t code, uint32_t seq) {
  CallResult r;
  for (;;) {
    std::vector<uint8_t> rec;
    std::string why;
    if (!read_record(rec, reply_timeout_, why)) {
      r.failure = fmt::format("no reply to {}: {}", msg::code_label(code), why);
      return r;
    }
    auto d = xdr::decode(version_ ? version_ : 0, rec);
    if (d.status != xdr::DecodeStatus::ok) {
      r.failure = fmt::format("undecodable message from the server ({})", xdr::to_string(d.status));
      return r;
    }
    if (d.message.header.type == xdr::MessageType::request) {
      posts_.push_back(std::move(d.message));
      continue;
    }
    if (d.message.header.reply_sequence != seq) continue;  // a stale reply
    r.ok = true;
    r.header = d.message.header;
    r.body = std::move(d.message.body);
    return r;
  }
}

std::optional<xdr::Message> Client::next_post(uint32_t code, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto it = posts_.begin(); it != posts_.end(); ++it) {
      if (code == 0 || it->header.code == code) {
        xdr::Message m = std::move(*it);
        posts_.erase(it);
        return m;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    std::vector<uint8_t> rec;
    std::string why;
    if (!read_record(rec, left, why)) return std::nullopt;
    auto d = xdr::decode(version_, rec);
    if (d.status == xdr::DecodeStatus::ok && d.message.header.type == xdr::MessageType::request)
      posts_.push_back(std::move(d.message));
  }
}

}  // namespace ndmp::client

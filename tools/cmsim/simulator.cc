#include "tools/cmsim/simulator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include "cloudmanager/tcp.h"
#include "common/log.h"

namespace ndmp::cmsim {

namespace wire = cm::wire;

namespace {

using own::json_string;

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Simulator::Simulator(SimConfig config)
    : cfg_(std::move(config)), free_bytes_(cfg_.free_bytes), seed_only_(cfg_.seed_only) {}

Simulator::~Simulator() {
  stop();
  if (record_ && record_ != stdout) std::fclose(record_);
}

cm::Status Simulator::start() {
  std::lock_guard lock(mu_);
  if (!cfg_.record_path.empty() && !record_) {
    record_ = cfg_.record_path == "-" ? stdout : std::fopen(cfg_.record_path.c_str(), "a");
    if (!record_) return cm::Status::Error(fmt::format("cmsim: record file {}: {}", cfg_.record_path, std::strerror(errno)));
  }
  stopping_ = false;
  return listen_locked();
}

cm::Status Simulator::listen_locked() {
  if (listen_fd_ >= 0) return cm::Status::Ok();
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return cm::Status::Error(fmt::format("cmsim: socket: {}", std::strerror(errno)));
  const int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_ ? port_.load() : cfg_.port);
  if (::inet_pton(AF_INET, cfg_.address.c_str(), &a.sin_addr) != 1) {
    ::close(s);
    return cm::Status::Error(fmt::format("cmsim: {} is not an IPv4 address", cfg_.address));
  }
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 16) != 0) {
    const int err = errno;
    ::close(s);
    return cm::Status::Error(fmt::format("cmsim: listen {}:{}: {}", cfg_.address, ntohs(a.sin_port), std::strerror(err)));
  }
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  listen_fd_ = s;
  accept_wake_ = cm::make_wake_fd();
  acceptor_ = std::thread([this, s, w = accept_wake_] { accept_loop(s, w); });
  ndmp::log::info("cmsim: listening on {}:{}", cfg_.address, port_.load());
  return cm::Status::Ok();
}

void Simulator::accept_loop(int listen_fd, int wake_fd) {
  for (;;) {
    const cm::Wait w = cm::wait_for(listen_fd, wake_fd, cm::Clock::now() + std::chrono::hours(1));
    if (w == cm::Wait::woken || w == cm::Wait::error) return;
    if (w != cm::Wait::readable) continue;
    const int c = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::lock_guard lock(mu_);
    reap_locked();
    conns_.emplace_back();
    Conn* conn = &conns_.back();
    conn->fd = c;
    ++accepted_;
    conn->thread = std::thread([this, conn] { serve(conn); });
  }
}

void Simulator::reap_locked() {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (it->done) {
      it->thread.join();
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

void Simulator::serve(Conn* conn) {
  const std::string peer = cm::peer_name(conn->fd);
  std::string in;
  char buf[8192];
  bool close_now = false;
  while (!close_now) {
    const ssize_t n = ::recv(conn->fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
    // Whole frames only; the header is checked before any body is awaited.
    while (in.size() >= own::kHeaderBytes) {
      own::Header h;
      std::string why;
      if (!own::read_header(reinterpret_cast<const uint8_t*>(in.data()), cfg_.max_body, h, why)) {
        Received r;
        r.answered = false;
        record(r, fmt::format(R"({{"time":{},"peer":{},"bad_frame":{},"answer":"none: bad frame"}})",
                              now_seconds(), json_string(peer), json_string(why)));
        ndmp::log::warn("cmsim: bad frame from {}: {}; closing that connection", peer, why);
        close_now = true;
        break;
      }
      if (in.size() < own::kHeaderBytes + static_cast<std::size_t>(h.body_length)) break;
      const std::string body = in.substr(own::kHeaderBytes, static_cast<std::size_t>(h.body_length));
      in.erase(0, own::kHeaderBytes + static_cast<std::size_t>(h.body_length));
      own::Header reply;
      std::string reply_body;
      const Action act = handle(h, body, peer, reply, reply_body);
      if (act == Action::disconnect) {
        close_now = true;
        break;
      }
      if (act == Action::silent) continue;
      if (const int64_t d = delay_ms_; d > 0) {
        std::unique_lock lock(mu_);
        changed_.wait_for(lock, std::chrono::milliseconds(d), [&] { return stopping_.load() || conn->fd < 0; });
      }
      reply.body_length = static_cast<int32_t>(reply_body.size());
      std::string err;
      if (!cm::send_all(conn->fd, own::write_header(reply) + reply_body, cm::Clock::now() + std::chrono::seconds(10),
                        err)) {
        close_now = true;
        break;
      }
    }
  }
  std::lock_guard lock(mu_);
  ::shutdown(conn->fd, SHUT_RDWR);
  ::close(conn->fd);
  conn->fd = -1;
  conn->done = true;
}

Simulator::Action Simulator::handle(const own::Header& h, const std::string& body, const std::string& peer,
                                    own::Header& reply, std::string& reply_body) {
  Received r;
  r.command = static_cast<wire::Command>(h.command);
  r.body = body;
  reply.version = own::seed::kVersionV1;
  reply.direction = own::seed::kCloudManagerToStreamer;
  reply.command = h.command;
  reply.data_type = own::seed::kDataTypeProtobuf;

  const own::CommandSchema* info = own::find_schema(h.command);
  if (info && seed_only_ && !info->in_seed) info = nullptr;  // a seed-only Cloud Manager does not know it
  std::string body_text = "null";
  bool decoded = false;
  if (!info) {
    reply.error_code = own::seed::kUnrecognizedCommand;
  } else if (std::string why; !own::read_body(h.command, body, r.fields, why)) {
    reply.error_code = own::seed::kDeserializeFailed;
    ndmp::log::warn("cmsim: {} from {} does not decode: {}", info->name, peer, why);
  } else {
    decoded = true;
  }
  Action act = Action::reply;
  if (decoded) {
    body_text = own::body_json(r.fields);
    r.streamer_uuid = r.str("streamer_uuid");
    r.event_id = r.num("event_id");
    if (info->is_event) {
      std::lock_guard lock(mu_);
      r.duplicate = !seen_events_.insert({r.streamer_uuid, r.event_id}).second;
    }
    const bool is_query = h.command == own::seed::kQueryBackupSpaceEnough;
    if ((is_query && query_silent_) || (info->is_event && report_silent_)) {
      act = Action::silent;
    } else if (refuse_ && h.command != own::ext::kStreamerHello) {
      reply.error_code = 10000 + h.command;  // the summary's rule: operation errors = 10000 + command
    } else if (is_query && query_error_ != 0) {
      reply.error_code = query_error_;
    } else if (is_query) {
      const int64_t free = free_bytes_;
      reply_body = own::write_space_response(r.num("backup_size") <= free, free);
    }
    if (info->is_event && (reply.error_code != own::seed::kSuccess || act == Action::silent)) {
      // Not taken: the same id must count as new next time.
      std::lock_guard lock(mu_);
      if (!r.duplicate) seen_events_.erase({r.streamer_uuid, r.event_id});
    }
  }
  if (act == Action::reply) {
    if (int n = disconnect_after_.load(); n > 0) {
      if (disconnect_after_.fetch_sub(1) == 1) act = Action::disconnect;
    }
  }
  r.answer = static_cast<wire::ErrorCode>(reply.error_code);
  r.answered = act == Action::reply;
  r.silent = act == Action::silent;
  const std::string answer_text =
      act == Action::reply        ? json_string(wire::ErrorCode_Name(r.answer).empty()
                                                    ? std::to_string(reply.error_code)
                                                    : wire::ErrorCode_Name(r.answer))
      : act == Action::silent     ? std::string("\"none: silent\"")
                                  : std::string("\"none: disconnected\"");
  const own::CommandSchema* known = own::find_schema(h.command);
  const std::string line = fmt::format(
      R"({{"time":{},"peer":{},"version":{},"data_type":{},"direction":{},"command":{},"command_number":{},)"
      R"("error_code":{},"flags1":{},"body_length":{},"body":{},"duplicate":{},"answer":{}}})",
      now_seconds(), json_string(peer), h.version, h.data_type, h.direction,
      json_string(known ? known->name : "unknown"), h.command, h.error_code, h.flags1, h.body_length, body_text,
      r.duplicate ? "true" : "false", answer_text);
  record(std::move(r), line);
  return act;
}

void Simulator::record(Received r, const std::string& line) {
  std::lock_guard lock(mu_);
  r.seq = received_.size() + 1;
  r.json = fmt::format("{{\"seq\":{},{}", r.seq, line.substr(1));
  if (record_) {
    std::fputs(r.json.c_str(), record_);
    std::fputc('\n', record_);
    std::fflush(record_);
  }
  received_.push_back(std::move(r));
  changed_.notify_all();
}

void Simulator::set_free_space(int64_t bytes) { free_bytes_ = bytes; }
void Simulator::set_refuse(bool refuse) { refuse_ = refuse; }
void Simulator::set_delay(std::chrono::milliseconds delay) {
  delay_ms_ = delay.count();
  changed_.notify_all();
}
void Simulator::set_disconnect_after(int n) { disconnect_after_ = n; }
void Simulator::set_seed_only(bool seed_only) { seed_only_ = seed_only; }
void Simulator::set_query_error(int32_t error_code) { query_error_ = error_code; }
void Simulator::set_query_silent(bool silent) { query_silent_ = silent; }
void Simulator::set_report_silent(bool silent) { report_silent_ = silent; }

std::string Received::str(const std::string& name) const {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second.text;
}
int64_t Received::num(const std::string& name) const {
  auto it = fields.find(name);
  return it == fields.end() ? 0 : it->second.number;
}
std::vector<int64_t> Received::nums(const std::string& name) const {
  auto it = fields.find(name);
  return it == fields.end() ? std::vector<int64_t>{} : it->second.numbers;
}

void Simulator::disconnect_all() {
  std::lock_guard lock(mu_);
  for (Conn& c : conns_)
    if (c.fd >= 0) ::shutdown(c.fd, SHUT_RDWR);
  changed_.notify_all();
}

void Simulator::drop_connections() {
  std::list<Conn> conns;
  {
    std::lock_guard lock(mu_);
    for (Conn& c : conns_)
      if (c.fd >= 0) ::shutdown(c.fd, SHUT_RDWR);
    conns.splice(conns.end(), conns_);
    changed_.notify_all();
  }
  for (Conn& c : conns) c.thread.join();
}

void Simulator::go_away() {
  std::thread acceptor;
  {
    std::lock_guard lock(mu_);
    if (listen_fd_ < 0) return;
    cm::wake(accept_wake_);
    acceptor.swap(acceptor_);
  }
  acceptor.join();
  {
    std::lock_guard lock(mu_);
    ::close(listen_fd_);
    ::close(accept_wake_);
    listen_fd_ = accept_wake_ = -1;
  }
  drop_connections();
  ndmp::log::info("cmsim: gone away (port {} closed)", port_.load());
}

cm::Status Simulator::come_back() {
  std::lock_guard lock(mu_);
  return listen_locked();
}

void Simulator::stop() {
  stopping_ = true;
  go_away();
}

std::vector<Received> Simulator::received() const {
  std::lock_guard lock(mu_);
  return received_;
}

std::vector<Received> Simulator::events() const {
  std::lock_guard lock(mu_);
  std::vector<Received> out;
  for (const Received& r : received_) {
    const own::CommandSchema* info = own::find_schema(r.command);
    // An event recorded but not answered (disconnect) was still taken; its
    // re-send is the duplicate. One left silent was not.
    if (info && info->is_event && !r.duplicate && r.answer == wire::ErrorCode_Success && !r.silent)
      out.push_back(r);
  }
  return out;
}

std::size_t Simulator::connections_accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

bool Simulator::wait_until(const std::function<bool(const Simulator&)>& pred,
                           std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    lock.unlock();
    if (pred(*this)) return true;
    lock.lock();
    if (changed_.wait_until(lock, until) == std::cv_status::timeout) {
      lock.unlock();
      return pred(*this);
    }
  }
}

}  // namespace ndmp::cmsim

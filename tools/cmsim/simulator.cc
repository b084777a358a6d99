#include "tools/cmsim/simulator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include "cloudmanager/commands.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "cloudmanager/tcp.h"
#include "common/log.h"

namespace ndmp::cmsim {

namespace wire = cm::wire;

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<int>(c));
        else out += c;
    }
  }
  return out + "\"";
}

std::string body_json(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string s;
  if (!google::protobuf::util::MessageToJsonString(m, &s, o).ok()) return "null";
  return s;
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Simulator::Simulator(SimConfig config) : cfg_(std::move(config)), free_bytes_(cfg_.free_bytes) {}

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
  cm::FrameBuffer in(cm::FrameRules{wire::MessageDirection_StreamerToCloudManager, cfg_.max_body});
  char buf[8192];
  for (;;) {
    const ssize_t n = ::recv(conn->fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
    cm::Frame f;
    std::string why;
    bool close_now = false;
    for (;;) {
      const cm::DecodeStatus s = in.next(f, why);
      if (s == cm::DecodeStatus::need_more) break;
      if (s == cm::DecodeStatus::bad) {
        Received r;
        r.answered = false;
        record(r, fmt::format(R"({{"time":{},"peer":{},"bad_frame":{},"answer":"none: bad frame"}})",
                              now_seconds(), json_string(peer), json_string(why)));
        ndmp::log::warn("cmsim: bad frame from {}: {}; closing that connection", peer, why);
        close_now = true;
        break;
      }
      cm::Header reply;
      std::string reply_body;
      if (!handle(f, peer, reply, reply_body)) {
        close_now = true;
        break;
      }
      if (const int64_t d = delay_ms_; d > 0) {
        std::unique_lock lock(mu_);
        changed_.wait_for(lock, std::chrono::milliseconds(d), [&] { return stopping_.load() || conn->fd < 0; });
      }
      std::string err;
      if (!cm::send_all(conn->fd, cm::encode_frame(reply, reply_body), cm::Clock::now() + std::chrono::seconds(10), err)) {
        close_now = true;
        break;
      }
    }
    if (close_now) break;
  }
  std::lock_guard lock(mu_);
  ::shutdown(conn->fd, SHUT_RDWR);
  ::close(conn->fd);
  conn->fd = -1;
  conn->done = true;
}

bool Simulator::handle(const cm::Frame& f, const std::string& peer, cm::Header& reply, std::string& reply_body) {
  Received r;
  r.command = f.header.command;
  r.body = f.body;
  reply.direction = wire::MessageDirection_CloudManagerToStreamer;
  reply.command = f.header.command;
  reply.data_type = wire::DataType_Protobuf;

  const cm::CommandInfo* info = cm::find_command(f.header.command);
  std::string body = "null";
  std::unique_ptr<google::protobuf::Message> msg;
  if (!info) {
    reply.error_code = wire::ErrorCode_UnrecognizedCommand;
  } else {
    msg.reset(info->request->New());
    if (!cm::parse_body(f, *msg)) {
      reply.error_code = wire::ErrorCode_DeserializeFailed;
      msg.reset();
    }
  }
  if (msg) {
    body = body_json(*msg);
    const auto* d = msg->GetDescriptor();
    const auto* refl = msg->GetReflection();
    if (const auto* fu = d->FindFieldByName("streamer_uuid")) r.streamer_uuid = refl->GetString(*msg, fu);
    if (const auto* fe = d->FindFieldByName("event_id")) r.event_id = refl->GetInt64(*msg, fe);
    const bool refuse = refuse_;
    if (info->is_event) {
      std::lock_guard lock(mu_);
      r.duplicate = !seen_events_.insert({r.streamer_uuid, r.event_id}).second;
    }
    if (refuse && f.header.command != wire::Command_StreamerHello) {
      reply.error_code = info->failed;
      if (info->is_event) {
        // Refused means not taken: the same id must count as new next time.
        std::lock_guard lock(mu_);
        if (!r.duplicate) seen_events_.erase({r.streamer_uuid, r.event_id});
      }
    } else if (f.header.command == wire::Command_QueryBackupSpaceEnough) {
      const auto& q = static_cast<const wire::QueryBackupSpaceEnoughRequest&>(*msg);
      wire::QueryBackupSpaceEnoughResponse a;
      a.set_free_size(free_bytes_);
      a.set_enough(q.backup_size() <= a.free_size());
      reply_body = a.SerializeAsString();
    }
  }
  bool answer = true;
  if (int n = disconnect_after_.load(); n > 0) {
    if (disconnect_after_.fetch_sub(1) == 1) answer = false;
  }
  r.answer = reply.error_code;
  r.answered = answer;
  const std::string answer_text =
      answer ? json_string(wire::ErrorCode_Name(reply.error_code)) : std::string("\"none: disconnected\"");
  const std::string line = fmt::format(
      R"({{"time":{},"peer":{},"version":{},"data_type":{},"direction":{},"command":{},"command_number":{},)"
      R"("error_code":{},"flags1":{},"body_length":{},"body":{},"duplicate":{},"answer":{}}})",
      now_seconds(), json_string(peer), static_cast<int>(f.header.version),
      json_string(wire::DataType_Name(f.header.data_type)), json_string(wire::MessageDirection_Name(f.header.direction)),
      json_string(wire::Command_Name(f.header.command)), static_cast<int>(f.header.command),
      json_string(wire::ErrorCode_Name(f.header.error_code)), f.header.flags1, f.header.body_length, body,
      r.duplicate ? "true" : "false", answer_text);
  record(std::move(r), line);
  return answer;
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
    const cm::CommandInfo* info = cm::find_command(r.command);
    // An event recorded but not answered (disconnect) was still taken; its
    // re-send is the duplicate.
    if (info && info->is_event && !r.duplicate && r.answer == wire::ErrorCode_Success)
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

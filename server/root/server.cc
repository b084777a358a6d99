#include "server/root/server.h"
#include "snapshot/snapshot.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <mutex>
#include <set>
#include <system_error>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "cloudmanager/bridge.h"
#include "common/log.h"
#include "server/handlers/tables.h"
#include "server/root/device_setup.h"
#include "server/session/session.h"

namespace ndmp::server {
namespace {

std::string address_text(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    // Dual-stack sockets show IPv4 peers as ::ffff:a.b.c.d; print them as IPv4.
    if (std::strncmp(host, "::ffff:", 7) == 0 && std::strchr(host + 7, '.'))
      return fmt::format("{}:{}", host + 7, port);
    return fmt::format("[{}]:{}", host, port);
  }
  return fmt::format("{}:{}", host, port);
}

// Binds one listen address; "*" tries IPv6 dual-stack first, then IPv4.
int bind_one(const ListenAddress& a, std::string& err, uint16_t& bound_port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  const bool any = a.host.empty() || a.host == "*";
  hints.ai_family = any ? AF_INET6 : AF_UNSPEC;
  std::string port = std::to_string(a.port);
  for (int attempt = 0; attempt < 2; ++attempt) {
    addrinfo* res = nullptr;
    int rc = getaddrinfo(any ? nullptr : a.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) {
      err = fmt::format("cannot resolve listen address {}: {}", a.host, gai_strerror(rc));
      return -1;
    }
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
      int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      int one = 1, zero = 0;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (ai->ai_family == AF_INET6 && any) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
        bound_port = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                              : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        freeaddrinfo(res);
        return fd;
      }
      err = fmt::format("cannot listen on {}:{}: {}", any ? "*" : a.host, a.port, std::strerror(errno));
      ::close(fd);
    }
    freeaddrinfo(res);
    if (!any) break;
    hints.ai_family = AF_INET;  // no IPv6 on this host: fall back to IPv4 only
  }
  return -1;
}

// The bridge's configuration from ndmpd's. An unset identity becomes a
// name-based UUID of the machine id: stable across restarts (the Cloud
// Manager keys its duplicate detection on it) and different per host.
cm::BridgeConfig bridge_config(const Config& c, const HostIdentity& host) {
  cm::BridgeConfig b;
  b.address = c.cm_address;
  b.port = c.cm_port;
  b.streamer_uuid = c.cm_uuid;
  if (b.streamer_uuid.empty()) {
    const auto ns = boost::uuids::string_generator()("6ba7b810-9dad-11d1-80b4-00c04fd430c8");  // RFC 4122 DNS namespace
    b.streamer_uuid = boost::uuids::to_string(boost::uuids::name_generator_sha1(ns)("ndmpd:" + host.hostid));
  }
  b.streamer_name = c.cm_name.empty() ? host.hostname : c.cm_name;
  b.journal_path = c.cm_journal.empty() ? (std::filesystem::path(c.state_dir) / "cloudmanager.journal").string()
                                        : c.cm_journal;
  b.journal_max_bytes = c.cm_journal_max_bytes;
  b.progress_interval = c.cm_progress_interval;
  if (!cm::parse_space_policy(c.cm_space_policy, b.space_policy)) b.space_policy = cm::SpacePolicy::warn;
  b.space_timeout = c.cm_space_timeout;
  b.io_timeout = c.cm_reply_timeout;
  b.reconnect_min = c.cm_reconnect_min;
  b.reconnect_max = c.cm_reconnect_max;
  return b;
}

}  // namespace

HostIdentity read_host_identity() {
  HostIdentity h;
  utsname u{};
  if (::uname(&u) == 0) {
    h.hostname = u.nodename;
    h.os_type = u.sysname;
    h.os_vers = u.release;
  }
  // The machine id is stable across restarts and unique per host; DMAs may
  // license on hostid, so it must not change when ndmpd restarts.
  for (const char* path : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
    std::ifstream in(path);
    if (in && std::getline(in, h.hostid) && !h.hostid.empty()) break;
  }
  if (h.hostid.empty()) h.hostid = fmt::format("{:08x}", static_cast<uint32_t>(::gethostid()));
  return h;
}

Server::Server(Config config) : ctx_(std::make_unique<ServerContext>()), dispatch_(index_all_interfaces()) {
  ctx_->config = std::move(config);
}

Server::~Server() {
  stop();
  // Sessions hold references to the context: wait until the last one is gone.
  {
    std::unique_lock lock(sessions_mutex_);
    sessions_done_.wait(lock, [&] { return running_sessions_ == 0; });
  }
  if (job_events_) {
    // Every job has halted; its events are delivered to the bridge and
    // journalled; what is unsent stays in the journal for the next start.
    job_events_->stop();
    ctx_->jobs = nullptr;
    job_events_.reset();
  }
  if (bridge_) bridge_->stop();
  for (int fd : listen_fds_) ::close(fd);
  if (wake_pipe_[0] >= 0) ::close(wake_pipe_[0]);
  if (wake_pipe_[1] >= 0) ::close(wake_pipe_[1]);
}

std::string Server::start() {
  auto& cfg = ctx_->config;
  ctx_->host = read_host_identity();
  // Archive member names are stored as UTF-8 (pax); libarchive converts
  // through the C library's locale, which is plain ASCII unless set.
  if (const char* cur = std::setlocale(LC_CTYPE, nullptr); cur && std::strcmp(cur, "C") == 0)
    std::setlocale(LC_CTYPE, "C.UTF-8");
  {
    // Dump dates and journals live here; only ndmpd needs to read them.
    std::error_code ec;
    std::filesystem::create_directories(cfg.state_dir, ec);
    if (ec) return fmt::format("cannot create state directory {}: {}", cfg.state_dir, ec.message());
    ::chmod(cfg.state_dir.c_str(), 0700);
  }
  {
    // Snapshots a killed ndmpd left behind (snapshot/snapshot.h), before any job.
    std::vector<std::string> report;
    auto st = snapshot::remove_stale(cfg.state_dir, cfg.snapshots, report);
    for (const auto& line : report) (st.ok() ? log::warn("{}", line) : log::error("{}", line));
  }
  {
    // Users and exports: the first snapshot; a reload (ops/reload.h) publishes the next.
    std::string err;
    auto settings = load_settings(cfg, err);
    if (!settings) return err;
    ctx_->publish(std::move(settings));
  }
  if (std::string err = setup_devices(*ctx_); !err.empty()) return err;
  if (!cfg.cm_address.empty()) {
    auto bridge = std::make_unique<cm::Bridge>(bridge_config(cfg, ctx_->host));
    if (cm::Status st = bridge->start(); !st.ok()) return st.text();
    bridge_ = std::move(bridge);
    live_bridge_ = bridge_.get();
  }
  events::JobEventSink* observers = bridge_.get();
  if (observer_) observers = (tee_ = std::make_unique<events::TeeSink>(*observer_, bridge_.get())).get();
  if (observers) {
    job_events_ = std::make_unique<JobEventQueue>(*observers);
    ctx_->jobs = job_events_.get();
  }

  // --- Front door (issue 15)
  ctx_->front_door.configure({cfg.max_unauthenticated, cfg.max_unauthenticated_per_source, cfg.max_sessions});
  ctx_->brake.configure({cfg.login_brake_after, cfg.login_brake_step, cfg.login_brake_max, cfg.login_lockout_after,
                         cfg.login_lockout});
  {
    // Every connection is a descriptor: make room for all the sessions and
    // connections the configuration allows, as far as the hard limit lets.
    const rlim_t want = rlim_t{cfg.max_sessions} + cfg.max_unauthenticated + 256;
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
      rl.rlim_cur = std::min(want, rl.rlim_max);
      ::setrlimit(RLIMIT_NOFILE, &rl);
      if (rl.rlim_cur < want)
        log::warn("open file limit is {} (hard limit); max-sessions {} and max-unauthenticated {} need about {}",
                  rl.rlim_cur, cfg.max_sessions, cfg.max_unauthenticated, want);
    }
  }
  // --- end of front door
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  for (const auto& a : cfg.listen) {
    std::string err;
    uint16_t port = 0;
    int fd = bind_one(a, err, port);
    if (fd < 0) return err;
    listen_fds_.push_back(fd);
    ports_.push_back(port);
    log::info("listening on {}:{}", a.host.empty() ? "*" : a.host, port);
  }
  return {};
}

std::string Server::reconfigure_cloudmanager(const Config& c) {
  const cm::BridgeConfig next = bridge_config(c, ctx_->host);
  if (bridge_) {
    cm::Status st = bridge_->reconfigure(cm::connection_of(next));
    return st.ok() ? std::string() : st.text();
  }
  if (c.cm_address.empty()) return {};
  // ndmpd's main() always observes jobs, so the tee exists; a Server built
  // without an observer has no place to plug a bridge in after start.
  if (!tee_) return "cloudmanager.address: this server started without a Cloud Manager or a job observer; restart it";
  auto bridge = std::make_unique<cm::Bridge>(next);
  if (cm::Status st = bridge->start(); !st.ok()) return st.text();
  tee_->attach_second(*bridge);
  bridge_ = std::move(bridge);
  live_bridge_ = bridge_.get();
  return {};
}

void Server::serve() {
  std::vector<pollfd> pfds;
  for (int fd : listen_fds_) pfds.push_back({fd, POLLIN, 0});
  pfds.push_back({wake_pipe_[0], POLLIN, 0});
  while (!stopping_) {
    int n = ::poll(pfds.data(), pfds.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("poll: {}", std::strerror(errno));
      break;
    }
    for (size_t i = 0; i + 1 < pfds.size(); ++i) {
      if (!(pfds[i].revents & POLLIN)) continue;
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      int fd = ::accept4(pfds[i].fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // The connection stays in the backlog; polling the listen socket
          // again at once would spin. Pause accepting for a moment (a real
          // timeout: descriptors come back as sessions end).
          log::error("cannot accept a connection: {}; pausing accepts for 100 ms (raise 'ulimit -n'?)",
                     std::strerror(errno));
          pollfd w{wake_pipe_[0], POLLIN, 0};
          ::poll(&w, 1, 100);
        }
        continue;
      }
      admit(fd, ss);
    }
  }
}

void Server::admit(int fd, const sockaddr_storage& ss) {
  std::string peer = address_text(ss);
  const std::string source = source_key(ss);
  if (ctx_->brake.locked_out(source, LoginBrake::Clock::now())) {
    // Said once per lockout window would be nicer; one line per refused
    // connection is what the operator can count.
    log::warn("refused connection from {}: too many failed logins from {} (login-lockout)", peer, source);
    ::close(fd);
    return;
  }
  const uint64_t id = ctx_->next_session_id++;
  auto adm = ctx_->front_door.admit(id, source, fd);
  if (adm.evicted) {
    log::info("session {} (from {}) closed before login to make room for a connection from {} "
              "(max-unauthenticated {}, max-unauthenticated-per-source {})",
              adm.evicted_id, adm.evicted_source, source, ctx_->config.max_unauthenticated,
              ctx_->config.max_unauthenticated_per_source);
    ctx_->brake.wake_all();  // if it was waiting at the login brake
  }
  if (!adm.visitor) {
    ::close(fd);
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ++ctx_->live_sessions;
  {
    std::lock_guard lock(sessions_mutex_);
    ++running_sessions_;
    session_fds_.insert(fd);
  }
  // One thread per DMA connection: sessions block on their own socket and
  // devices, and never on each other. Threads are bounded: max-sessions
  // logged in plus max-unauthenticated at the door.
  auto body = [this, fd, peer = std::move(peer), id, v = adm.visitor]() mutable {
    std::unique_ptr<Session> s;
    try {
      s = std::make_unique<Session>(*ctx_, dispatch_, fd, peer, id);  // starts the session's sender thread
    } catch (const std::system_error& e) {
      log::error("cannot start a session for the connection from {}: {}; closing it", peer, e.what());
    }
    if (s) {
      s->set_visitor(v);
      s->run();
    }
    {
      std::lock_guard lock(sessions_mutex_);
      session_fds_.erase(fd);  // before the descriptor closes, so stop() never shuts a reused one
    }
    if (s) {
      s.reset();  // leaves the front door, then closes the descriptor
    } else {
      ctx_->front_door.leave(*v);
      ::close(fd);
    }
    --ctx_->live_sessions;
    session_ended();  // the thread's last touch of this Server
  };
  try {
    std::thread(std::move(body)).detach();
  } catch (const std::system_error& e) {
    log::error("cannot start a thread for the connection from {}: {}; closing it", address_text(ss), e.what());
    {
      std::lock_guard lock(sessions_mutex_);
      session_fds_.erase(fd);
    }
    ctx_->front_door.leave(*adm.visitor);
    ::close(fd);
    --ctx_->live_sessions;
    session_ended();
  }
}

void Server::session_ended() {
  // Notified with the mutex held: ~Server can only go on (and destroy the
  // mutex) after this unlock, the caller's last use of the Server.
  std::lock_guard lock(sessions_mutex_);
  --running_sessions_;
  sessions_done_.notify_all();
}

void Server::wait_sessions_at_most(int n) {
  std::unique_lock lock(sessions_mutex_);
  sessions_done_.wait(lock, [&] { return running_sessions_ <= n; });
}

void Server::stop() {
  if (stopping_.exchange(true)) return;
  ctx_->front_door.cancel_all();
  ctx_->brake.wake_all();
  if (wake_pipe_[1] >= 0) {
    char c = 1;
    [[maybe_unused]] auto w = ::write(wake_pipe_[1], &c, 1);
  }
  std::lock_guard lock(sessions_mutex_);
  for (int fd : session_fds_) ::shutdown(fd, SHUT_RDWR);
}

}  // namespace ndmp::server

#include "server/context/front_door.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "fmt/format.h"

namespace ndmp::server {

std::string source_key(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    return text;
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      in_addr v4{};
      std::memcpy(&v4, a->sin6_addr.s6_addr + 12, 4);
      inet_ntop(AF_INET, &v4, text, sizeof text);
      return text;
    }
    in6_addr prefix = a->sin6_addr;
    std::memset(prefix.s6_addr + 8, 0, 8);
    inet_ntop(AF_INET6, &prefix, text, sizeof text);
    return fmt::format("{}/64", text);
  }
  return "?";
}

void FrontDoor::configure(Limits l) {
  std::lock_guard lock(mu_);
  limits_ = l;
}

void FrontDoor::evict_locked(const std::string& source, Admission& out) {
  auto it = waiting_.find(source);
  if (it == waiting_.end() || it->second.empty()) return;
  std::shared_ptr<Visitor> victim = it->second.front();
  it->second.pop_front();
  if (it->second.empty()) waiting_.erase(it);
  --unauthenticated_;
  victim->cancelled = true;
  // Under the lock on purpose: the victim's session calls leave() (which takes
  // this lock) before it closes its descriptor, so the fd is still the
  // victim's. shutdown() does not block; the session sees EOF and ends.
  ::shutdown(victim->fd, SHUT_RDWR);
  out.evicted = true;
  out.evicted_source = victim->source;
  out.evicted_id = victim->id;
}

FrontDoor::Admission FrontDoor::admit(uint64_t id, const std::string& source, int fd) {
  Admission out;
  auto v = std::make_shared<Visitor>();
  v->id = id;
  v->source = source;
  v->fd = fd;
  std::lock_guard lock(mu_);
  auto& mine = waiting_[source];
  if (mine.size() >= limits_.per_source) {
    evict_locked(source, out);
  } else if (unauthenticated_ >= limits_.max_unauthenticated) {
    // The most crowded source gives way; on a tie, the newcomer's own source.
    const std::string* heaviest = &source;
    size_t most = mine.size();
    for (const auto& [src, q] : waiting_) {
      if (q.size() > most) {
        most = q.size();
        heaviest = &src;
      }
    }
    const std::string victim_source = *heaviest;  // evict_locked may erase the map entry
    evict_locked(victim_source, out);
    if (!out.evicted) {
      // Only possible when the newcomer's source holds nothing and neither
      // does any other, i.e. the cap is 0: configuration forbids that.
      return out;
    }
  }
  waiting_[source].push_back(v);  // `mine` may have been erased by an eviction
  ++unauthenticated_;
  present_[id] = false;
  out.visitor = std::move(v);
  return out;
}

bool FrontDoor::log_in(Visitor& v) {
  std::lock_guard lock(mu_);
  auto p = present_.find(v.id);
  if (p == present_.end() || v.cancelled) return false;
  if (p->second) return true;
  if (sessions_ >= limits_.max_sessions) return false;
  stop_waiting(v);
  p->second = true;
  ++sessions_;
  return true;
}

void FrontDoor::leave(Visitor& v) {
  std::lock_guard lock(mu_);
  auto p = present_.find(v.id);
  if (p == present_.end()) return;
  if (p->second) {
    --sessions_;
  } else {
    stop_waiting(v);
  }
  present_.erase(p);
}

void FrontDoor::stop_waiting(const Visitor& v) {
  auto it = waiting_.find(v.source);
  if (it == waiting_.end()) return;  // evicted: its count was returned then
  auto& q = it->second;
  for (auto e = q.begin(); e != q.end(); ++e) {
    if ((*e)->id == v.id) {
      q.erase(e);
      --unauthenticated_;
      break;
    }
  }
  if (q.empty()) waiting_.erase(it);
}

void FrontDoor::cancel_all() {
  std::lock_guard lock(mu_);
  for (auto& [src, q] : waiting_)
    for (auto& v : q) v->cancelled = true;
}

FrontDoor::Counts FrontDoor::counts() const {
  std::lock_guard lock(mu_);
  return {unauthenticated_, sessions_};
}

}  // namespace ndmp::server

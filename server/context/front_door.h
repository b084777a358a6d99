// The front door: who may hold a connection before logging in, and for how
// long (issue 15).
//
//   accept ──> source_key(peer) ──> LoginBrake::locked_out? ──> refuse
//                                   FrontDoor::admit ──> Visitor (pre-login slot)
//              session thread: deadlines (login-timeout, record-timeout)
//              CONNECT_CLIENT_AUTH ok ──> FrontDoor::log_in (a max-sessions slot)
//              session ends ──> FrontDoor::leave
//
// Connections that have not logged in are counted per source (an IPv4
// address, or an IPv6 /64, which one host usually owns whole) and in all,
// apart from the max-sessions slots of logged-in sessions, so a crowd at the
// door never keeps a DMA that has logged in from working, and never takes
// the slot it would log in to. When the door is full, the newcomer is let in
// and the oldest waiting connection of the most crowded source (its own
// source when that one is at its per-source cap) is closed: holding slots
// then needs a stream of new connections, not a handful of idle ones, and a
// source with few connections is never the one pushed out while another has
// more.
//
// FrontDoor is the one owner of these counts; it is thread-safe (the accept
// loop admits, session threads log in and leave).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ndmp::server {

// "192.0.2.4" for IPv4 (and IPv4-mapped IPv6), "2001:db8:1:2::/64" for IPv6.
std::string source_key(const sockaddr_storage& peer);

// One accepted connection, from admission to its end.
struct Visitor {
  uint64_t id = 0;
  std::string source;
  int fd = -1;
  // Set when the front door closed this connection to make room, or the
  // server is stopping: whatever the session waits for, it stops waiting.
  std::atomic<bool> cancelled{false};
};

class FrontDoor {
 public:
  struct Limits {
    uint32_t max_unauthenticated = 256;
    uint32_t per_source = 64;
    uint32_t max_sessions = 1024;
  };
  struct Admission {
    std::shared_ptr<Visitor> visitor;
    // When room was made: the connection closed for it (its source and id).
    bool evicted = false;
    std::string evicted_source;
    uint64_t evicted_id = 0;
  };
  struct Counts {
    uint32_t unauthenticated = 0;
    uint32_t sessions = 0;  // logged in
  };

  void configure(Limits l);

  // A new connection from `source` on `fd`. It is always let in; to make
  // room, another connection that has not logged in may be shut down (its
  // socket shut, its Visitor cancelled) — see the top of this file.
  Admission admit(uint64_t id, const std::string& source, int fd);
  // The visitor logged in: it leaves the pre-login count for a max-sessions
  // slot. False when every such slot is taken (the login must be refused).
  bool log_in(Visitor& v);
  // The connection ends (before its socket is closed, so the door never
  // shuts a descriptor that has been reused). Idempotent.
  void leave(Visitor& v);
  // Server stopping: cancel every visitor not yet logged in.
  void cancel_all();

  Counts counts() const;

 private:
  // Takes `v` out of its source's queue of connections before login, if it is
  // still there. Under mu_.
  void stop_waiting(const Visitor& v);
  struct Entry {
    std::shared_ptr<Visitor> v;
    bool logged_in = false;
  };
  void evict_locked(const std::string& source, Admission& out);

  mutable std::mutex mu_;
  Limits limits_;
  // Pre-login connections per source, oldest first. Every per-source deque
  // holds at most limits_.per_source entries.
  std::map<std::string, std::deque<std::shared_ptr<Visitor>>> waiting_;
  std::map<uint64_t, bool> present_;  // id -> logged in (every connection not yet left)
  uint32_t unauthenticated_ = 0;
  uint32_t sessions_ = 0;
};

}  // namespace ndmp::server

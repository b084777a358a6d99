// Authentication of DMAs: the user table, NDMP's MD5 challenge/response, and a
// brake on repeated failures from one source.
// The digest itself is part of the wire contract (xdr/auth_digest.h).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "xdr/auth_digest.h"

namespace ndmp::server {

using xdr::Challenge;
using xdr::Digest;
using xdr::md5_digest;

Challenge random_challenge();  // 64 bytes from OpenSSL's CSPRNG
bool constant_time_equal(const void* a, const void* b, size_t n);

// Users and clear-text passwords (MD5 needs the clear password on the server
// side). Loaded from a file of "user:password" lines that only its owner may
// read: a file readable by group or others is refused, because it holds every
// DMA's credentials.
class UserTable {
 public:
  // Returns an error text naming the file and line, or empty on success.
  std::string load(const std::string& path);
  void add(const std::string& user, const std::string& password) { users_[user] = password; }
  std::optional<std::string> password_of(const std::string& user) const;
  size_t size() const { return users_.size(); }

 private:
  std::map<std::string, std::string> users_;
};

// The login brake, per source (an IPv4 address or an IPv6 /64, see
// front_door.h). Attempts from one source are taken one at a time, in the
// order they arrive. After `after` consecutive failures every attempt from
// that source waits — a correct password too, so a guesser learns nothing
// sooner — step × (failures − after + 1), at most `max`, counted from the end
// of the source's previous attempt. After `lockout_after` failures the source
// is refused for `lockout`; then it starts again braked. A success clears the
// failures.
//
// The policy reads no clock: every call takes the time, so tests drive it with
// any time they like. wait_turn() is the one place that waits, on a condition
// variable with a deadline (the connection's login deadline), woken when an
// attempt ahead finishes or gives up, or by wake_all() when connections are
// cancelled. A waiting attempt holds its connection's thread; the front door
// caps connections per source before login, so one source holds at most
// max-unauthenticated-per-source of them, all counted against that source.
// Thread-safe.
class LoginBrake {
 public:
  using Clock = std::chrono::steady_clock;
  using Time = Clock::time_point;
  struct Policy {
    unsigned after = 3;
    std::chrono::milliseconds step{1000};
    std::chrono::milliseconds max{5000};
    unsigned lockout_after = 20;  // 0 = never
    std::chrono::milliseconds lockout{600'000};
  };
  enum class Verdict {
    go,       // check the password now, then call finish()
    wait,     // not yet: until `until` (Time::max(): until the attempt ahead finishes)
    refused,  // the source is locked out until `until`
    expired,  // wait_turn only: the deadline passed or the connection was cancelled
  };
  struct Turn {
    Verdict verdict;
    Time until{};
    std::chrono::milliseconds delay{0};  // the brake's wait for this attempt (for the log)
  };

  void configure(Policy p);
  // Queue an attempt; returns its ticket. Every ticket ends with finish()
  // (after go) or leave() (after anything else).
  uint64_t arrive(const std::string& source, Time now);
  Turn turn(const std::string& source, uint64_t ticket, Time now);
  void finish(const std::string& source, uint64_t ticket, bool success, Time now);
  void leave(const std::string& source, uint64_t ticket);
  // Blocks until turn() is not `wait`, `deadline` passes or `cancelled` is set.
  Turn wait_turn(const std::string& source, uint64_t ticket, Time deadline, const std::atomic<bool>& cancelled);
  void wake_all();
  // For the accept loop: is this source refused now?
  bool locked_out(const std::string& source, Time now);
  // Sources the brake keeps state for (bounded: see kMaxSources).
  size_t tracked_sources();
  static constexpr size_t kMaxSources = 16384;

 private:
  struct Source {
    unsigned failures = 0;
    Time last_end{};
    Time locked_until{};
    bool in_progress = false;
    std::deque<uint64_t> queue;  // tickets, arrival order; front = next to go
  };
  Turn turn_locked(Source& s, uint64_t ticket, Time now) const;
  void prune_locked(Time now);

  std::mutex mu_;
  std::condition_variable cv_;
  Policy policy_;
  uint64_t next_ticket_ = 1;
  std::map<std::string, Source> sources_;
};

}  // namespace ndmp::server

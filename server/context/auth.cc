#include "server/context/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "fmt/format.h"

namespace ndmp::server {

Challenge random_challenge() {
  Challenge c{};
  if (RAND_bytes(c.data(), static_cast<int>(c.size())) != 1) {
    // Without entropy no challenge is safe; abort rather than hand out a guessable one.
    std::abort();
  }
  return c;
}

bool constant_time_equal(const void* a, const void* b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

std::string UserTable::load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fmt::format("password file {}: {}", path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fmt::format("password file {} is not a regular file", path);
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return fmt::format("password file {} is readable by others (mode {:04o}); run: chmod 600 {}", path,
                       st.st_mode & 07777, path);
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return fmt::format("password file {} belongs to uid {}, not to this user or root", path, st.st_uid);
  std::ifstream in(path);
  if (!in) return fmt::format("password file {}: cannot read", path);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == line.size())
      return fmt::format("password file {} line {}: expected user:password", path, lineno);
    users_[line.substr(0, colon)] = line.substr(colon + 1);
  }
  if (users_.empty()) return fmt::format("password file {} names no user", path);
  return {};
}

std::optional<std::string> UserTable::password_of(const std::string& user) const {
  auto it = users_.find(user);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

void LoginBrake::configure(Policy p) {
  std::lock_guard lock(mu_);
  policy_ = p;
}

void LoginBrake::prune_locked(Time now) {
  if (sources_.size() < kMaxSources) return;
  // First what carries no state worth keeping, then sources that are only
  // braked (not locked out, nothing queued), so memory stays bounded under a
  // flood of addresses. Locked-out sources go last.
  for (int pass = 0; pass < 2 && sources_.size() >= kMaxSources; ++pass) {
    for (auto it = sources_.begin(); it != sources_.end();) {
      const Source& s = it->second;
      const bool idle = s.queue.empty() && !s.in_progress && s.locked_until <= now;
      if (idle && (pass == 1 || s.failures == 0)) it = sources_.erase(it);
      else ++it;
    }
  }
  if (sources_.size() >= kMaxSources) {
    for (auto it = sources_.begin(); it != sources_.end() && sources_.size() >= kMaxSources;) {
      if (it->second.queue.empty() && !it->second.in_progress) it = sources_.erase(it);
      else ++it;
    }
  }
}

uint64_t LoginBrake::arrive(const std::string& source, Time now) {
  std::lock_guard lock(mu_);
  prune_locked(now);
  const uint64_t t = next_ticket_++;
  sources_[source].queue.push_back(t);
  return t;
}

LoginBrake::Turn LoginBrake::turn_locked(Source& s, uint64_t ticket, Time now) const {
  if (s.locked_until > now) return {Verdict::refused, s.locked_until};
  std::chrono::milliseconds delay{0};
  if (s.failures >= policy_.after)
    delay = std::min(policy_.max, policy_.step * (s.failures - policy_.after + 1));
  if (s.in_progress || s.queue.empty() || s.queue.front() != ticket) return {Verdict::wait, Time::max(), delay};
  const Time ready = s.last_end + delay;
  if (now < ready) return {Verdict::wait, ready, delay};
  return {Verdict::go, now, delay};
}

LoginBrake::Turn LoginBrake::turn(const std::string& source, uint64_t ticket, Time now) {
  std::lock_guard lock(mu_);
  Source& s = sources_[source];
  Turn t = turn_locked(s, ticket, now);
  if (t.verdict == Verdict::go) s.in_progress = true;
  return t;
}

LoginBrake::Turn LoginBrake::wait_turn(const std::string& source, uint64_t ticket, Time deadline,
                                       const std::atomic<bool>& cancelled) {
  std::unique_lock lock(mu_);
  std::chrono::milliseconds delay{0};
  for (;;) {
    const Time now = Clock::now();
    Source& s = sources_[source];
    Turn t = turn_locked(s, ticket, now);
    delay = std::max(delay, t.delay);
    if (t.verdict == Verdict::go) s.in_progress = true;
    if (t.verdict != Verdict::wait) return t;
    if (cancelled || now >= deadline) return {Verdict::expired, now, delay};
    cv_.wait_until(lock, std::min(t.until, deadline));
  }
}

void LoginBrake::finish(const std::string& source, uint64_t ticket, bool success, Time now) {
  {
    std::lock_guard lock(mu_);
    Source& s = sources_[source];
    s.in_progress = false;
    std::erase(s.queue, ticket);
    s.last_end = now;
    if (success) {
      s.failures = 0;
    } else if (++s.failures >= policy_.lockout_after && policy_.lockout_after != 0) {
      s.locked_until = now + policy_.lockout;
      s.failures = policy_.after;  // braked again once the lockout ends
    }
  }
  cv_.notify_all();
}

void LoginBrake::leave(const std::string& source, uint64_t ticket) {
  {
    std::lock_guard lock(mu_);
    auto it = sources_.find(source);
    if (it == sources_.end()) return;
    std::erase(it->second.queue, ticket);
  }
  cv_.notify_all();
}

void LoginBrake::wake_all() {
  { std::lock_guard lock(mu_); }  // a waiter between its check and its wait sees the flag or the wake
  cv_.notify_all();
}

bool LoginBrake::locked_out(const std::string& source, Time now) {
  std::lock_guard lock(mu_);
  auto it = sources_.find(source);
  return it != sources_.end() && it->second.locked_until > now;
}

size_t LoginBrake::tracked_sources() {
  std::lock_guard lock(mu_);
  return sources_.size();
}

}  // namespace ndmp::server

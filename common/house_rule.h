// The house rule (docs/ARCHITECTURE.md): no socket or disk I/O while holding
// a service mutex, because a peer that stops reading, or a slow disk, would
// then stall every request that needs the same mutex.
//
// A service mutex is a ServiceMutex. In checked builds (the asan and tsan
// presets define NDMP_HOUSE_RULE_CHECKS) each thread counts the service
// mutexes it holds, and every blocking I/O point calls no_service_lock(),
// which aborts with the name of the I/O when the count is not zero. In the
// normal build both compile to nothing beyond the std::mutex.
#pragma once

#include <condition_variable>
#include <mutex>

namespace ndmp::house {

#if NDMP_HOUSE_RULE_CHECKS
inline constexpr bool kChecked = true;
namespace detail {
inline thread_local int service_locks_held = 0;
}
// Aborts, naming `what`, if this thread holds a service mutex.
void no_service_lock(const char* what);
#else
inline constexpr bool kChecked = false;
inline void no_service_lock(const char*) {}
#endif

class ServiceMutex {
 public:
  void lock() {
    m_.lock();
    note(+1);
  }
  bool try_lock() {
    if (!m_.try_lock()) return false;
    note(+1);
    return true;
  }
  void unlock() {
    note(-1);
    m_.unlock();
  }

 private:
  static void note([[maybe_unused]] int d) {
#if NDMP_HOUSE_RULE_CHECKS
    detail::service_locks_held += d;
#endif
  }
  std::mutex m_;
};

using ServiceLock = std::unique_lock<ServiceMutex>;
// Waiting releases the mutex through ServiceMutex::unlock, so a waiting
// thread does not count it as held.
using ServiceCondition = std::condition_variable_any;

}  // namespace ndmp::house

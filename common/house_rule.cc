#include "common/house_rule.h"

#if NDMP_HOUSE_RULE_CHECKS
#include <cstdio>
#include <cstdlib>

namespace ndmp::house {

void no_service_lock(const char* what) {
  if (detail::service_locks_held == 0) return;
  std::fprintf(stderr, "house rule broken: %s while holding %d service mutex(es)\n", what,
               detail::service_locks_held);
  std::abort();
}

}  // namespace ndmp::house
#endif

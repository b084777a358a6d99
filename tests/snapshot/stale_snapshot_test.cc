// A snapshot left by a killed ndmpd is removed at the next start (issue 18),
// with the command hook (tests/snapshot/copy-snapshot.sh) on the host.
#include <gtest/gtest.h>

#include "tests/snapshot/stale_snapshot.h"

namespace ndmp::faults {
namespace {

TEST(StaleSnapshot, LeftBySigkillIsRemovedAtTheNextStart) {
  sigkill_mid_snapshot_then_restart(std::string("command:") + SNAPSHOT_TEST_SCRIPTS + "/copy-snapshot.sh");
}

}  // namespace
}  // namespace ndmp::faults

// A snapshot left by a killed ndmpd is removed at the next start (issue
// 18). The real ndmpd runs as a child with snapshot = command:copy-snapshot.sh;
// a backup onto a 1 MiB tape pauses at end of medium (the DMA gives no next
// tape), so the job is provably in the middle with its snapshot made when
// ndmpd is killed with SIGKILL.
#include <gtest/gtest.h>

#include "tests/faults/child_server.h"
#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;
namespace code = msg::code;

const std::string kScripts = SNAPSHOT_TEST_SCRIPTS;

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(StaleSnapshot, LeftBySigkillIsRemovedAtTheNextStart) {
  test::TempDir dir;
  ChildOptions opts;
  opts.drives = 1;
  opts.slots = 2;
  opts.tape_mib = 1;
  opts.extra_args = {"--snapshot", "command:" + kScripts + "/copy-snapshot.sh"};
  ChildServer srv(dir.path(), opts);
  ASSERT_TRUE(srv.running());
  const fs::path src = srv.export_dir() / "src";
  make_tree(src, 16, 400'000);  // ~4 MB: more than the tape holds
  const fs::path snaps = dir.path() / "state" / "snapshots";

  auto c = srv.login(4);
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  auto paused = c->next_post(code::NOTIFY_MOVER_PAUSED, kWait);
  ASSERT_TRUE(paused) << "the mover pauses at the end of the 1 MiB tape";
  const auto during = entries(snaps);
  ASSERT_EQ(during.size(), 2u) << "a record and the script's directory while the job runs";
  EXPECT_TRUE(fs::exists(snaps / during[0] / "tree" / "src")) << "the copy is there";

  srv.kill9();
  c.reset();
  EXPECT_EQ(entries(snaps), during) << "SIGKILL left the snapshot behind";

  ASSERT_TRUE(srv.start());
  EXPECT_EQ(entries(snaps), std::vector<std::string>{}) << "the start removed the stale snapshot";
  EXPECT_NE(srv.log_text().find("removed stale command snapshot"), std::string::npos) << "and said so";
  EXPECT_EQ(srv.stop(), 0);
}

}  // namespace
}  // namespace ndmp::faults

// A snapshot left by a killed ndmpd is removed at the next start (issue
// 18): the real ndmpd as a child; a backup onto a 1 MiB tape pauses at end
// of medium (the DMA gives no next tape), so the job is provably in the
// middle with its snapshot made when ndmpd is killed with SIGKILL.
#include <gtest/gtest.h>

#include "tests/snapshot/stale_snapshot.h"

#include "tests/faults/child_server.h"
#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;
namespace code = msg::code;

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void sigkill_mid_snapshot_then_restart(const std::string& kind, const fs::path& export_root) {
  test::TempDir dir;
  ChildOptions opts;
  opts.drives = 1;
  opts.slots = 2;
  opts.tape_mib = 1;
  if (export_root.empty()) {
    opts.extra_args = {"--snapshot", kind};
  } else {
    opts.extra_args = {"--export", export_root.string(), "--snapshot", export_root.string() + "=" + kind};
  }
  ChildServer srv(dir.path(), opts);
  ASSERT_TRUE(srv.running());
  const fs::path src = (export_root.empty() ? srv.export_dir() : export_root) / "src";
  fs::remove_all(src);
  make_tree(src, 16, 400'000);  // ~6.5 MB: more than the tape holds
  const fs::path snaps = dir.path() / "state" / "snapshots";

  auto c = srv.login(4);
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  auto paused = c->next_post(code::NOTIFY_MOVER_PAUSED, kWait);
  ASSERT_TRUE(paused) << "the mover pauses at the end of the 1 MiB tape";
  const auto during = entries(snaps);
  ASSERT_FALSE(during.empty()) << "the snapshot's record while the job runs";

  srv.kill9();
  c.reset();
  EXPECT_EQ(entries(snaps), during) << "SIGKILL left the snapshot behind";

  ASSERT_TRUE(srv.start());
  EXPECT_EQ(entries(snaps), std::vector<std::string>{}) << "the start removed the stale snapshot";
  const std::string log = srv.log_text();
  EXPECT_NE(log.find("removed stale " + kind.substr(0, kind.find(':')) + " snapshot"), std::string::npos)
      << "and said so:\n" << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  EXPECT_EQ(srv.stop(), 0);
}

}  // namespace ndmp::faults

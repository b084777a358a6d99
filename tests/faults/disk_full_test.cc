// Fault matrix: the restore target fills up (docs/FAULTS.md, "Destination
// disk full"). The target is a 3 MiB tmpfs mounted by the test (the suite
// runs as root; without the mount the test says it skipped and why).
//
// What must hold afterwards: the restore halts INTERNAL_ERROR and says so
// (NOTIFY_DATA_HALTED, DATA_GET_STATE); no partial file is left (every file
// present in the target equals its source); nothing is written outside the
// target; the drive is free and the tape unchanged.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;
namespace code = msg::code;

class Mount {
 public:
  explicit Mount(const fs::path& where, const std::string& opts) : where_(where) {
    fs::create_directories(where);
    if (::mount("ndmpd-faults", where.c_str(), "tmpfs", 0, opts.c_str()) == 0) mounted_ = true;
    else why_ = std::string("mount tmpfs: ") + strerror(errno);
  }
  ~Mount() {
    if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }

 private:
  fs::path where_;
  bool mounted_ = false;
  std::string why_;
};

TEST(DiskFull, RestoreHaltsAndLeavesNoPartialFile) {
  Rig rig{{.drives = 1, .slots = 2, .tape_mib = 64}};
  const fs::path src = rig.export_dir() / "src";
  make_tree(src, 40, 150'000);  // ~6.8 MB of files of 150-190 KB
  const fs::path small = rig.export_dir() / "small";
  Mount m(small, "size=3m,mode=0755");
  if (!m.mounted()) GTEST_SKIP() << "SKIPPED: needs a tmpfs to fill (" << m.why() << "; run as root)";

  auto c = rig.login(4);
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  ASSERT_EQ(drive_job(*c).data, msg::DataHaltReason::successful);
  finish_job(*c);
  const auto before = read_tape(rig.server());

  const fs::path target = small / "target";
  ASSERT_EQ(start_local_restore(*c, target), Error::no_err);
  auto end = drive_job(*c);
  ASSERT_TRUE(end.halted);
  EXPECT_EQ(end.data, msg::DataHaltReason::internal_error) << "a restore that did not fit must not report success";
  EXPECT_EQ(data_state(*c).halt_reason, msg::DataHaltReason::internal_error);
  finish_job(*c);

  size_t whole = 0;
  for (auto& e : fs::recursive_directory_iterator(target)) {
    if (!e.is_regular_file()) continue;
    const auto rel = fs::relative(e.path(), target);
    ASSERT_TRUE(fs::exists(src / rel)) << "unexpected file " << rel;
    EXPECT_EQ(slurp(e.path()), slurp(src / rel)) << rel << " is a partial file";
    ++whole;
  }
  EXPECT_GT(whole, 0u) << "what fitted was restored";
  EXPECT_LT(whole, 40u);
  for (auto& e : fs::directory_iterator(rig.export_dir()))
    EXPECT_TRUE(e.path() == src || e.path() == small) << "outside the target: " << e.path();
  for (auto& e : fs::directory_iterator(small)) EXPECT_EQ(e.path(), target) << "outside the target";
  EXPECT_EQ(read_tape(rig.server()).bytes, before.bytes);
}

}  // namespace
}  // namespace ndmp::faults

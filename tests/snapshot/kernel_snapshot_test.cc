// Backups from btrfs and LVM snapshots on a real kernel (issue 18). Run in
// the qemu guest by tests/vtl-vm/snapshot-checks.sh, which makes the file
// systems on loop devices and names them:
//   NDMP_TEST_SNAPSHOT_BTRFS      a btrfs subvolume
//   NDMP_TEST_SNAPSHOT_LVM_THICK  ext4 on a classic logical volume
//   NDMP_TEST_SNAPSHOT_LVM_THIN   ext4 on a thin logical volume
// Without them each test fails saying so: this binary is only run where
// they are set, never skipped quietly. For each: a writer rewrites the
// tree during the backup, the restore equals the tree at the snapshot's
// moment file by file, and no snapshot remains (state files, the
// .ndmpd-snapshots directory, mounts; the script checks lvs afterwards).
// And a snapshot left by ndmpd killed with SIGKILL mid-backup is removed
// when it starts again.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tests/snapshot/snapshot_rig.h"
#include "tests/snapshot/stale_snapshot.h"

namespace ndmp::faults {
namespace {

using msg::Error;

std::string mounts() {
  std::ifstream in("/proc/self/mountinfo");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class KernelSnapshot : public SnapshotJob {
 protected:
  void backup_and_check(const char* var, const std::string& kind) {
    const char* root = std::getenv(var);
    ASSERT_TRUE(root && *root) << var << " is not set: run this through tests/vtl-vm/snapshot-checks.sh";
    start_rig(kind, "halt", "fixed", root);
    auto c = rig_->login(4);
    ASSERT_TRUE(c);
    auto end = backup_while_writing(*c);
    ASSERT_EQ(end.data, msg::DataHaltReason::successful) << end.data_text;
    EXPECT_TRUE(any_contains(end.log_messages, "comes from a snapshot: " + kind + " snapshot")) << "the DMA is told the source";
    finish_job(*c);
    EXPECT_EQ(snapshot_leftovers(), std::vector<std::string>{});
    EXPECT_FALSE(fs::exists(fs::path(root) / ".ndmpd-snapshots")) << "no btrfs snapshot directory left";
    EXPECT_EQ(mounts().find("/snapshots/"), std::string::npos) << "no snapshot mounted";
    EXPECT_EQ(restore_and_compare(*c, reference_), std::vector<std::string>{}) << "restored = the snapshot's moment";
    EXPECT_NE(compare_trees(src_, rig_->export_dir() / "restored"), std::vector<std::string>{})
        << "the live tree moved on during the backup";
  }
};

TEST_F(KernelSnapshot, BtrfsSubvolume) { backup_and_check("NDMP_TEST_SNAPSHOT_BTRFS", "btrfs"); }
TEST_F(KernelSnapshot, LvmClassicVolume) { backup_and_check("NDMP_TEST_SNAPSHOT_LVM_THICK", "lvm"); }
TEST_F(KernelSnapshot, LvmThinVolume) { backup_and_check("NDMP_TEST_SNAPSHOT_LVM_THIN", "lvm"); }

// SIGKILL of the real ndmpd mid-backup: the subvolume, or the mounted
// volume, is removed at the next start.
void stale_after_sigkill(const char* var, const std::string& kind) {
  const char* root = std::getenv(var);
  ASSERT_TRUE(root && *root) << var << " is not set: run this through tests/vtl-vm/snapshot-checks.sh";
  sigkill_mid_snapshot_then_restart(kind, root);
  EXPECT_FALSE(fs::exists(fs::path(root) / ".ndmpd-snapshots"));
  EXPECT_EQ(mounts().find("/snapshots/"), std::string::npos) << "no snapshot mounted";
}
TEST(KernelStaleSnapshot, BtrfsLeftBySigkillIsRemovedAtStart) { stale_after_sigkill("NDMP_TEST_SNAPSHOT_BTRFS", "btrfs"); }
TEST(KernelStaleSnapshot, LvmLeftBySigkillIsRemovedAtStart) { stale_after_sigkill("NDMP_TEST_SNAPSHOT_LVM_THICK", "lvm"); }

}  // namespace
}  // namespace ndmp::faults

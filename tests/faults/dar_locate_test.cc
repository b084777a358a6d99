// Direct access recovery by LOCATE (issue 16): a DMA restoring one file
// with DIRECT=y sends the file's fh_info from the file history; the mover
// goes to the record holding it with one LOCATE to the block it computes
// (SSC LOCATE(10)) instead of spacing over every record before it, and
// reads only what the file needs. A drive without LOCATE (5/20-00) gets
// SPACE instead, with the same bytes restored.
#include <gtest/gtest.h>

#include <algorithm>

#include "devices/scsi_cdb.h"
#include "devices/sense.h"
#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;
namespace code = msg::code;

class DirectAccess : public ::testing::TestWithParam<int> {
 protected:
  fs::path log_file = fs::temp_directory_path() / ("ndmpd-dar-log-" + std::to_string(::getpid()));
  LogCapture log{log_file};
  Rig rig{{.drives = 1, .slots = 2, .tape_mib = 64}};
  fs::path src = rig.export_dir() / "src";
  int v() const { return GetParam(); }

  void SetUp() override { make_tree(src, 60, 100'000); }  // ~ 9 MB: ~290 records of 32 KiB
  void TearDown() override {
    if (HasFailure()) std::cout << "ndmpd log:\n" << log.text();
    fs::remove(log_file);
  }

  // Backs the tree up with file history; the entry written last and its fh_info.
  std::pair<std::string, uint64_t> backup_and_find_last_file(client::Client& c) {
    load_tape(c, 1);
    EXPECT_EQ(start_local_backup(c, src, 0, {{"HIST", "y"}}), Error::no_err);
    auto end = drive_job(c);
    EXPECT_EQ(end.data, msg::DataHaltReason::successful);
    finish_job(c);
    std::pair<std::string, uint64_t> last{"", 0};
    for (const auto& [name, fh] : end.history)
      if (fh != kAll && fs::is_regular_file(src / fs::path(name).relative_path()) && fh >= last.second) last = {name, fh};
    return last;
  }

  // The DMA's side of the direct access restore of `name`, checked byte-exact.
  void restore_and_check(client::Client& c, const std::string& name, uint64_t fh_info) {
    const fs::path target = rig.export_dir() / "restored";
    ASSERT_EQ(start_direct_restore(c, name, fh_info, target), Error::no_err);
    auto end = drive_job(c);
    ASSERT_TRUE(end.halted);
    EXPECT_EQ(end.data, msg::DataHaltReason::successful);
    finish_job(c);
    expect_restored(target, name);
  }

  void expect_restored(const fs::path& target, const std::string& name) {
    const fs::path rel = fs::path(name).relative_path();
    ASSERT_TRUE(fs::is_regular_file(target / rel)) << name << " restored";
    EXPECT_EQ(slurp(target / rel), slurp(src / rel)) << "the restored file has the backed-up bytes";
  }
};

TEST_P(DirectAccess, LastFileOfALongTapeIsReachedByLocate) {
  auto c = rig.login(v());
  ASSERT_TRUE(c);
  auto [name, fh] = backup_and_find_last_file(*c);
  ASSERT_FALSE(name.empty()) << "file history names the files";
  ASSERT_GT(fh / kRecord, 200u) << "the file lies far into the tape";
  rig.drive().reset_counts();
  restore_and_check(*c, name, fh);
  EXPECT_EQ(rig.drive().commands_seen(dev::op::locate10), 1u) << "one LOCATE to the file's record";
  EXPECT_EQ(rig.drive().block_spaces_seen(), 0u) << "no spacing over the records before it";
  EXPECT_LT(rig.drive().commands_seen(dev::op::read6), 10u) << "only the file's records are read";
}

TEST_P(DirectAccess, DriveWithoutLocateIsSpacedInstead) {
  auto c = rig.login(v());
  ASSERT_TRUE(c);
  auto [name, fh] = backup_and_find_last_file(*c);
  ASSERT_FALSE(name.empty());
  rig.drive().reset_counts();
  rig.drive().add(dev::Fault::on_nth(dev::op::locate10, 1).answer(dev::sense_key::illegal_request, 0x20, 0x00));
  restore_and_check(*c, name, fh);
  EXPECT_EQ(rig.drive().commands_seen(dev::op::locate10), 1u) << "asked once, then not again";
  EXPECT_GE(rig.drive().block_spaces_seen(), 1u) << "positioned by SPACE over records";
  EXPECT_TRUE(log.contains("has no LOCATE")) << "the operator log says why";
}

INSTANTIATE_TEST_SUITE_P(Versions, DirectAccess, ::testing::Values(2, 3, 4),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

}  // namespace
}  // namespace ndmp::faults

// Backups from a snapshot made by a site script (snapshot = command:PATH),
// against an in-process ndmpd on the emulated library (issue 18). The
// script, tests/snapshot/copy-snapshot.sh, copies the export; a writer
// rewrites the files during the backup, and the restore must give the tree
// as it was when the snapshot was made, not the live one. The snapshot must
// be gone after completion, DATA_ABORT and a DMA that disconnects; a script
// that fails halts the job with its reason, or the backup falls back to the
// live tree when the export says so, and the DMA is told which.
//
// The writer starts once the walk is provably under way (the drive holds
// the job's first tape writes), so the snapshot's moment is known without
// waiting for a time.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <thread>

#include "tests/snapshot/snapshot_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;
namespace code = msg::code;

const std::string kScripts = SNAPSHOT_TEST_SCRIPTS;
std::string copy_script() { return "command:" + kScripts + "/copy-snapshot.sh"; }
std::string failing_script() { return "command:" + kScripts + "/failing-snapshot.sh"; }

TEST_F(SnapshotJob, ChangingTreeRestoresToTheSnapshotMomentAndTheSnapshotIsRemoved) {
  start_rig(copy_script());
  auto c = rig_->login(4);
  ASSERT_TRUE(c);
  auto end = backup_while_writing(*c, {{"UPDATE", "y"}});
  ASSERT_EQ(end.data, msg::DataHaltReason::successful) << end.data_text;
  EXPECT_TRUE(any_contains(end.log_messages, "comes from a snapshot: command snapshot")) << "the DMA is told the backup's source";
  finish_job(*c);
  EXPECT_EQ(snapshot_leftovers(), std::vector<std::string>{}) << "the snapshot and its record are gone";
  EXPECT_EQ(restore_and_compare(*c, reference_), std::vector<std::string>{}) << "restored = the snapshot's moment";
  EXPECT_NE(compare_trees(src_, rig_->export_dir() / "restored"), std::vector<std::string>{})
      << "the live tree moved on, so the snapshot is what made the backup consistent";

  // The dump date is the snapshot's: the second the DMA was told.
  std::ifstream dates(rig_->server().dir() / "state" / "dumpdates");
  int level = -1;
  std::string date, name;
  dates >> level >> date >> name;
  EXPECT_EQ(name, src_.string());
  const std::string said = [&] {
    for (const auto& l : end.log_messages)
      if (l.find("comes from a snapshot: command snapshot") != std::string::npos) return l;
    return std::string{};
  }();
  std::time_t secs = std::stoll(date.substr(0, date.find('.')));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  EXPECT_NE(said.find(when), std::string::npos) << said << " vs dumpdates " << date;
}

// A backup held at its first tape write, snapshot made: the job is
// provably in the middle.
std::unique_ptr<client::Client> held_backup(Rig& rig, const fs::path& src) {
  auto c = rig.login(4);
  if (!c) return c;
  load_tape(*c, 1);
  rig.drive().hold_writes_after(1);
  EXPECT_EQ(start_local_backup(*c, src), Error::no_err);
  EXPECT_TRUE(rig.drive().wait_held());
  return c;
}

TEST_F(SnapshotJob, RemovedAfterDataAbort) {
  start_rig(copy_script());
  auto c = held_backup(*rig_, src_);
  ASSERT_TRUE(c);
  EXPECT_FALSE(snapshot_leftovers().empty()) << "the snapshot exists while the job runs";
  EXPECT_EQ(c->call(code::DATA_ABORT).error(), Error::no_err);
  rig_->drive().release();
  finish_job(*c);  // DATA_STOP waits for the job's thread
  EXPECT_EQ(snapshot_leftovers(), std::vector<std::string>{});
}

TEST_F(SnapshotJob, RemovedAfterTheDmaDisconnects) {
  start_rig(copy_script());
  auto c = held_backup(*rig_, src_);
  ASSERT_TRUE(c);
  EXPECT_FALSE(snapshot_leftovers().empty()) << "the snapshot exists while the job runs";
  c.reset();  // the DMA vanishes
  rig_->drive().release();
  ASSERT_TRUE(watch_.wait_halted(1)) << "the job ended";
  EXPECT_EQ(snapshot_leftovers(), std::vector<std::string>{});
}

TEST_F(SnapshotJob, FailingScriptHaltsTheJobWithItsReason) {
  start_rig(failing_script());
  auto c = rig_->login(4);
  ASSERT_TRUE(c);
  auto end = backup_once(*c);
  EXPECT_EQ(end.data, msg::DataHaltReason::internal_error);
  EXPECT_TRUE(any_contains(end.log_messages, "snapshot pool vg0/snaps is full")) << "the script's reason reaches the DMA";
  finish_job(*c);
  EXPECT_EQ(snapshot_leftovers(), std::vector<std::string>{});
  EXPECT_EQ(read_tape(rig_->server()).records, 0u) << "nothing was backed up";
}

TEST_F(SnapshotJob, FailingScriptFallsBackToTheLiveTreeWhenTheExportSaysSo) {
  start_rig(failing_script(), "live");
  auto c = rig_->login(3);
  ASSERT_TRUE(c);
  auto end = backup_once(*c);
  ASSERT_EQ(end.data, msg::DataHaltReason::successful);
  EXPECT_TRUE(any_contains(end.log_messages, "comes from the live tree: the command snapshot failed"));
  EXPECT_TRUE(any_contains(end.log_messages, "snapshot pool vg0/snaps is full"));
  finish_job(*c);
  EXPECT_EQ(restore_and_compare(*c, reference_), std::vector<std::string>{}) << "the live tree, unchanged, was backed up";
}

TEST_F(SnapshotJob, DmaMayDeclineWhereTheExportIsOptOut) {
  start_rig(copy_script(), "halt", "opt-out");
  auto c = rig_->login(4);
  ASSERT_TRUE(c);
  auto end = backup_once(*c, {{"SNAPSHOT", "n"}});
  ASSERT_EQ(end.data, msg::DataHaltReason::successful);
  EXPECT_TRUE(any_contains(end.log_messages, "comes from the live tree: the DMA declined a snapshot (SNAPSHOT=n)"));
  finish_job(*c);
}

TEST_F(SnapshotJob, DmaCannotDeclineWhereTheExportIsFixed) {
  start_rig(copy_script());
  auto c = rig_->login(4);
  ASSERT_TRUE(c);
  auto end = backup_once(*c, {{"SNAPSHOT", "n"}});
  ASSERT_EQ(end.data, msg::DataHaltReason::successful);
  EXPECT_TRUE(any_contains(end.log_messages, "comes from a snapshot: command snapshot"));
  EXPECT_TRUE(any_contains(end.log_messages, "SNAPSHOT=n not obeyed"));
  finish_job(*c);
}

TEST_F(SnapshotJob, BadSnapshotValueIsRefused) {
  start_rig(copy_script());
  auto c = rig_->login(4);
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  EXPECT_EQ(start_local_backup(*c, src_, 0, {{"SNAPSHOT", "maybe"}}), Error::illegal_args);
  finish_job(*c);
}

}  // namespace
}  // namespace ndmp::faults

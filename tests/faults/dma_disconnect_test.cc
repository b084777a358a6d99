// Fault matrix: the DMA's control connection drops in the middle of a job
// (docs/FAULTS.md, "DMA disconnects").
//
// What must hold afterwards, for each case:
//  - the job is over: a new session sees DATA and MOVER idle on its own
//    session and can open the drive within a second (open_device waits
//    briefly for a departing session, so one TAPE_OPEN is enough);
//  - the tape holds a readable tar image up to the last complete record:
//    every entry libarchive reads before the cut equals its source file;
//  - the library is consistent: element status shows the tape still in the
//    drive it was loaded into, every other tape in its slot.
//
// The cut is placed with the drive's write gate, so the job is provably in
// the middle (some records written, more to come), never by waiting a time.
#include <gtest/gtest.h>

#include "devices/scsi_cdb.h"
#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;
namespace code = msg::code;

class DmaDisconnect : public ::testing::Test {
 protected:
  Rig rig{{.drives = 1, .slots = 3, .tape_mib = 64}};
  fs::path src = rig.export_dir() / "src";

  void SetUp() override { make_tree(src, 60, 150'000); }  // ~10 MB, 60 files

  // The state a new DMA finds after the old one vanished.
  void expect_job_over_and_drive_free() {
    auto c = rig.login(4);
    ASSERT_TRUE(c);
    EXPECT_EQ(data_state(*c).state, msg::DataState::idle);
    EXPECT_EQ(mover_state(*c).state, msg::MoverState::idle);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(open_tape(*c, msg::TapeOpenMode::read), Error::no_err) << "the job must release the drive";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
    EXPECT_EQ(c->call(code::TAPE_CLOSE).error(), Error::no_err);
  }

  // Entries read from the tape before the cut equal their sources; returns
  // how many complete file entries there were.
  size_t expect_tape_intact_up_to_cut(const fs::path& root) {
    auto tape = read_tape(rig.server());
    EXPECT_GT(tape.records, 0u) << "records written before the cut are on the tape";
    auto listing = list_archive(tape.bytes);
    size_t files = 0;
    for (const auto& e : listing.entries) {
      if (!e.complete) continue;  // the entry the cut went through
      const fs::path p = root / e.path;
      if (fs::is_regular_file(p)) {
        ++files;
        EXPECT_EQ(e.data, slurp(p)) << e.path << " before the cut must be intact";
      }
    }
    return files;
  }

  TapeContents tape_before_restore;

  // Backs `src` up, then starts a restore into `target` whose tape read
  // number `record` is held, drops the DMA there and releases the drive;
  // checks the job is over and the drive free.
  void restore_cut_at_record(unsigned record, const fs::path& target) {
    auto c = rig.login(4);
    ASSERT_TRUE(c);
    load_tape(*c, 1);
    ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
    ASSERT_EQ(drive_job(*c).data, msg::DataHaltReason::successful);
    finish_job(*c);
    tape_before_restore = read_tape(rig.server());
    rig.drive().hold_after(dev::op::read6, record - 1);
    ASSERT_EQ(start_local_restore(*c, target), Error::no_err);
    auto rd = c->next_post(code::NOTIFY_DATA_READ, kWait);
    ASSERT_TRUE(rd);
    msg::MoverReadRequest mr;
    mr.offset = static_cast<const msg::NotifyDataReadPost&>(*rd->body).offset;
    mr.length = static_cast<const msg::NotifyDataReadPost&>(*rd->body).length;
    ASSERT_EQ(c->call(code::MOVER_READ, mr).error(), Error::no_err);
    ASSERT_TRUE(rig.drive().wait_held()) << "the restore reached tape record " << record;
    c->close();
    rig.drive().release();
    expect_job_over_and_drive_free();
  }

  void expect_tape_in_drive(const std::string& barcode) {
    auto v = library_view(element_status(rig.server()));
    ASSERT_EQ(v.drives.size(), 1u);
    EXPECT_EQ(v.drives[0], barcode);
    for (const auto& [slot, tag] : v.slots) EXPECT_NE(tag, barcode) << "slot " << slot;
    EXPECT_EQ(v.slots.size(), 2u) << "the other tapes stay in their slots";
  }
};

// Backup cut after 20 records: the job is aborted, the 20 records stay
// readable, the drive is free, the tape is still in the drive.
TEST_F(DmaDisconnect, DuringBackup) {
  auto c = rig.login(4);
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  rig.drive().hold_writes_after(20);
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  ASSERT_TRUE(rig.drive().wait_held()) << "the backup reached its 21st record";
  c->close();  // the DMA crashes
  rig.drive().release();
  expect_job_over_and_drive_free();
  EXPECT_GE(rig.drive().writes_done(), 20u);
  EXPECT_GT(expect_tape_intact_up_to_cut(src), 0u);
  expect_tape_in_drive("NDM001L6");
}

// Restore cut at its 41st tape record (~1.3 MB of ~10): the job is aborted,
// nothing is written outside the target, the tape is untouched (the full
// image still reads back clean) and the drive is free.
TEST_F(DmaDisconnect, DuringRestore) {
  const fs::path target = rig.export_dir() / "restored";
  restore_cut_at_record(41, target);
  for (auto& e : fs::recursive_directory_iterator(rig.export_dir()))
    EXPECT_TRUE(e.path().string().starts_with(src.string()) || e.path().string().starts_with(target.string()))
        << "outside the target: " << e.path();
  const auto after = read_tape(rig.server());
  EXPECT_EQ(after.bytes, tape_before_restore.bytes) << "a restore never writes the tape";
  EXPECT_TRUE(list_archive(after.bytes).clean_end);
  expect_tape_in_drive("NDM001L6");
}

// The same cut: every file in the target is complete (equal to its source);
// the one being written at the cut must not stay behind at its final name.
TEST_F(DmaDisconnect, DuringRestoreLeavesNoPartialFile) {
  const fs::path target = rig.export_dir() / "restored";
  restore_cut_at_record(41, target);
  size_t complete = 0;
  for (auto& e : fs::recursive_directory_iterator(target))
    if (e.is_regular_file()) {
      const fs::path from = src / fs::relative(e.path(), target);
      const bool same = fs::file_size(e.path()) == fs::file_size(from) && slurp(e.path()) == slurp(from);
      EXPECT_TRUE(same) << e.path() << " is partial: " << fs::file_size(e.path()) << " of " << fs::file_size(from)
                        << " bytes";
      complete += same;
    }
  // How many files finished before the job was aborted depends on timing
  // (the abort cancels the engine at once); that none is partial does not.
  std::printf("restore cut at record 41: %zu complete files, no partial one\n", complete);
}

// The tape fills (early warning after 10 records), the mover pauses EOM, and
// the DMA vanishes instead of changing the tape: the job ends, the 10
// records are readable, the tape stays in the drive, the drive is free.
TEST_F(DmaDisconnect, DuringTapeChange) {
  auto c = rig.login(4);
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  rig.drive().add(dev::Fault::on_nth(dev::op::write6, 10).after_inner().eom());
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  auto paused = c->next_post(code::NOTIFY_MOVER_PAUSED, kWait);
  ASSERT_TRUE(paused);
  EXPECT_EQ(static_cast<const msg::NotifyMoverPausedPost&>(*paused->body).reason, msg::MoverPauseReason::eom);
  EXPECT_EQ(mover_state(*c).record_num, 10u);
  c->close();
  expect_job_over_and_drive_free();
  auto tape = read_tape(rig.server());
  EXPECT_EQ(tape.records, 10u) << "exactly the records written before the pause";
  EXPECT_GT(expect_tape_intact_up_to_cut(src), 0u);
  expect_tape_in_drive("NDM001L6");
}

}  // namespace
}  // namespace ndmp::faults

// Fault matrix: ndmpd killed with SIGKILL in the middle of a backup and
// started again (docs/FAULTS.md, "ndmpd killed"). The real binary runs as a
// child process with the Cloud Manager bridge pointed at a dead port, so the
// job's events stay in the journal.
//
// What must hold afterwards:
//  - ndmpd starts again on the same state (library, journal) without help;
//  - the library state is consistent: element status shows the tape in the
//    drive it was loaded into, the other tapes in their slots;
//  - the tape in the drive reads back as a tar image whose entries before
//    the cut equal their sources; on the emulated library the cut is the
//    last index flush (every 256 records, devices/emulated/tape_image.h), so
//    up to 255 records the killed job wrote may be gone (a real drive keeps
//    what it acknowledged; the host process dying does not reach it);
//  - the journal opens cleanly (a torn last record is cut, never fatal) and
//    holds the killed job's Started event;
//  - the next job works: a fresh backup of the same tree onto the same tape
//    completes and restores exactly, and the journal gains its Started and
//    Halted events.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "cloudmanager/journal.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "tests/faults/child_server.h"
#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;
namespace code = msg::code;

constexpr uint32_t kKillAt = 300;
constexpr size_t kIndexFlush = 256;

std::vector<std::pair<std::string, cm::wire::JobState>> journal_states(const std::string& path) {
  std::vector<std::pair<std::string, cm::wire::JobState>> out;
  std::unique_ptr<cm::Journal> j;
  auto st = cm::Journal::open(path, 16u << 20, j);
  EXPECT_TRUE(st.ok()) << st.text();
  if (!st.ok()) return out;
  // Walking the events acknowledges them: callers pass a file no server uses.
  while (auto e = j->front()) {
    if (e->command == cm::wire::Command_ReportJobState) {
      cm::wire::ReportJobStateRequest m;
      EXPECT_TRUE(m.ParseFromString(e->body));
      out.emplace_back(m.job_uuid(), m.state());
    }
    j->acknowledge(e->id);
  }
  return out;
}

std::vector<std::pair<std::string, cm::wire::JobState>> journal_states_copy(const fs::path& journal,
                                                                            const fs::path& scratch) {
  fs::copy_file(journal, scratch, fs::copy_options::overwrite_existing);
  auto r = journal_states(scratch.string());
  fs::remove(scratch);
  return r;
}

TEST(SigkillRestart, MidBackupThenRestartAndNextJob) {
  test::TempDir dir;
  const fs::path journal = dir.path() / "state" / "cloudmanager.journal";
  ChildOptions opts;
  opts.drives = 1;
  opts.slots = 3;
  opts.tape_mib = 256;
  opts.extra_args = {"--cloudmanager.address", "127.0.0.1", "--cloudmanager.port",
                     std::to_string(free_loopback_port()), "--cloudmanager.uuid",
                     "5f0c1c9e-0d7b-4b1e-9a57-faults-kill0", "--cloudmanager.journal", journal.string()};
  ChildServer srv(dir.path(), opts);
  ASSERT_TRUE(srv.running());
  const fs::path src = srv.export_dir() / "src";
  make_tree(src, 64, 1'000'000);  // 64 MB (2000 records): far more than is written before the kill

  auto c = srv.login(4);
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  // Kill once 300 records are on the tape (a state polled, not a time): past
  // the emulated tape's first index flush (every 256 records, see
  // devices/emulated/tape_image.h), so a prefix of the image must survive.
  uint32_t records = 0;
  msg::MoverState state = msg::MoverState::active;
  for (int i = 0; i < 30'000 && records < kKillAt; ++i) {
    const auto ms = mover_state(*c);
    records = ms.record_num;
    state = ms.state;
    if (records < kKillAt) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GE(records, kKillAt);
  ASSERT_EQ(state, msg::MoverState::active) << "the kill must come in the middle of the backup";
  srv.kill9();
  c.reset();

  ASSERT_TRUE(srv.start()) << "ndmpd restarts on its own state";
  auto lib = library_view(element_status(srv.port()));
  ASSERT_EQ(lib.drives.size(), 1u);
  EXPECT_EQ(lib.drives[0], "NDM001L6") << "the tape is where the killed job had it";
  EXPECT_EQ(lib.slots.size(), 2u);
  EXPECT_FALSE(lib.slots.count(1)) << "slot 1 is empty: its tape is in the drive";

  auto tape = read_tape(srv.port());
  // The emulated tape flushes its index every 256 records; a kill loses the
  // records since the last flush (tape_image.h), never the ones before.
  // (The job kept writing between the last poll and the kill, so the count
  // at the poll is no upper bound.)
  EXPECT_GE(tape.records, kIndexFlush) << "records written before the last index flush are on the tape";
  EXPECT_EQ(tape.end, Error::eom) << "the image ends at end of data, not in an error";
  auto listing = list_archive(tape.bytes);
  EXPECT_FALSE(listing.clean_end) << "the kill came before the end of the archive";
  size_t intact = 0;
  for (const auto& e : listing.entries)
    if (e.complete && fs::is_regular_file(src / e.path)) {
      EXPECT_EQ(e.data, slurp(src / e.path)) << e.path;
      ++intact;
    }
  EXPECT_GT(intact, 0u) << "complete files before the cut read back";

  // The journal file is shared with the running server: read a copy.
  auto killed = journal_states_copy(journal, dir.path() / "journal-copy");
  ASSERT_FALSE(killed.empty()) << "the killed job's events survived SIGKILL";
  EXPECT_EQ(killed.front().second, cm::wire::JobState_Started);
  const std::string killed_job = killed.front().first;

  // The next job works.
  c = srv.login(4);
  ASSERT_TRUE(c);
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  auto end = drive_job(*c);
  ASSERT_TRUE(end.halted);
  EXPECT_EQ(end.data, msg::DataHaltReason::successful);
  finish_job(*c);
  const fs::path target = srv.export_dir() / "restored";
  ASSERT_EQ(start_local_restore(*c, target), Error::no_err);
  EXPECT_EQ(drive_job(*c).data, msg::DataHaltReason::successful);
  finish_job(*c);
  EXPECT_EQ(compare_trees(src, target), std::vector<std::string>{});
  c.reset();
  EXPECT_EQ(srv.stop(), 0);

  auto all = journal_states(journal.string());
  std::map<std::string, std::vector<cm::wire::JobState>> by_job;
  for (auto& [job, state] : all) by_job[job].push_back(state);
  ASSERT_TRUE(by_job.count(killed_job));
  EXPECT_EQ(by_job[killed_job].front(), cm::wire::JobState_Started);
  size_t complete = 0;
  for (auto& [job, states] : by_job)
    if (job != killed_job && states.front() == cm::wire::JobState_Started && states.back() == cm::wire::JobState_Halted)
      ++complete;
  EXPECT_EQ(complete, 2u) << "the next backup and its restore, each Started ... Halted";
}

}  // namespace
}  // namespace ndmp::faults

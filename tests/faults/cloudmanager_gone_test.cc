// Fault matrix: the Cloud Manager is unreachable for the whole job
// (docs/FAULTS.md, "Cloud Manager gone"). The bridge is configured with an
// address where nothing listens.
//
// What must hold afterwards: the backup completes successfully and its data
// restores exactly (a monitoring console being away never stops a backup
// under the default "warn" space policy); the journal, opened after ndmpd
// stopped, holds the job's events unsent and in order: Started first, Halted
// last, one job id.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "cloudmanager/journal.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;

TEST(CloudManagerGone, BackupCompletesAndJournalKeepsTheEvents) {
  test::TempDir keep;  // outlives the server, so the journal can be read after it stopped
  const std::string journal = (keep.path() / "cloudmanager.journal").string();
  const fs::path restored_copy = keep.path() / "src-copy";
  {
    Rig rig({.drives = 1, .slots = 2, .tape_mib = 64}, [&](server::Config& c) {
      c.cm_address = "127.0.0.1";
      c.cm_port = test::free_loopback_port();  // nobody listens there
      c.cm_uuid = "5f0c1c9e-0d7b-4b1e-9a57-faults-test0";
      c.cm_journal = journal;
      c.cm_reconnect_min = std::chrono::milliseconds(20);
      c.cm_reconnect_max = std::chrono::milliseconds(100);
    });
    const fs::path src = rig.export_dir() / "src";
    make_tree(src, 30, 20'000);
    auto c = rig.login(4);
    ASSERT_TRUE(c);
    load_tape(*c, 1);
    ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
    auto end = drive_job(*c);
    ASSERT_TRUE(end.halted);
    EXPECT_EQ(end.data, msg::DataHaltReason::successful);
    finish_job(*c);
    const fs::path target = rig.export_dir() / "restored";
    ASSERT_EQ(start_local_restore(*c, target), Error::no_err);
    EXPECT_EQ(drive_job(*c).data, msg::DataHaltReason::successful);
    finish_job(*c);
    EXPECT_EQ(compare_trees(src, target), std::vector<std::string>{});
  }
  std::unique_ptr<cm::Journal> j;
  auto st = cm::Journal::open(journal, 16u << 20, j);
  ASSERT_TRUE(st.ok()) << st.text();
  std::vector<cm::wire::JobState> states;
  std::set<std::string> jobs;
  while (auto e = j->front()) {
    if (e->command == cm::wire::Command_ReportJobState) {
      cm::wire::ReportJobStateRequest m;
      ASSERT_TRUE(m.ParseFromString(e->body));
      states.push_back(m.state());
      jobs.insert(m.job_uuid());
    }
    j->acknowledge(e->id);
  }
  // Backup and restore: two jobs, each Started ... Halted.
  ASSERT_GE(states.size(), 4u);
  EXPECT_EQ(states.front(), cm::wire::JobState_Started);
  EXPECT_EQ(states.back(), cm::wire::JobState_Halted);
  EXPECT_EQ(std::count(states.begin(), states.end(), cm::wire::JobState_Started), 2);
  EXPECT_EQ(std::count(states.begin(), states.end(), cm::wire::JobState_Halted), 2);
  EXPECT_EQ(jobs.size(), 2u);
}

}  // namespace
}  // namespace ndmp::faults

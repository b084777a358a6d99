// ndmjob's own conformance suite for the TAPE interface (-o test-tape), run
// against ndmpd's emulated drive at each version. Every step must pass and
// the run must end with "FINAL test-tape Passed" (ndmjob's own server does not).
// Also ndmjob's robot operations through ndmpd's SCSI interface.
#include <gtest/gtest.h>
#include <unistd.h>

#include "fmt/format.h"
#include "tests/interop/ndmjob_runner.h"
#include "tests/support/test_server.h"

namespace ndmp::test {
namespace {

void small_library(server::Config& c) {
  c.library_dir = (std::filesystem::path(c.state_dir).parent_path() / "library").string();
  c.library_drives = 2;
  c.library_slots = 4;
  c.library_tape_mib = 64;
}

// MOVE MEDIUM slot 1000 -> drive 500 through our own client.
void load_first_tape(TestServer& s) {
  auto c = s.login(4);
  msg::ScsiOpenRequest o;
  o.device = "emu-changer";
  ASSERT_EQ(c->call(msg::code::SCSI_OPEN, o).error(), msg::Error::no_err);
  msg::ExecuteCdbRequest cdb;
  cdb.cdb = {0xA5, 0, 0, 1, 0x03, 0xE8, 0x01, 0xF4, 0, 0, 0, 0};
  auto x = c->call(msg::code::SCSI_EXECUTE_CDB, cdb);
  ASSERT_EQ(x.as<msg::ExecuteCdbReply>().status, 0);
}

std::string agent(const TestServer& s, int version) {
  return fmt::format("127.0.0.1:{}/{}m,{},{}", s.port(), version, kUser, kPassword);
}

class NdmjobSuite : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (!ndmjob_available()) GTEST_SKIP() << "SKIPPED: " << kNdmjob << " is not installed (apt-get install amanda-common)";
  }
};

TEST_P(NdmjobSuite, TestTapePassesEveryStep) {
  TestServer s(small_library);
  load_first_tape(s);
  auto run = run_ndmjob({"-o", "test-tape", "-v", "-v", "-T", agent(s, GetParam()), "-f", "emu-drive0"});
  SCOPED_TRACE(run.output);
  EXPECT_EQ(run.failed_steps(), std::vector<std::string>{});
  EXPECT_TRUE(run.has("FINAL test-tape Passed")) << "suite did not complete";
  EXPECT_GT(run.passed_steps(), 50);
  std::printf("test-tape v%d: %d steps passed, %zu failed\n", GetParam(), run.passed_steps(), run.failed_steps().size());
}

TEST_P(NdmjobSuite, TestMoverPassesEveryStep) {
  TestServer s(small_library);
  load_first_tape(s);
  auto run = run_ndmjob({"-o", "test-mover", "-v", "-v", "-T", agent(s, GetParam()), "-f", "emu-drive0"});
  SCOPED_TRACE(run.output);
  EXPECT_EQ(run.failed_steps(), std::vector<std::string>{});
  EXPECT_TRUE(run.has("FINAL test-mover Passed")) << "suite did not complete";
  std::printf("test-mover v%d: %d steps passed, %zu failed\n", GetParam(), run.passed_steps(), run.failed_steps().size());
}

TEST_P(NdmjobSuite, TestDataPassesEveryStep) {
  TestServer s(small_library);
  auto run = run_ndmjob({"-o", "test-data", "-v", "-v", "-D", agent(s, GetParam())});
  SCOPED_TRACE(run.output);
  EXPECT_EQ(run.failed_steps(), std::vector<std::string>{});
  EXPECT_TRUE(run.has("FINAL test-data Passed")) << "suite did not complete";
  std::printf("test-data v%d: %d steps passed, %zu failed\n", GetParam(), run.passed_steps(), run.failed_steps().size());
}

INSTANTIATE_TEST_SUITE_P(Versions, NdmjobSuite, ::testing::Values(2, 3, 4),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

class NdmjobRobot : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (!ndmjob_available()) GTEST_SKIP() << "SKIPPED: ndmjob is not installed";
  }
};

TEST_P(NdmjobRobot, InventoryLoadLabelListUnload) {
  TestServer s(small_library);
  const std::string a = agent(s, GetParam());
  const std::vector<std::string> robot = {"-R", a, "-r", "emu-changer"};
  auto with = [&](std::vector<std::string> args) {
    // Each run is a new ndmjob process; the last one's session may still be
    // ending on the server side, holding the changer it opened.
    s.wait_until_no_sessions();
    args.insert(args.end(), robot.begin(), robot.end());
    return run_ndmjob(args);
  };

  auto init = with({"-v", "-o", "init-elem-status"});
  EXPECT_TRUE(init.has("Operation complete")) << init.output;
  EXPECT_FALSE(init.has("failed")) << init.output;

  auto q = with({"-q"});
  EXPECT_TRUE(q.has("NDM001L6")) << q.output;
  EXPECT_TRUE(q.has("NDM004L6")) << q.output;

  // Label two tapes (ndmjob loads each, writes its label, unloads).
  auto lab = with({"-v", "-o", "init-labels", "-T", a, "-f", "emu-drive0", "-m", "VOL001@1000", "-m", "VOL002@1001"});
  EXPECT_TRUE(lab.has("Operation complete")) << lab.output;
  EXPECT_FALSE(lab.has("had problems")) << lab.output;

  auto list = with({"-v", "-l", "-T", a, "-f", "emu-drive0", "-m", "@1000", "-m", "@1001"});
  EXPECT_TRUE(list.has("VOL001")) << list.output;
  EXPECT_TRUE(list.has("VOL002")) << list.output;

  auto load = with({"-v", "-o", "load=1001"});
  EXPECT_TRUE(load.has("Operation complete")) << load.output;
  EXPECT_FALSE(load.has("had problems")) << load.output;
  auto after_load = with({"-q"});
  SCOPED_TRACE(after_load.output);

  // The element status through our own client agrees: drive 500 is full, slot 1001 empty.
  {
    s.wait_until_no_sessions();  // ndmjob's last session may still be ending on the server side
    auto c = s.login(4);
    msg::ScsiOpenRequest o;
    o.device = "emu-changer";
    ASSERT_EQ(c->call(msg::code::SCSI_OPEN, o).error(), msg::Error::no_err);
    msg::ExecuteCdbRequest cdb;
    cdb.flags = 1;
    cdb.datain_len = 1024;
    cdb.cdb = {0xB8, 0x14, 0x01, 0xF4, 0, 1, 0, 0x00, 0x04, 0x00, 0, 0};
    auto r = c->call(msg::code::SCSI_EXECUTE_CDB, cdb);
    std::string data(r.as<msg::ExecuteCdbReply>().datain.begin(), r.as<msg::ExecuteCdbReply>().datain.end());
    EXPECT_NE(data.find("NDM002L6"), std::string::npos) << "drive 0 should hold the tape from slot 1001";
  }

  auto unload = with({"-v", "-o", "unload"});
  EXPECT_TRUE(unload.has("Operation complete")) << unload.output;
  EXPECT_FALSE(unload.has("had problems")) << unload.output;
  auto after_unload = with({"-q"});
  EXPECT_TRUE(after_unload.has("NDM002L6")) << after_unload.output;
}

INSTANTIATE_TEST_SUITE_P(Versions, NdmjobRobot, ::testing::Values(3, 4),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

}  // namespace
}  // namespace ndmp::test

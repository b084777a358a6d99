// The bridge against the simulator (tools/cmsim), in-process: the ordered
// status sequence of a job, the Cloud Manager away and back, the bridge's
// process killed with events unsent and restarted, refusals, duplicates, bad
// frames, and the space check under each policy.
//
// These tests use loopback TCP and real threads; they wait for outcomes with
// generous deadlines (Simulator::wait_until), never for a fixed time.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "cloudmanager/bridge.h"
#include "cloudmanager/header.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "tools/cmsim/simulator.h"

namespace ndmp::cm {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using events::JobEvent;
using events::JobEventType;
using events::SpaceAnswer;
using events::SpaceOutcome;

constexpr auto kWait = 15s;  // an outcome that takes longer than this is a failure

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cm-bridge-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cmsim::SimConfig sc;
    sc.record_path = (dir_ / "received.jsonl").string();
    sim_ = std::make_unique<cmsim::Simulator>(sc);
    Status s = sim_->start();
    ASSERT_TRUE(s.ok()) << s.text();
  }
  void TearDown() override {
    sim_.reset();
    fs::remove_all(dir_);
  }

  BridgeConfig config() const {
    BridgeConfig c;
    c.address = "127.0.0.1";
    c.port = sim_->port();
    c.streamer_uuid = "streamer-test-uuid";
    c.streamer_name = "test";
    c.journal_path = (dir_ / "cm.journal").string();
    c.progress_interval = 10s;
    c.reconnect_min = 20ms;
    c.reconnect_max = 200ms;
    c.io_timeout = 5s;
    return c;
  }

  static JobEvent event(JobEventType type, const std::string& reason = "", int at_second = 0,
                        uint64_t bytes = 0) {
    JobEvent e;
    e.job_id = "job-1";
    e.type = type;
    e.reason = reason;
    e.source_path = "/export/home";
    e.device = "tape0";
    e.media_label = "A00001L6";
    e.bytes = bytes;
    e.rate_bytes_per_sec = 1000;
    e.est_seconds_left = 60;
    e.when = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000 + at_second));
    return e;
  }

  bool wait_events(std::size_t n) {
    return sim_->wait_until([n](const cmsim::Simulator& s) { return s.events().size() >= n; }, kWait);
  }

  // For bridge-side state, which has no notification: re-checked every 10 ms.
  static bool eventually(const std::function<bool()>& pred) {
    const auto until = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < until) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }

  static std::vector<int64_t> ids(const std::vector<cmsim::Received>& rs) {
    std::vector<int64_t> out;
    for (const auto& r : rs) out.push_back(r.event_id);
    return out;
  }

  static wire::ReportJobStateRequest state_of(const cmsim::Received& r) {
    EXPECT_EQ(r.command, wire::Command_ReportJobState);
    wire::ReportJobStateRequest m;
    EXPECT_TRUE(m.ParseFromString(r.body));
    return m;
  }

  fs::path dir_;
  std::unique_ptr<cmsim::Simulator> sim_;
};

TEST_F(BridgeTest, BackupReportsTheFullOrderedStatusSequence) {
  Bridge bridge(config());
  ASSERT_TRUE(bridge.start().ok());
  bridge.publish(event(JobEventType::started));
  bridge.publish(event(JobEventType::progress, "", 0, 100));
  bridge.publish(event(JobEventType::progress, "", 5, 200));  // within the interval: not sent
  bridge.publish(event(JobEventType::progress, "", 10, 300));
  bridge.publish(event(JobEventType::paused, "EOM", 11, 350));
  bridge.publish(event(JobEventType::continued, "", 40, 350));
  bridge.publish(event(JobEventType::exception, "MEDIA_ERROR", 41, 360));
  bridge.publish(event(JobEventType::halted, "SUCCESSFUL", 50, 400));
  ASSERT_TRUE(wait_events(7));

  const auto all = sim_->received();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().command, wire::Command_StreamerHello);
  EXPECT_EQ(all.front().streamer_uuid, "streamer-test-uuid");

  const auto ev = sim_->events();
  ASSERT_EQ(ev.size(), 7u);
  EXPECT_EQ(ids(ev), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  for (const auto& r : ev) EXPECT_EQ(r.streamer_uuid, "streamer-test-uuid");

  const auto started = state_of(ev[0]);
  EXPECT_EQ(started.state(), wire::JobState_Started);
  EXPECT_EQ(started.job_uuid(), "job-1");
  EXPECT_EQ(started.kind(), wire::JobKind_Backup);
  EXPECT_EQ(started.source_path(), "/export/home");
  EXPECT_EQ(started.time(), 1'800'000'000);

  wire::ReportJobProgressRequest p1, p2;
  ASSERT_EQ(ev[1].command, wire::Command_ReportJobProgress);
  ASSERT_TRUE(p1.ParseFromString(ev[1].body));
  ASSERT_EQ(ev[2].command, wire::Command_ReportJobProgress);
  ASSERT_TRUE(p2.ParseFromString(ev[2].body));
  EXPECT_EQ(p1.bytes(), 100);
  EXPECT_EQ(p2.bytes(), 300);
  EXPECT_EQ(p2.rate(), 1000);
  EXPECT_EQ(p2.remaining_time(), 60);

  const auto paused = state_of(ev[3]);
  EXPECT_EQ(paused.state(), wire::JobState_Paused);
  EXPECT_EQ(paused.pause_reason(), wire::JobPauseReason_EndOfMedium);
  EXPECT_EQ(paused.reason(), "EOM");
  EXPECT_EQ(paused.media_label(), "A00001L6");

  EXPECT_EQ(state_of(ev[4]).state(), wire::JobState_Continued);

  ASSERT_EQ(ev[5].command, wire::Command_ReportJobException);
  wire::ReportJobExceptionRequest ex;
  ASSERT_TRUE(ex.ParseFromString(ev[5].body));
  EXPECT_EQ(ex.exception(), wire::Exception_StreamerPoolDisabled);
  EXPECT_EQ(ex.reason(), "MEDIA_ERROR");

  const auto halted = state_of(ev[6]);
  EXPECT_EQ(halted.state(), wire::JobState_Halted);
  EXPECT_EQ(halted.halt_reason(), wire::JobHaltReason_Successful);
  EXPECT_EQ(halted.bytes(), 400);

  EXPECT_TRUE(eventually([&] { return bridge.stats().pending == 0; }));
  EXPECT_EQ(bridge.stats().delivered, 7u);

  // The simulator's record: one JSON line per message received.
  std::ifstream rec(dir_ / "received.jsonl");
  std::string line;
  std::size_t lines = 0;
  while (std::getline(rec, line)) {
    ++lines;
    EXPECT_EQ(line.front(), '{');
  }
  EXPECT_EQ(lines, all.size());
}

TEST_F(BridgeTest, CloudManagerAwayDuringTheBackupGetsEverythingWhenBack) {
  Bridge bridge(config());
  ASSERT_TRUE(bridge.start().ok());
  bridge.publish(event(JobEventType::started));
  ASSERT_TRUE(wait_events(1));

  sim_->go_away();
  bridge.publish(event(JobEventType::progress, "", 10, 100));
  bridge.publish(event(JobEventType::paused, "EOM", 20, 200));
  bridge.publish(event(JobEventType::continued, "", 30, 200));
  bridge.publish(event(JobEventType::progress, "", 40, 300));
  bridge.publish(event(JobEventType::halted, "SUCCESSFUL", 50, 400));
  EXPECT_EQ(sim_->events().size(), 1u);
  EXPECT_GE(bridge.stats().pending, 5u) << "kept in the journal while away";

  ASSERT_TRUE(sim_->come_back().ok());
  ASSERT_TRUE(wait_events(6));
  const auto ev = sim_->events();
  EXPECT_EQ(ids(ev), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(state_of(ev.back()).halt_reason(), wire::JobHaltReason_Successful);
  EXPECT_GE(sim_->connections_accepted(), 2u);
  EXPECT_TRUE(eventually([&] { return bridge.stats().pending == 0; }));
}

TEST_F(BridgeTest, KilledWithUnsentEventsAndRestartedDeliversThem) {
  const BridgeConfig cfg = config();
  sim_->go_away();  // the port stays ours to come back on; no threads left to fork with
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Bridge b(cfg);
    if (!b.start().ok()) ::_exit(2);
    b.publish(event(JobEventType::started));
    b.publish(event(JobEventType::paused, "EOM", 10, 100));
    b.publish(event(JobEventType::continued, "", 20, 100));
    b.publish(event(JobEventType::halted, "ABORTED", 30, 150));
    ::raise(SIGKILL);  // ndmpd dies: no stop(), no destructor, no sync
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  ASSERT_TRUE(sim_->come_back().ok());
  Bridge restarted(cfg);
  ASSERT_TRUE(restarted.start().ok());
  ASSERT_TRUE(wait_events(4));
  const auto ev = sim_->events();
  EXPECT_EQ(ids(ev), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(state_of(ev[0]).state(), wire::JobState_Started);
  EXPECT_EQ(state_of(ev[1]).state(), wire::JobState_Paused);
  EXPECT_EQ(state_of(ev[2]).state(), wire::JobState_Continued);
  EXPECT_EQ(state_of(ev[3]).halt_reason(), wire::JobHaltReason_Aborted);

  // New events continue the numbering after the restart.
  restarted.publish(event(JobEventType::started, "", 100));
  ASSERT_TRUE(wait_events(5));
  EXPECT_EQ(sim_->events().back().event_id, 5);
}

TEST_F(BridgeTest, LostAcknowledgementResendsAndTheReceiverDropsTheDuplicate) {
  sim_->set_disconnect_after(2);  // 1 = StreamerHello, 2 = the first event: taken, not answered
  Bridge bridge(config());
  ASSERT_TRUE(bridge.start().ok());
  bridge.publish(event(JobEventType::started));
  bridge.publish(event(JobEventType::halted, "SUCCESSFUL", 5));
  ASSERT_TRUE(wait_events(2));
  EXPECT_EQ(ids(sim_->events()), (std::vector<int64_t>{1, 2}));
  std::size_t dups = 0;
  for (const auto& r : sim_->received()) dups += r.duplicate;
  EXPECT_EQ(dups, 1u);
}

TEST_F(BridgeTest, RefusedEventsStayJournalledAndAreRetried) {
  sim_->set_refuse(true);
  Bridge bridge(config());
  ASSERT_TRUE(bridge.start().ok());
  bridge.publish(event(JobEventType::started));
  ASSERT_TRUE(sim_->wait_until(
      [](const cmsim::Simulator& s) {
        std::size_t refused = 0;
        for (const auto& r : s.received()) refused += r.answer == wire::ErrorCode_ReportJobStateFailed;
        return refused >= 2;
      },
      kWait));
  EXPECT_EQ(bridge.stats().pending, 1u);
  EXPECT_TRUE(sim_->events().empty());
  sim_->set_refuse(false);
  ASSERT_TRUE(wait_events(1));
  EXPECT_EQ(sim_->events().front().event_id, 1);
}

TEST_F(BridgeTest, BadFrameFromTheCloudManagerClosesThatConnectionAndReconnects) {
  // A fake Cloud Manager that answers StreamerHello with version 9.
  const int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(ls, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(ls, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len);
  BridgeConfig cfg = config();
  cfg.port = ntohs(a.sin_port);
  Bridge bridge(cfg);
  ASSERT_TRUE(bridge.start().ok());

  const int c = ::accept(ls, nullptr, nullptr);
  ASSERT_GE(c, 0);
  char buf[512];
  ASSERT_GE(::recv(c, buf, sizeof buf, 0), static_cast<ssize_t>(kHeaderSize));
  Header h;
  h.direction = wire::MessageDirection_CloudManagerToStreamer;
  h.command = wire::Command_StreamerHello;
  auto bytes = encode_header(h);
  bytes[0] = 9;
  ASSERT_EQ(::send(c, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  EXPECT_EQ(::recv(c, buf, sizeof buf, 0), 0) << "the bridge closed the connection";
  ::close(c);
  const int again = ::accept(ls, nullptr, nullptr);  // and came back with a new one
  EXPECT_GE(again, 0);
  bridge.stop();
  ::close(again);
  ::close(ls);
}

TEST_F(BridgeTest, StrictPolicyRefusesABackupTheCloudManagerHasNoSpaceFor) {
  sim_->set_free_space(1000);
  BridgeConfig cfg = config();
  cfg.space_policy = SpacePolicy::refuse;
  Bridge bridge(cfg);
  ASSERT_TRUE(bridge.start().ok());
  const SpaceAnswer big = bridge.space_check("job-big", 5000, 5s);
  EXPECT_EQ(big.outcome, SpaceOutcome::not_enough);
  EXPECT_FALSE(big.proceed);
  EXPECT_EQ(big.free_bytes, 1000);
  EXPECT_EQ(big.text, "the Cloud Manager reports not enough backup space: about 5000 bytes needed, 1000 bytes free");
  const SpaceAnswer small = bridge.space_check("job-small", 500, 5s);
  EXPECT_EQ(small.outcome, SpaceOutcome::enough);
  EXPECT_TRUE(small.proceed);
  std::vector<int64_t> sizes;
  for (const auto& r : sim_->received())
    if (r.command == wire::Command_QueryBackupSpaceEnough) {
      EXPECT_EQ(r.str("streamer_uuid"), "streamer-test-uuid");
      sizes.push_back(r.num("backup_size"));
    }
  EXPECT_EQ(sizes, (std::vector<int64_t>{5000, 500}));
}

// Each outcome of a space check in its own words: the DMA and the log get
// these (server/space_check.cc adds the policy).
TEST_F(BridgeTest, SpaceQueryRefusedByTheCloudManagerNamesItsErrorCode) {
  BridgeConfig cfg = config();
  cfg.space_policy = SpacePolicy::refuse;
  Bridge bridge(cfg);
  ASSERT_TRUE(bridge.start().ok());
  sim_->set_query_error(11606);
  SpaceAnswer a = bridge.space_check("job-1", 10, 5s);
  EXPECT_EQ(a.outcome, SpaceOutcome::refused);
  EXPECT_FALSE(a.proceed);
  EXPECT_EQ(a.error_code, 11606);
  EXPECT_EQ(a.text, "the Cloud Manager refused the space query with error QueryBackupSpaceEnoughFailed (11606)");
  sim_->set_query_error(2502);
  a = bridge.space_check("job-2", 10, 5s);
  EXPECT_EQ(a.outcome, SpaceOutcome::refused);
  EXPECT_EQ(a.text, "the Cloud Manager refused the space query with error QuotaInsufficient (2502)");
}

TEST_F(BridgeTest, StrictPolicyRefusesWhenTheCloudManagerIsSilent) {
  sim_->set_query_silent(true);
  BridgeConfig cfg = config();
  cfg.space_policy = SpacePolicy::refuse;
  Bridge bridge(cfg);
  ASSERT_TRUE(bridge.start().ok());
  const SpaceAnswer a = bridge.space_check("job-1", 10, 300ms);
  EXPECT_EQ(a.outcome, SpaceOutcome::no_answer);
  EXPECT_FALSE(a.proceed);
  EXPECT_EQ(a.text, "the Cloud Manager did not answer the space query within 300 ms");
  // The unanswered query's connection was closed; the next query gets a new one and its answer.
  sim_->set_query_silent(false);
  EXPECT_EQ(bridge.space_check("job-2", 10, 5s).outcome, SpaceOutcome::enough);
}

TEST_F(BridgeTest, StrictPolicyRefusesWhenTheCloudManagerIsAway) {
  sim_->go_away();
  BridgeConfig cfg = config();
  cfg.space_policy = SpacePolicy::refuse;
  Bridge bridge(cfg);
  ASSERT_TRUE(bridge.start().ok());
  const SpaceAnswer a = bridge.space_check("job-1", 10, 2s);
  EXPECT_EQ(a.outcome, SpaceOutcome::not_connected);
  EXPECT_FALSE(a.proceed);
  EXPECT_NE(a.text.find("ndmpd is not connected to the Cloud Manager at 127.0.0.1:"), std::string::npos) << a.text;
}

TEST_F(BridgeTest, StrictPolicyRefusesAtOnceWhenTheBridgeIsNotRunning) {
  BridgeConfig cfg = config();
  cfg.space_policy = SpacePolicy::refuse;
  Bridge bridge(cfg);  // never started
  const SpaceAnswer a = bridge.space_check("job-1", 10, 1h);
  EXPECT_EQ(a.outcome, SpaceOutcome::not_connected);
  EXPECT_EQ(a.text, "the Cloud Manager bridge is not running");
}

TEST_F(BridgeTest, WarnPolicyGoesOnDespiteNotEnoughSpace) {
  sim_->set_free_space(1000);
  BridgeConfig cfg = config();
  cfg.space_policy = SpacePolicy::warn;
  Bridge bridge(cfg);
  ASSERT_TRUE(bridge.start().ok());
  const SpaceAnswer a = bridge.space_check("job-big", 5000, 5s);
  EXPECT_EQ(a.outcome, SpaceOutcome::not_enough);
  EXPECT_TRUE(a.proceed);
  std::size_t asked = 0;
  for (const auto& r : sim_->received()) asked += r.command == wire::Command_QueryBackupSpaceEnough;
  EXPECT_EQ(asked, 1u) << "warn still asks";
}

TEST_F(BridgeTest, SkipPolicyAsksNothing) {
  sim_->set_free_space(0);
  BridgeConfig cfg = config();
  cfg.space_policy = SpacePolicy::skip;
  Bridge bridge(cfg);
  ASSERT_TRUE(bridge.start().ok());
  const SpaceAnswer a = bridge.space_check("job-1", 5000, 5s);
  EXPECT_EQ(a.outcome, SpaceOutcome::skipped);
  EXPECT_TRUE(a.proceed);
  bridge.publish(event(JobEventType::started));
  ASSERT_TRUE(wait_events(1));
  for (const auto& r : sim_->received()) EXPECT_NE(r.command, wire::Command_QueryBackupSpaceEnough);
}

// A report the Cloud Manager never answers holds its connection for up to
// reply_timeout; the space query, on its own connection, is answered at once.
TEST_F(BridgeTest, SpaceQueryNeverWaitsBehindAnUnansweredReport) {
  sim_->set_report_silent(true);
  BridgeConfig cfg = config();
  cfg.space_policy = SpacePolicy::refuse;
  cfg.io_timeout = 1h;  // the report's reply is waited for longer than the test runs
  Bridge bridge(cfg);
  ASSERT_TRUE(bridge.start().ok());
  bridge.publish(event(JobEventType::started));
  ASSERT_TRUE(sim_->wait_until(
      [](const cmsim::Simulator& s) {
        for (const auto& r : s.received())
          if (r.command == wire::Command_ReportJobState) return true;
        return false;
      },
      kWait))
      << "the report is in flight, unanswered";
  const SpaceAnswer a = bridge.space_check("job-2", 10, 10s);
  EXPECT_EQ(a.outcome, SpaceOutcome::enough) << a.text;
  EXPECT_TRUE(sim_->events().empty()) << "the report is still unanswered";
}

// A Cloud Manager built to the protocol summary alone: StreamerHello gets
// UnrecognizedCommand. The bridge stays connected, asks space queries, and
// sends no reports (which it could not take).
TEST_F(BridgeTest, SeedOnlyCloudManagerGetsSpaceQueriesAndNoReconnectLoop) {
  sim_->set_seed_only(true);
  sim_->set_free_space(1000);
  BridgeConfig cfg = config();
  cfg.space_policy = SpacePolicy::refuse;
  Bridge bridge(cfg);
  ASSERT_TRUE(bridge.start().ok());
  ASSERT_TRUE(eventually([&] { return bridge.stats().extension == Extension::unavailable; }));
  bridge.publish(event(JobEventType::started));
  bridge.publish(event(JobEventType::halted, "SUCCESSFUL", 5, 400));
  ASSERT_TRUE(eventually([&] { return bridge.stats().not_sent == 2; }));
  EXPECT_EQ(bridge.stats().pending, 0u) << "the journal does not grow for a Cloud Manager that cannot take reports";

  const SpaceAnswer small = bridge.space_check("job-small", 500, 5s);
  EXPECT_EQ(small.outcome, SpaceOutcome::enough) << small.text;
  const SpaceAnswer big = bridge.space_check("job-big", 5000, 5s);
  EXPECT_EQ(big.outcome, SpaceOutcome::not_enough) << big.text;

  std::size_t hellos = 0, queries = 0, reports = 0;
  for (const auto& r : sim_->received()) {
    if (r.command == wire::Command_StreamerHello) {
      ++hellos;
      EXPECT_EQ(r.answer, wire::ErrorCode_UnrecognizedCommand);
    }
    queries += r.command == wire::Command_QueryBackupSpaceEnough;
    reports += r.command == wire::Command_ReportJobState;
  }
  EXPECT_EQ(hellos, 1u) << "one connection, kept: no reconnect loop";
  EXPECT_EQ(queries, 2u);
  EXPECT_EQ(reports, 0u);
  EXPECT_TRUE(bridge.stats().connected);
  EXPECT_EQ(bridge.stats().connects, 1u);
}

// The same Cloud Manager upgraded: the next connection's hello is accepted
// and reports flow from then on.
TEST_F(BridgeTest, ExtensionIsAskedAgainOnEveryNewConnection) {
  sim_->set_seed_only(true);
  Bridge bridge(config());
  ASSERT_TRUE(bridge.start().ok());
  ASSERT_TRUE(eventually([&] { return bridge.stats().extension == Extension::unavailable; }));
  sim_->set_seed_only(false);
  sim_->disconnect_all();
  ASSERT_TRUE(eventually([&] { return bridge.stats().extension == Extension::accepted; }));
  bridge.publish(event(JobEventType::started));
  ASSERT_TRUE(wait_events(1));
  EXPECT_EQ(state_of(sim_->events().front()).state(), wire::JobState_Started);
}

// Device and library failures, as ndmpd publishes them (synthesized here):
// the seed's Exception and ErrorCode where one fits, the extension's fields
// (reason, tape_alert_flags) otherwise. Read with cmsim's own decoder.
TEST_F(BridgeTest, DeviceAndLibraryFailuresReachTheCloudManager) {
  Bridge bridge(config());
  ASSERT_TRUE(bridge.start().ok());
  JobEvent offline = event(JobEventType::exception, "DRIVE_OFFLINE", 1);
  offline.text = "tape drive tape0 does not answer (not ready)";
  JobEvent changer = event(JobEventType::exception, "CHANGER_NOT_RESPONDING", 2);
  changer.text = "the changer did not answer MOVE MEDIUM";
  JobEvent alert = event(JobEventType::exception, "TAPE_ALERT", 3);
  alert.tape_alert_flags = {5, 20};
  JobEvent halted = event(JobEventType::halted, "SUCCESSFUL", 4, 400);
  halted.tape_alert_flags = {21};  // read after the job: a warning only
  for (const JobEvent& e : {offline, changer, alert, halted}) bridge.publish(e);
  ASSERT_TRUE(wait_events(5));
  const auto ev = sim_->events();
  ASSERT_EQ(ev.size(), 5u);

  EXPECT_EQ(ev[0].command, wire::Command_ReportJobException);
  EXPECT_EQ(ev[0].str("reason"), "DRIVE_OFFLINE");
  EXPECT_EQ(ev[0].num("exception"), wire::Exception_StreamerPoolDisabled);
  EXPECT_EQ(ev[0].num("error_code"), wire::ErrorCode_FileOpenFailed);
  EXPECT_EQ(ev[0].str("text"), offline.text);

  EXPECT_EQ(ev[1].str("reason"), "CHANGER_NOT_RESPONDING");
  EXPECT_EQ(ev[1].num("exception"), wire::Exception_StreamerPoolDisabled);
  EXPECT_EQ(ev[1].num("error_code"), 0) << "no ErrorCode of the summary fits a silent changer";

  EXPECT_EQ(ev[2].str("reason"), "TAPE_ALERT");
  EXPECT_EQ(ev[2].num("exception"), wire::Exception_StreamerPoolDisabled) << "read failure is critical";
  EXPECT_EQ(ev[2].num("error_code"), wire::ErrorCode_FileReadFailed);
  EXPECT_EQ(ev[2].nums("tape_alert_flags"), (std::vector<int64_t>{5, 20}));
  EXPECT_NE(ev[2].str("text").find("5 Read failure (critical), 20 Clean now (critical)"), std::string::npos)
      << ev[2].str("text");

  EXPECT_EQ(ev[3].command, wire::Command_ReportJobException) << "the flags read with the halt come first";
  EXPECT_EQ(ev[3].str("reason"), "TAPE_ALERT");
  EXPECT_EQ(ev[3].num("exception"), wire::Exception_Normal) << "Clean periodic is a warning";
  EXPECT_EQ(ev[3].nums("tape_alert_flags"), (std::vector<int64_t>{21}));
  EXPECT_EQ(ev[4].command, wire::Command_ReportJobState);
  EXPECT_EQ(ev[4].num("state"), wire::JobState_Halted);
}

TEST_F(BridgeTest, RefusedJobIsReportedWithItsReason) {
  Bridge bridge(config());
  ASSERT_TRUE(bridge.start().ok());
  JobEvent e = event(JobEventType::refused, "SPACE_CHECK");
  e.text = "backup of /export/home refused: the Cloud Manager refused the space query with error "
           "QuotaInsufficient (2502) (cloudmanager.space_policy = refuse)";
  bridge.publish(e);
  ASSERT_TRUE(wait_events(1));
  const auto r = sim_->events().front();
  EXPECT_EQ(r.num("state"), wire::JobState_Refused);
  EXPECT_EQ(r.str("reason"), "SPACE_CHECK");
  EXPECT_EQ(r.str("text"), e.text);
  EXPECT_EQ(r.str("job_uuid"), "job-1");
}

TEST_F(BridgeTest, StartRefusesAnIncompleteConfiguration) {
  BridgeConfig cfg = config();
  cfg.streamer_uuid.clear();
  Bridge bridge(cfg);
  Status s = bridge.start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.text().find("cloudmanager.uuid"), std::string::npos) << s.text();
}

}  // namespace
}  // namespace ndmp::cm

// ndmpd with its Cloud Manager bridge, end to end: an in-process server built
// through the composition root (TestServer) with cloudmanager.* set, the
// simulator (tools/cmsim) recording, and real local backups driven message by
// message by our DMA-side client onto the emulated library.
//
// What a Cloud Manager operator would check: every job's started, progress
// and halted reports arrive in order with the job's id; the Cloud Manager
// away during a backup, or ndmpd stopped with reports unsent and started
// again, loses nothing; under the refuse policy a backup the Cloud Manager
// has no room for is refused before anything reaches the tape.
//
// Outcomes are waited for with generous deadlines (Simulator::wait_until),
// never for a fixed time.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "cloudmanager/bridge.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "tests/support/test_server.h"
#include "tools/cmsim/simulator.h"

namespace ndmp {
namespace {

namespace fs = std::filesystem;
namespace code = msg::code;
using namespace std::chrono_literals;
using msg::Error;

constexpr uint64_t kAll = ~uint64_t{0};
constexpr auto kWait = 30s;
constexpr const char* kStreamer = "5f0c1c9e-0d7b-4b1e-9a57-ndmpd-test";

// One job report as the Cloud Manager received it.
struct Report {
  cm::wire::Command command = cm::wire::Command_None;
  std::string job;
  int64_t event_id = 0;
  cm::wire::JobState state = cm::wire::JobState_None;
  std::string reason;
  std::string text;
  int64_t bytes = 0;
  int64_t time = 0;
};

Report decode(const cmsim::Received& r) {
  Report out;
  out.command = r.command;
  out.event_id = r.event_id;
  if (r.command == cm::wire::Command_ReportJobState) {
    cm::wire::ReportJobStateRequest m;
    EXPECT_TRUE(m.ParseFromString(r.body));
    out.job = m.job_uuid();
    out.state = m.state();
    out.reason = m.reason();
    out.text = m.text();
    out.bytes = m.bytes();
    out.time = m.time();
  } else if (r.command == cm::wire::Command_ReportJobProgress) {
    cm::wire::ReportJobProgressRequest m;
    EXPECT_TRUE(m.ParseFromString(r.body));
    out.job = m.job_uuid();
    out.bytes = m.bytes();
    out.time = m.time();
  } else if (r.command == cm::wire::Command_ReportJobException) {
    cm::wire::ReportJobExceptionRequest m;
    EXPECT_TRUE(m.ParseFromString(r.body));
    out.job = m.job_uuid();
    out.reason = m.reason();
    out.time = m.time();
  }
  return out;
}

class NdmpdBridge : public ::testing::Test {
 protected:
  void SetUp() override {
    cmsim::SimConfig sc;
    sc.record_path = (dir_.path() / "received.jsonl").string();
    sim_ = std::make_unique<cmsim::Simulator>(sc);
    cm::Status st = sim_->start();
    ASSERT_TRUE(st.ok()) << st.text();
  }

  // The server's configuration: emulated library, the bridge pointed at the
  // simulator, and a journal outside the server's own directory so a second
  // server (the restart) finds it.
  std::function<void(server::Config&)> tune(const std::string& policy) {
    return [this, policy](server::Config& c) {
      c.library_dir = (fs::path(c.state_dir).parent_path() / "library").string();
      c.library_drives = 1;
      c.library_slots = 2;
      c.library_tape_mib = 64;
      c.cm_address = "127.0.0.1";
      c.cm_port = sim_->port();
      c.cm_uuid = kStreamer;
      c.cm_name = "ndmpd-under-test";
      c.cm_journal = (dir_.path() / "cloudmanager.journal").string();
      c.cm_progress_interval = 1ms;  // every write may report: progress needs no waiting
      c.cm_space_policy = policy;
      c.cm_space_timeout = space_timeout_;
      c.cm_reconnect_min = 20ms;
      c.cm_reconnect_max = 200ms;
    };
  }

  void start_server(const std::string& policy) {
    server_.reset();
    server_ = std::make_unique<test::TestServer>(tune(policy));
    c_ = server_->login(4);
    ASSERT_TRUE(c_);
  }

  fs::path make_source() {
    const fs::path src = server_->dir() / "export" / "src";
    fs::create_directories(src / "d");
    for (int i = 0; i < 30; ++i)
      std::ofstream(src / "d" / ("file" + std::to_string(i))) << std::string(8000 + i * 1000, static_cast<char>('a' + i % 26));
    return src;
  }

  // Loads the tape of slot 0 into the drive (MOVE MEDIUM), opens it for
  // writing, and sets up a LOCAL mover and data connection for a backup.
  void prepare_local_backup() {
    msg::ScsiOpenRequest so;
    so.device = "emu-changer";
    ASSERT_EQ(c_->call(code::SCSI_OPEN, so).error(), Error::no_err);
    msg::ExecuteCdbRequest cdb;
    cdb.cdb = {0xA5, 0, 0, 1, 0x03, 0xE8, 0x01, 0xF4, 0, 0, 0, 0};  // MOVE MEDIUM slot 1000 -> drive 500
    ASSERT_EQ(c_->call(code::SCSI_EXECUTE_CDB, cdb).as<msg::ExecuteCdbReply>().status, 0);
    ASSERT_EQ(c_->call(code::SCSI_CLOSE).error(), Error::no_err);
    msg::TapeOpenRequest o;
    o.device = "emu-drive0";
    o.mode = msg::TapeOpenMode::rdwr;
    ASSERT_EQ(c_->call(code::TAPE_OPEN, o).error(), Error::no_err);
    msg::MoverSetRecordSizeRequest rs;
    rs.len = 32768;
    ASSERT_EQ(c_->call(code::MOVER_SET_RECORD_SIZE, rs).error(), Error::no_err);
    msg::MoverSetWindowRequest w;
    w.offset = 0;
    w.length = kAll;
    ASSERT_EQ(c_->call(code::MOVER_SET_WINDOW, w).error(), Error::no_err);
    msg::MoverListenRequest l;
    l.mode = msg::MoverMode::read;
    l.type = msg::AddrType::local;
    ASSERT_EQ(c_->call(code::MOVER_LISTEN, l).error(), Error::no_err);
    msg::DataConnectRequest dc;
    dc.addr.type = msg::AddrType::local;
    ASSERT_EQ(c_->call(code::DATA_CONNECT, dc).error(), Error::no_err);
  }

  Error start_backup(const fs::path& src) {
    msg::DataStartBackupRequest b;
    b.butype = "tar";
    b.env = {{"FILESYSTEM", src.string()}, {"HIST", "n"}};
    return c_->call(code::DATA_START_BACKUP, b).error();
  }

  // A whole local backup of `src`; returns the bytes the data service reports.
  uint64_t run_backup(const fs::path& src) {
    prepare_local_backup();
    EXPECT_EQ(start_backup(src), Error::no_err);
    auto dh = c_->next_post(code::NOTIFY_DATA_HALTED, kWait);
    EXPECT_TRUE(dh);
    if (!dh) return 0;
    EXPECT_EQ(static_cast<const msg::NotifyDataHaltedPost&>(*dh->body).reason, msg::DataHaltReason::successful);
    EXPECT_TRUE(c_->next_post(code::NOTIFY_MOVER_HALTED, kWait));
    const uint64_t bytes = c_->call(code::DATA_GET_STATE).as<msg::DataGetStateReply>().bytes_processed;
    EXPECT_EQ(c_->call(code::DATA_STOP).error(), Error::no_err);
    EXPECT_EQ(c_->call(code::MOVER_STOP).error(), Error::no_err);
    EXPECT_EQ(c_->call(code::TAPE_CLOSE).error(), Error::no_err);
    return bytes;
  }

  // Reports received (duplicates left out), in arrival order.
  std::vector<Report> reports() const {
    std::vector<Report> out;
    for (const auto& r : sim_->events()) out.push_back(decode(r));
    return out;
  }

  bool wait_for_halt() {
    return sim_->wait_until(
        [](const cmsim::Simulator& s) {
          for (const auto& r : s.events())
            if (decode(r).state == cm::wire::JobState_Halted) return true;
          return false;
        },
        kWait);
  }

  // started, one or more progress, halted(SUCCESSFUL) with `bytes`, all of
  // one job, event ids strictly growing.
  static void expect_full_backup_sequence(const std::vector<Report>& rs, uint64_t bytes) {
    ASSERT_GE(rs.size(), 3u);
    const std::string job = rs.front().job;
    EXPECT_EQ(job.size(), 36u) << "a UUID: " << job;
    EXPECT_EQ(rs.front().command, cm::wire::Command_ReportJobState);
    EXPECT_EQ(rs.front().state, cm::wire::JobState_Started);
    for (size_t i = 1; i + 1 < rs.size(); ++i) {
      EXPECT_EQ(rs[i].command, cm::wire::Command_ReportJobProgress) << "report " << i;
      EXPECT_GE(rs[i].bytes, rs[i - 1].bytes) << "progress never goes back";
      EXPECT_GT(rs[i].time, 0) << "progress carries its time";
    }
    EXPECT_EQ(rs.back().command, cm::wire::Command_ReportJobState);
    EXPECT_EQ(rs.back().state, cm::wire::JobState_Halted);
    EXPECT_EQ(rs.back().reason, "SUCCESSFUL");
    EXPECT_EQ(static_cast<uint64_t>(rs.back().bytes), bytes);
    for (size_t i = 0; i < rs.size(); ++i) {
      EXPECT_EQ(rs[i].job, job) << "report " << i;
      if (i > 0) {
        EXPECT_GT(rs[i].event_id, rs[i - 1].event_id) << "report " << i;
      }
    }
  }

  // Starts a backup the space check refuses; returns what the DMA was told.
  std::string refused_backup_words() {
    const fs::path src = make_source();
    prepare_local_backup();
    c_->queued_posts().clear();
    EXPECT_EQ(start_backup(src), Error::undefined);
    auto log = c_->next_post(code::LOG_MESSAGE, kWait);
    EXPECT_TRUE(log) << "the DMA is told why";
    if (!log) return "";
    const auto& lm = static_cast<const msg::LogMessagePost&>(*log->body);
    EXPECT_EQ(lm.type, msg::LogType::error);
    return lm.entry;
  }

  // The one report of a refused job, once it has arrived.
  std::optional<Report> refused_report() {
    const bool arrived = sim_->wait_until(
        [](const cmsim::Simulator& s) {
          for (const auto& r : s.events())
            if (decode(r).state == cm::wire::JobState_Refused) return true;
          return false;
        },
        kWait);
    if (!arrived) return std::nullopt;
    for (const auto& r : reports())
      if (r.state == cm::wire::JobState_Refused) return r;
    return std::nullopt;
  }

  test::TempDir dir_;
  std::chrono::milliseconds space_timeout_ = 10s;
  std::unique_ptr<cmsim::Simulator> sim_;
  std::unique_ptr<test::TestServer> server_;
  std::unique_ptr<client::Client> c_;
};

TEST_F(NdmpdBridge, BackupReportsStartedProgressAndHaltedInOrder) {
  ASSERT_NO_FATAL_FAILURE(start_server("refuse"));
  const fs::path src = make_source();
  const uint64_t bytes = run_backup(src);
  ASSERT_GT(bytes, 300'000u);
  ASSERT_TRUE(wait_for_halt());

  const auto all = sim_->received();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().command, cm::wire::Command_StreamerHello);
  EXPECT_EQ(all.front().streamer_uuid, kStreamer);
  // The space question came before the job's first report, naming the same job.
  std::optional<size_t> query;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].command == cm::wire::Command_QueryBackupSpaceEnough) query = i;
  ASSERT_TRUE(query) << "the refuse policy asks before the backup";
  cm::wire::QueryBackupSpaceEnoughRequest q;
  ASSERT_TRUE(q.ParseFromString(all[*query].body));
  EXPECT_GT(q.backup_size(), 300'000) << "the estimate covers the source";

  const auto rs = reports();
  expect_full_backup_sequence(rs, bytes);
  EXPECT_EQ(q.job_uuid(), rs.front().job);
  EXPECT_LT(all[*query].seq, sim_->events().front().seq);
  EXPECT_TRUE(server_->server().bridge());
}

TEST_F(NdmpdBridge, CloudManagerAwayDuringTheBackupGetsEverythingWhenBack) {
  // skip: the question would only wait for its timeout while the Cloud Manager is away.
  ASSERT_NO_FATAL_FAILURE(start_server("skip"));
  ASSERT_TRUE(sim_->wait_until([](const cmsim::Simulator& s) { return !s.received().empty(); }, kWait))
      << "the bridge says hello at start";
  sim_->go_away();
  const uint64_t bytes = run_backup(make_source());
  ASSERT_GT(bytes, 0u);
  EXPECT_TRUE(reports().empty()) << "nothing can have arrived while away";
  server_->server().job_events()->drain();
  EXPECT_GT(server_->server().bridge()->stats().pending, 0u) << "the reports wait in the journal";

  ASSERT_TRUE(sim_->come_back().ok());
  ASSERT_TRUE(wait_for_halt());
  expect_full_backup_sequence(reports(), bytes);
}

TEST_F(NdmpdBridge, NdmpdStoppedWithReportsUnsentDeliversThemAfterRestart) {
  ASSERT_NO_FATAL_FAILURE(start_server("skip"));
  sim_->go_away();
  const uint64_t bytes = run_backup(make_source());
  ASSERT_GT(bytes, 0u);
  server_->server().job_events()->drain();
  EXPECT_GT(server_->server().bridge()->stats().pending, 0u);
  c_.reset();
  server_.reset();  // ndmpd stops with every report unsent
  ASSERT_TRUE(sim_->come_back().ok());
  EXPECT_TRUE(reports().empty());

  ASSERT_NO_FATAL_FAILURE(start_server("skip"));  // same journal
  ASSERT_TRUE(wait_for_halt());
  expect_full_backup_sequence(reports(), bytes);
}

TEST_F(NdmpdBridge, RefusePolicyWithoutRoomRefusesTheBackupBeforeTheTape) {
  sim_->set_free_space(1000);
  ASSERT_NO_FATAL_FAILURE(start_server("refuse"));
  const fs::path src = make_source();
  ASSERT_NO_FATAL_FAILURE(prepare_local_backup());
  c_->queued_posts().clear();
  EXPECT_EQ(start_backup(src), Error::undefined)
      << "NDMP names no error for 'no room': UNDEFINED_ERR, with the reason in a LOG_MESSAGE";
  auto log = c_->next_post(code::LOG_MESSAGE, 5s);
  ASSERT_TRUE(log) << "the DMA is told why";
  const auto& lm = static_cast<const msg::LogMessagePost&>(*log->body);
  EXPECT_EQ(lm.type, msg::LogType::error);
  EXPECT_NE(lm.entry.find("the Cloud Manager reports not enough backup space: about "), std::string::npos) << lm.entry;
  EXPECT_NE(lm.entry.find(" bytes needed, 1000 bytes free"), std::string::npos) << lm.entry;

  // Nothing started, nothing moved, nothing reported as a job.
  auto ds = c_->call(code::DATA_GET_STATE).as<msg::DataGetStateReply>();
  EXPECT_EQ(static_cast<uint32_t>(ds.state), 4u) << "still CONNECTED";
  auto ms = c_->call(code::MOVER_GET_STATE).as<msg::MoverGetStateReply>();
  EXPECT_EQ(ms.bytes_moved, 0u);
  EXPECT_EQ(ms.record_num, 0u);
  EXPECT_EQ(c_->call(code::DATA_ABORT).error(), Error::no_err);
  // The mover may already have halted on the closed data connection.
  c_->call(code::MOVER_ABORT);
  ASSERT_TRUE(c_->next_post(code::NOTIFY_MOVER_HALTED, kWait));
  EXPECT_EQ(c_->call(code::DATA_STOP).error(), Error::no_err);
  EXPECT_EQ(c_->call(code::MOVER_STOP).error(), Error::no_err);
  // The tape is still blank at its beginning.
  msg::TapeMtioRequest rew;
  rew.op = msg::MtioOp::rew;
  rew.count = 1;
  EXPECT_EQ(c_->call(code::TAPE_MTIO, rew).error(), Error::no_err);
  msg::TapeReadRequest rd;
  rd.count = 32768;
  EXPECT_NE(c_->call(code::TAPE_READ, rd).error(), Error::no_err) << "no record was written";

  bool asked = false;
  for (const auto& r : sim_->received()) asked = asked || r.command == cm::wire::Command_QueryBackupSpaceEnough;
  EXPECT_TRUE(asked);
  // The DMA asked for a job: the Cloud Manager hears of it, refused, with the DMA's words.
  const auto refused = refused_report();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, "SPACE_CHECK");
  EXPECT_EQ(refused->text, lm.entry);
  EXPECT_EQ(reports().size(), 1u) << "nothing started";
}

// A Cloud Manager built to the protocol summary alone (StreamerHello and the
// reports answered UnrecognizedCommand): every backup's space query is asked
// and answered, backups run, and ndmpd keeps its one report connection.
TEST_F(NdmpdBridge, SeedOnlyCloudManagerIsAskedEverySpaceQuery) {
  sim_->set_seed_only(true);
  ASSERT_NO_FATAL_FAILURE(start_server("refuse"));
  const uint64_t bytes = run_backup(make_source());
  ASSERT_GT(bytes, 300'000u) << "the query was answered enough and the backup ran";

  std::size_t hellos = 0, queries = 0, reports_seen = 0;
  for (const auto& r : sim_->received()) {
    if (r.command == cm::wire::Command_StreamerHello) {
      ++hellos;
      EXPECT_EQ(r.answer, cm::wire::ErrorCode_UnrecognizedCommand);
    } else if (r.command == cm::wire::Command_QueryBackupSpaceEnough) {
      ++queries;
      EXPECT_EQ(r.answer, cm::wire::ErrorCode_Success);
      EXPECT_EQ(r.str("job_uuid").size(), 36u) << "the query names the job";
      EXPECT_GT(r.num("backup_size"), 300'000);
    } else {
      ++reports_seen;
    }
  }
  EXPECT_EQ(hellos, 1u) << "no reconnect loop";
  EXPECT_EQ(queries, 1u);
  EXPECT_EQ(reports_seen, 0u) << "reports are not sent to a Cloud Manager that cannot take them";
  // Checked when a message arrives, and once more at the deadline.
  EXPECT_TRUE(sim_->wait_until(
      [this](const cmsim::Simulator&) {
        return server_->server().bridge()->stats().extension == cm::Extension::unavailable;
      },
      kWait));
}

TEST_F(NdmpdBridge, SeedOnlyCloudManagerWithoutRoomRefusesWithTheFigures) {
  sim_->set_seed_only(true);
  sim_->set_free_space(1000);
  ASSERT_NO_FATAL_FAILURE(start_server("refuse"));
  const std::string words = refused_backup_words();
  EXPECT_NE(words.find("the Cloud Manager reports not enough backup space: about "), std::string::npos) << words;
  EXPECT_NE(words.find(" bytes needed, 1000 bytes free"), std::string::npos) << words;
}

TEST_F(NdmpdBridge, SpaceQueryRefusedByTheCloudManagerIsToldWithItsErrorCode) {
  sim_->set_query_error(2502);
  ASSERT_NO_FATAL_FAILURE(start_server("refuse"));
  const std::string words = refused_backup_words();
  EXPECT_NE(words.find("the Cloud Manager refused the space query with error QuotaInsufficient (2502)"),
            std::string::npos)
      << words;
  EXPECT_EQ(words.find("did not answer"), std::string::npos) << words;
  const auto refused = refused_report();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->text, words);
}

TEST_F(NdmpdBridge, SpaceQueryUnansweredIsToldWithTheTimeout) {
  sim_->set_query_silent(true);
  space_timeout_ = 500ms;
  ASSERT_NO_FATAL_FAILURE(start_server("refuse"));
  const std::string words = refused_backup_words();
  EXPECT_NE(words.find("the Cloud Manager did not answer the space query within 500 ms"), std::string::npos)
      << words;
  ASSERT_TRUE(refused_report()) << "the report connection is not held up by the silent query";
}

TEST_F(NdmpdBridge, SpaceQueryWithoutAConnectionIsToldSo) {
  sim_->go_away();
  ASSERT_NO_FATAL_FAILURE(start_server("refuse"));
  const std::string words = refused_backup_words();
  EXPECT_NE(words.find("ndmpd is not connected to the Cloud Manager at 127.0.0.1:"), std::string::npos) << words;
  EXPECT_EQ(words.find("did not answer"), std::string::npos) << words;
  ASSERT_TRUE(sim_->come_back().ok());
  const auto refused = refused_report();
  ASSERT_TRUE(refused) << "journalled while away, delivered when back";
  EXPECT_EQ(refused->text, words);
}

// Policy warn and no room: the backup runs, and the Cloud Manager is told it
// went on without room (StreamerPoolExceededThreshold) before it started.
TEST_F(NdmpdBridge, WarnPolicyWithoutRoomRunsAndTellsTheCloudManager) {
  sim_->set_free_space(1000);
  ASSERT_NO_FATAL_FAILURE(start_server("warn"));
  const uint64_t bytes = run_backup(make_source());
  ASSERT_GT(bytes, 300'000u);
  ASSERT_TRUE(wait_for_halt());
  auto rs = reports();
  ASSERT_FALSE(rs.empty());
  EXPECT_EQ(rs.front().command, cm::wire::Command_ReportJobException);
  EXPECT_EQ(rs.front().reason, "STORAGE_FULL");
  const auto first = sim_->events().front();
  EXPECT_EQ(first.num("exception"), cm::wire::Exception_StreamerPoolExceededThreshold);
  EXPECT_NE(first.str("text").find("goes on although the Cloud Manager reports not enough backup space"),
            std::string::npos)
      << first.str("text");
  const std::string job = rs.front().job;
  rs.erase(rs.begin());
  expect_full_backup_sequence(rs, bytes);
  EXPECT_EQ(rs.front().job, job) << "the warning is the same job's";
}

}  // namespace
}  // namespace ndmp

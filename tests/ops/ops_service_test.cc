// ndmpd run as a service, in process through the composition root with
// the emulated library (tests/faults/fault_rig.h), at a point of a backup
// held by the drive gate (no timing):
//  - a reload with a changed user list during the backup: the job completes,
//    the new user logs in, the removed one cannot; a configuration that does
//    not parse, or names an export that cannot be opened, is refused and the
//    one in effect stays;
//  - metrics scraped during the job and after it: the text follows the
//    format and the counters move;
//  - a scraper that never sends its request holds nothing else;
//  - the job's start and end lines carry their fields.
#include <gtest/gtest.h>

#include <unistd.h>

#include "devices/scsi_cdb.h"
#include "devices/sense.h"
#include "tests/ops/service_rig.h"

namespace ndmp {
namespace {

using faults::fs::path;
using test::scrape;
using test::Service;
using test::write_file;

constexpr const char* kWritten = R"(ndmpd_tape_records_total{device="emu-drive0",direction="written"})";
constexpr const char* kRead = R"(ndmpd_tape_records_total{device="emu-drive0",direction="read"})";

TEST(ReloadDuringBackup, JobCompletesNewUserLogsInRemovedOneCannotCountersMove) {
  Service svc;
  faults::LogCapture log(svc.dir / "ndmpd.log");
  const path src = svc.rig.export_dir() / "src";
  // 12 MB: more than the 4 MiB data pipe and the records before the gate,
  // so the job is provably mid-stream, data side included, while held.
  faults::make_tree(src, 48, 250'000);
  auto c = svc.rig.login();
  ASSERT_TRUE(c);
  faults::load_tape(*c, 1);
  // 80 records (2.5 MiB) in: the engine hands data on in chunks of up to
  // 1 MiB (backup/backup_engine.h), so some are counted by then.
  svc.rig.drive().hold_writes_after(80);
  ASSERT_EQ(faults::start_local_backup(*c, src), msg::Error::no_err);
  ASSERT_TRUE(svc.rig.drive().wait_held()) << "the backup reached its 81st record";

  svc.drain();
  const auto during = scrape(svc.metrics.port());
  EXPECT_EQ(during.value("ndmpd_jobs_started_total{type=\"backup\"}"), 1);
  EXPECT_EQ(during.value("ndmpd_jobs_running{type=\"backup\"}"), 1);
  EXPECT_GT(during.value("ndmpd_job_bytes_total{type=\"backup\"}"), 0) << "bytes of the running job count";
  EXPECT_EQ(during.value("ndmpd_sessions{state=\"logged_in\"}"), 1);
  EXPECT_GE(during.value("ndmpd_logins_total{outcome=\"success\"}"), 1);
  EXPECT_GT(during.value("process_resident_memory_bytes"), 0);
  size_t rates = 0;
  for (const auto& [series, value] : during.series)
    rates += series.rfind("ndmpd_job_throughput_bytes_per_second{job_id=", 0) == 0 && value >= 0;
  EXPECT_EQ(rates, 1u) << "one running job, one throughput series";
  // The drive as the mover left it at the gate: 80 records on tape, the
  // cartridge in; the changer that loaded it closed again.
  EXPECT_EQ(during.value(kWritten), 80) << "records the drive took before the gate";
  EXPECT_EQ(during.value(R"(ndmpd_tape_bytes_total{device="emu-drive0",direction="written"})"), 80.0 * faults::kRecord);
  EXPECT_EQ(during.value(R"(ndmpd_device_state{device="emu-drive0",state="loaded"})"), 1);
  EXPECT_EQ(during.value(R"(ndmpd_device_state{device="emu-drive0",state="closed"})"), 0);
  EXPECT_EQ(during.value(R"(ndmpd_device_state{device="emu-changer",state="closed"})"), 1);
  EXPECT_EQ(during.types.at("ndmpd_tape_records_total"), "counter");
  EXPECT_EQ(during.types.at("ndmpd_device_state"), "gauge");

  // The user list changes under the running job: ndmp goes, operator2 comes.
  write_file(svc.dir / "passwd", "operator2:Other-Pass-2\n");
  const auto outcome = svc.reload();
  ASSERT_TRUE(outcome.applied) << outcome.error;

  svc.rig.drive().release();
  const auto end = faults::drive_job(*c);
  ASSERT_TRUE(end.halted);
  EXPECT_EQ(end.data, msg::DataHaltReason::successful) << "the reload did not disturb the job";
  faults::finish_job(*c);

  EXPECT_EQ(svc.login_error("operator2", "Other-Pass-2"), "") << "the new user logs in";
  EXPECT_NE(svc.login_error(test::kUser, test::kPassword), "") << "the removed user cannot";

  svc.drain();
  const auto after = scrape(svc.metrics.port());
  EXPECT_EQ(after.value("ndmpd_jobs_finished_total{type=\"backup\",outcome=\"SUCCESSFUL\"}"), 1);
  EXPECT_EQ(after.value("ndmpd_jobs_running{type=\"backup\"}"), 0);
  EXPECT_GT(after.value("ndmpd_job_bytes_total{type=\"backup\"}"), during.value("ndmpd_job_bytes_total{type=\"backup\"}"));
  EXPECT_GE(after.value("ndmpd_job_files_total{type=\"backup\"}"), 48);
  EXPECT_GE(after.value("ndmpd_logins_total{outcome=\"failure\"}"), 1);
  EXPECT_GT(after.value(kWritten), during.value(kWritten)) << "the records after the gate count";
  EXPECT_EQ(after.value(R"(ndmpd_device_state{device="emu-drive0",state="closed"})"), 1) << "TAPE_CLOSE";

  // The job's lines carry their fields (outside systemd: key=value in the text).
  const std::string text = log.text();
  EXPECT_NE(text.find("NDMP_EVENT=job-start"), std::string::npos) << text;
  EXPECT_NE(text.find("NDMP_EVENT=job-end"), std::string::npos) << text;
  EXPECT_NE(text.find("NDMP_OUTCOME=SUCCESSFUL"), std::string::npos) << text;
  EXPECT_NE(text.find("NDMP_EXPORT=" + src.string()), std::string::npos) << text;
  EXPECT_NE(text.find("configuration reloaded"), std::string::npos) << text;
  EXPECT_NE(text.find("listen changed in the file; it takes effect at the next restart"), std::string::npos)
      << "the file's listen differs from the running one: " << text;
}

// What a monitoring system sees of a drive that fails: the error by kind,
// the drive at fault until it works again, the records that made it, and
// every listed device from the first scrape on.
TEST(Metrics, DeviceErrorsStatesAndRecordsFollowTheDrive) {
  Service svc;
  const auto before = scrape(svc.metrics.port());
  EXPECT_EQ(before.value(R"(ndmpd_device_state{device="emu-drive0",state="closed"})"), 1) << "listed before any open";
  EXPECT_EQ(before.value(R"(ndmpd_device_state{device="emu-changer",state="closed"})"), 1);
  EXPECT_EQ(before.value(kWritten), 0);
  EXPECT_EQ(before.value(R"(ndmpd_tape_records_total{device="emu-changer",direction="written"})"), -1)
      << "a changer has no tape records";

  const path src = svc.rig.export_dir() / "src";
  faults::make_tree(src, 12, 40'000);
  auto c = svc.rig.login();
  ASSERT_TRUE(c);
  faults::load_tape(*c, 1);
  // The 6th WRITE fails with MEDIUM ERROR 3/0c-00: 5 records made it; v4 halts the mover.
  svc.rig.drive().add(dev::Fault::on_nth(dev::op::write6, 6).answer(dev::sense_key::medium_error, 0x0c, 0x00));
  ASSERT_EQ(faults::start_local_backup(*c, src), msg::Error::no_err);
  const auto end = faults::drive_job(*c);
  ASSERT_TRUE(end.halted);
  ASSERT_TRUE(end.mover);
  EXPECT_EQ(*end.mover, msg::MoverHaltReason::media_error);

  const auto failed = scrape(svc.metrics.port());
  EXPECT_EQ(failed.value(R"(ndmpd_device_errors_total{device="emu-drive0",kind="medium_error"})"), 1);
  EXPECT_EQ(failed.value(R"(ndmpd_device_state{device="emu-drive0",state="fault"})"), 1)
      << "still open, and nothing has worked on the medium since";
  EXPECT_EQ(failed.value(R"(ndmpd_device_state{device="emu-drive0",state="loaded"})"), 0);
  EXPECT_EQ(failed.value(kWritten), 5);
  EXPECT_EQ(failed.types.at("ndmpd_device_errors_total"), "counter");

  // A rewind works on the medium: the fault is over.
  msg::TapeMtioRequest rew;
  rew.op = msg::MtioOp::rew;
  rew.count = 1;
  EXPECT_EQ(c->call(msg::code::TAPE_MTIO, rew).error(), msg::Error::no_err);
  const auto rewound = scrape(svc.metrics.port());
  EXPECT_EQ(rewound.value(R"(ndmpd_device_state{device="emu-drive0",state="loaded"})"), 1);
  EXPECT_EQ(rewound.value(R"(ndmpd_device_state{device="emu-drive0",state="fault"})"), 0);

  faults::finish_job(*c);
  EXPECT_EQ(scrape(svc.metrics.port()).value(R"(ndmpd_device_state{device="emu-drive0",state="closed"})"), 1)
      << "after TAPE_CLOSE";

  // Reading the tape back counts the records read, up to the file mark.
  const auto tape = faults::read_tape(svc.rig.server());
  EXPECT_EQ(tape.records, 5u);
  const auto read = scrape(svc.metrics.port());
  EXPECT_EQ(read.value(kRead), 5);
  EXPECT_EQ(read.value(kWritten), 5) << "reading wrote nothing";
  EXPECT_EQ(read.value(R"(ndmpd_device_errors_total{device="emu-drive0",kind="medium_error"})"), 1)
      << "counters only grow; nothing failed since";
}

TEST(Reload, AConfigurationThatDoesNotParseOrCannotBeUsedIsRefusedAndTheOldStays) {
  Service svc;
  write_file(svc.dir / "passwd", "operator2:Other-Pass-2\n");
  ASSERT_TRUE(svc.reload().applied);

  svc.write_conf("auth = bogus\n");
  auto bad = svc.reload();
  EXPECT_FALSE(bad.applied);
  EXPECT_NE(bad.error.find("auth"), std::string::npos) << bad.error;

  svc.write_conf("export = " + (svc.dir / "no-such-dir").string() + "\n");
  write_file(svc.dir / "passwd", "third:Third-Pass-3\n");
  bad = svc.reload();
  EXPECT_FALSE(bad.applied) << "an export that cannot be opened refuses the whole reload";
  EXPECT_NE(bad.error.find("no-such-dir"), std::string::npos) << bad.error;

  EXPECT_EQ(svc.login_error("operator2", "Other-Pass-2"), "") << "the configuration in effect stays";
  EXPECT_NE(svc.login_error("third", "Third-Pass-3"), "") << "nothing of the refused one applies";
}

TEST(Metrics, AScraperThatSendsNothingHoldsNeitherSessionsNorTheNextScrape) {
  Service svc;
  const int idle = test::connect_loopback(svc.metrics.port());  // never sends its request
  auto c = svc.rig.login();
  EXPECT_TRUE(c) << "DMA sessions do not wait for the metrics listener";
  // The next scrape is answered once the listener's deadline drops the idle one.
  const auto m = scrape(svc.metrics.port());
  EXPECT_EQ(m.value("ndmpd_sessions{state=\"logged_in\"}"), 1);
  ::close(idle);
}

TEST(Metrics, OnlyGetOfMetricsWithinTheSizeLimitIsAnswered) {
  Service svc;
  EXPECT_EQ(test::http(svc.metrics.port(), "GET / HTTP/1.1\r\n\r\n").status, 404);
  EXPECT_EQ(test::http(svc.metrics.port(), "POST /metrics HTTP/1.1\r\n\r\n").status, 405);
  EXPECT_EQ(test::http(svc.metrics.port(), "garbage\r\n\r\n").status, 400);
  EXPECT_EQ(test::http(svc.metrics.port(), "GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a') + "\r\n\r\n").status, 431);
}

}  // namespace
}  // namespace ndmp

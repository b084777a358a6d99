// The pieces of ops/ on their own: the metrics text against the format's
// rules, the device figures behind it (devices/device_stats.h) over a
// scripted transport, which keys a reload keeps for a restart, the systemd
// notification datagram and the journal's two paths (stderr with "<N>",
// native fields).
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "devices/device_stats.h"
#include "devices/scsi_cdb.h"
#include "ops/metrics/exposition.h"
#include "ops/reload.h"
#include "ops/sd_notify.h"
#include "tests/ops/exposition_check.h"
#include "tests/support/test_server.h"

namespace ndmp {
namespace {

using ops::metrics::Exposition;

TEST(MetricsExposition, FamiliesSamplesAndEscapesFollowTheFormat) {
  Exposition x;
  x.family("ndmpd_jobs_started_total", "counter", "Jobs started.\nSecond line with a \\ backslash.");
  x.sample({{"type", "backup"}}, 3);
  x.sample({{"type", "re\"st\\ore\nx"}}, 0.5);
  x.family("ndmpd_sessions", "gauge", "Sessions.");
  x.sample(7);
  const auto parsed = test::parse_exposition(x.text());
  EXPECT_TRUE(parsed.problems.empty()) << ::testing::PrintToString(parsed.problems) << "\n" << x.text();
  EXPECT_EQ(parsed.value("ndmpd_jobs_started_total{type=\"backup\"}"), 3);
  EXPECT_EQ(parsed.value("ndmpd_jobs_started_total{type=\"re\\\"st\\\\ore\\nx\"}"), 0.5);
  EXPECT_EQ(parsed.value("ndmpd_sessions"), 7);
  EXPECT_EQ(parsed.types.at("ndmpd_sessions"), "gauge");
  EXPECT_NE(x.text().find("# HELP ndmpd_jobs_started_total Jobs started.\\nSecond line with a \\\\ backslash.\n"),
            std::string::npos);
}

TEST(MetricsExposition, NamesOutsideTheGrammarAreRefused) {
  EXPECT_TRUE(Exposition::valid_metric_name("ndmpd:rate_5m"));
  EXPECT_FALSE(Exposition::valid_metric_name("2xx"));
  EXPECT_FALSE(Exposition::valid_metric_name("ndmpd-jobs"));
  EXPECT_FALSE(Exposition::valid_label_name("a:b"));
  EXPECT_FALSE(Exposition::valid_label_name("__reserved"));
  Exposition x;
  EXPECT_THROW(x.family("bad name", "counter", ""), std::logic_error);
  EXPECT_THROW(x.family("ok", "histogramm", ""), std::logic_error);
  EXPECT_THROW(x.sample(1), std::logic_error) << "a sample needs its family first";
  x.family("ok", "gauge", "");
  EXPECT_THROW(x.sample({{"a:b", "1"}}, 1), std::logic_error);
}

TEST(MetricsExposition, TheCheckerCatchesWhatAScraperRefuses) {
  // The checker is the test's judge: it must refuse broken text too.
  EXPECT_FALSE(test::parse_exposition("a 1\nb 2\na 3\n").problems.empty()) << "family split in two";
  EXPECT_FALSE(test::parse_exposition("a{x=\"1} 1\n").problems.empty()) << "unterminated label";
  EXPECT_FALSE(test::parse_exposition("a one\n").problems.empty()) << "value not a number";
  EXPECT_FALSE(test::parse_exposition("a 1").problems.empty()) << "no final newline";
  EXPECT_FALSE(test::parse_exposition("a 1\n# TYPE a counter\n").problems.empty()) << "TYPE after samples";
}

// A device that answers from a script, in order.
class Scripted final : public dev::Transport {
 public:
  std::vector<dev::CdbResult> answers;
  dev::CdbResult execute(const dev::CdbCommand&) override { return answers.at(next_++); }
  std::string describe() const override { return "scripted device"; }

 private:
  size_t next_ = 0;
};

dev::CdbResult good() { return {}; }
// CHECK CONDITION with fixed-format sense (SPC-4 4.5.3).
dev::CdbResult check(uint8_t key, uint8_t asc, uint8_t ascq, uint8_t ssc_bits = 0, int32_t info = 0) {
  dev::CdbResult r;
  r.scsi_status = dev::scsi_status::check_condition;
  std::array<uint8_t, 18> s{};
  s[0] = info != 0 ? 0xF0 : 0x70;
  s[2] = static_cast<uint8_t>(ssc_bits | key);  // 0x80 FILEMARK, 0x40 EOM, 0x20 ILI
  for (int i = 0; i < 4; ++i) s[3 + i] = static_cast<uint8_t>(static_cast<uint32_t>(info) >> (24 - 8 * i));
  s[7] = 10;
  s[12] = asc;
  s[13] = ascq;
  r.set_sense(s);
  return r;
}

TEST(DeviceStats, RecordsErrorsAndTheStateFollowWhatTheDriveAnswers) {
  namespace sk = dev::sense_key;
  dev::DeviceStats stats;
  auto owned = std::make_unique<Scripted>();
  Scripted& drive = *owned;
  drive.answers = {good(),                                   // WRITE 4096
                   check(sk::medium_error, 0x0c, 0x00),      // WRITE fails
                   good(),                                   // LOG SENSE (TapeAlert)
                   good(),                                   // TEST UNIT READY
                   good(),                                   // REWIND
                   check(sk::no_sense, 0, 0, 0x20, 7192),    // READ of a 1000-byte record into 8192
                   check(sk::no_sense, 0, 1, 0x80),          // READ at a file mark
                   check(sk::not_ready, 0x3a, 0x00)};        // TEST UNIT READY: no cartridge
  auto t = stats.watch("drive0", dev::DeviceKind::tape, std::move(owned));
  auto figures = [&] { return stats.snapshot().at("drive0"); };
  EXPECT_EQ(figures().condition, dev::DeviceCondition::open) << "open, nothing known yet";

  std::vector<uint8_t> record(4096), buffer(8192);
  const uint8_t write6[6] = {dev::op::write6}, read6[6] = {dev::op::read6}, tur[6] = {dev::op::test_unit_ready},
                log_sense[10] = {dev::op::log_sense}, rewind[6] = {dev::op::rewind};
  t->execute(dev::CdbCommand::out(write6, record));
  EXPECT_EQ(figures().records_written, 1u);
  EXPECT_EQ(figures().bytes_written, 4096u);
  EXPECT_EQ(figures().condition, dev::DeviceCondition::loaded);

  t->execute(dev::CdbCommand::out(write6, record));
  EXPECT_EQ(figures().records_written, 1u) << "the failed write is no record";
  EXPECT_EQ(figures().errors.at(dev::Category::medium_error), 1u);
  EXPECT_EQ(figures().condition, dev::DeviceCondition::fault);
  t->execute(dev::CdbCommand::in(log_sense, buffer));
  t->execute(dev::CdbCommand::none(tur));
  EXPECT_EQ(figures().condition, dev::DeviceCondition::fault) << "questions after a failure do not end the fault";
  t->execute(dev::CdbCommand::none(rewind));
  EXPECT_EQ(figures().condition, dev::DeviceCondition::loaded) << "work on the medium does";

  t->execute(dev::CdbCommand::in(read6, buffer));
  EXPECT_EQ(figures().records_read, 1u);
  EXPECT_EQ(figures().bytes_read, 1000u) << "the record's length, from the sense INFORMATION (ILI)";
  t->execute(dev::CdbCommand::in(read6, buffer));
  EXPECT_EQ(figures().records_read, 1u) << "a file mark is no record";
  EXPECT_EQ(figures().errors.size(), 1u) << "nor an error";

  t->execute(dev::CdbCommand::none(tur));
  EXPECT_EQ(figures().condition, dev::DeviceCondition::open) << "no cartridge";
  EXPECT_EQ(figures().errors.at(dev::Category::no_medium), 1u);

  t.reset();
  EXPECT_EQ(figures().condition, dev::DeviceCondition::closed);
  EXPECT_EQ(figures().records_written, 1u) << "counters outlive the open";

  auto changer = std::make_unique<Scripted>();
  changer->answers = {good()};
  auto c = stats.watch("changer", dev::DeviceKind::changer, std::move(changer));
  c->execute(dev::CdbCommand::none(tur));
  EXPECT_EQ(stats.snapshot().at("changer").condition, dev::DeviceCondition::open) << "a changer is never 'loaded'";
}

TEST(Reload, RestartOnlyKeysKeepTheirRunningValuesAndAreNamed) {
  server::Config running, fresh;
  running.listen = {{"*", 10000}};
  fresh.listen = {{"127.0.0.1", 10001}};
  fresh.exports = {"/srv/new"};
  fresh.allow_auth_text = true;
  fresh.state_dir = "/elsewhere";
  fresh.log_level = "debug";
  const auto changed = ops::keep_restart_only(running, fresh);
  EXPECT_EQ(changed, (std::vector<std::string>{"listen", "state-dir"}));
  EXPECT_EQ(fresh.listen, running.listen);
  EXPECT_EQ(fresh.state_dir, running.state_dir);
  // What a reload is for stays as the file says.
  EXPECT_EQ(fresh.exports, std::vector<std::string>{"/srv/new"});
  EXPECT_TRUE(fresh.allow_auth_text);
  EXPECT_EQ(fresh.log_level, "debug");
}

TEST(Reload, TheCloudManagerConnectionReloadsItsIdentityAndJournalWaitForARestart) {
  server::Config running, fresh;
  running.cm_address = "cm-a.example";
  running.cm_port = 9000;
  running.cm_uuid = "uuid-at-start";
  running.cm_journal = "/var/lib/ndmpd/a.journal";
  fresh.cm_address = "cm-b.example";
  fresh.cm_port = 9001;
  fresh.cm_uuid = "uuid-in-file";
  fresh.cm_journal = "/var/lib/ndmpd/b.journal";
  fresh.cm_reply_timeout = std::chrono::milliseconds(3000);
  fresh.cm_space_policy = "skip";
  const auto changed = ops::keep_restart_only(running, fresh);
  EXPECT_EQ(changed, (std::vector<std::string>{"cloudmanager.uuid", "cloudmanager.journal"}));
  EXPECT_EQ(fresh.cm_uuid, "uuid-at-start");
  EXPECT_EQ(fresh.cm_journal, "/var/lib/ndmpd/a.journal");
  EXPECT_EQ(fresh.cm_address, "cm-b.example") << "the connection is the file's";
  EXPECT_EQ(fresh.cm_port, 9001);
  EXPECT_EQ(fresh.cm_reply_timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(fresh.cm_space_policy, "skip");
}

// A datagram socket bound to an abstract name, as systemd's notify socket or
// the journal's native socket would be.
struct DgramSink {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::string name = "ndmpd-ops-test-" + std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<uintptr_t>(this));
  DgramSink() {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path + 1, name.data(), name.size());
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), offsetof(sockaddr_un, sun_path) + 1 + name.size()), 0);
  }
  ~DgramSink() { ::close(fd); }
  std::string receive() {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);  // sent before: already queued
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
};

TEST(SdNotify, SendsTheStateToTheNotifySocket) {
  DgramSink systemd;
  ops::SdNotify notify("@" + systemd.name);
  ASSERT_TRUE(notify.enabled());
  ASSERT_TRUE(notify.send("READY=1\nSTATUS=0 session(s), 0 job(s) running"));
  EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=0 session(s), 0 job(s) running");
  ops::SdNotify off("");
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.send("READY=1")) << "outside systemd, nothing is sent";
}

TEST(JournalLog, StderrLinesCarryThePriorityAndNoTimestamp) {
  test::TempDir dir;
  const auto file = dir.path() / "stderr";
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  FILE* f = std::fopen(file.c_str(), "w");
  ::dup2(::fileno(f), STDERR_FILENO);
  log::set_journal("", true);
  log::warn("tape {} needs cleaning", "NDM001L6");
  log::set_journal("", false);
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::fclose(f);
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "<4>tape NDM001L6 needs cleaning\n");
}

TEST(JournalLog, StructuredLinesGoToTheNativeSocketWithTheirFields) {
  DgramSink journal;
  log::set_journal(std::string(1, '\0') + journal.name, true);
  log::write_fields(log::Level::info, "job j1: backup of /srv ended SUCCESSFUL",
                    {{"NDMP_JOB_ID", "j1"}, {"NDMP_OUTCOME", "SUCCESSFUL"}, {"NDMP_EXPORT", "/srv/a\nb"}});
  log::set_journal("", false);
  const std::string d = journal.receive();
  EXPECT_NE(d.find("MESSAGE=job j1: backup of /srv ended SUCCESSFUL\n"), std::string::npos) << d;
  EXPECT_NE(d.find("PRIORITY=6\n"), std::string::npos) << d;
  EXPECT_NE(d.find("NDMP_JOB_ID=j1\n"), std::string::npos) << d;
  EXPECT_NE(d.find("NDMP_OUTCOME=SUCCESSFUL\n"), std::string::npos) << d;
  EXPECT_NE(d.find("NDMP_EXPORT=/srv/a\\x0ab\n"), std::string::npos) << "a newline cannot forge a field: " << d;
}

}  // namespace
}  // namespace ndmp

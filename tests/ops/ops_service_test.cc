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

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "ops/job_observer.h"
#include "ops/metrics/collect.h"
#include "ops/metrics/listener.h"
#include "ops/reload.h"
#include "tests/faults/fault_rig.h"
#include "tests/ops/exposition_check.h"

namespace ndmp {
namespace {

using faults::fs::path;

struct Http {
  int status = 0;
  std::string head, body;
};

int connect_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

Http http(uint16_t port, const std::string& request) {
  Http h;
  int fd = connect_loopback(port);
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) all.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const auto split = all.find("\r\n\r\n");
  if (split == std::string::npos) return h;
  h.head = all.substr(0, split);
  h.body = all.substr(split + 4);
  if (h.head.rfind("HTTP/1.1 ", 0) == 0) h.status = std::stoi(h.head.substr(9, 3));
  return h;
}

test::ParsedMetrics scrape(uint16_t port) {
  const Http h = http(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(h.status, 200) << h.head;
  EXPECT_NE(h.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << h.head;
  auto m = test::parse_exposition(h.body);
  EXPECT_TRUE(m.problems.empty()) << ::testing::PrintToString(m.problems) << "\n" << h.body;
  return m;
}

void write_file(const path& p, const std::string& text, mode_t mode = 0600) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), mode);
}

// An ndmpd with a configuration file, a job observer and a metrics listener,
// wired as ndmpd's main() wires them.
struct Service {
  ops::JobObserver observer;
  faults::Rig rig{{1, 4, 64},
                  [](server::Config& c) {
                    c.cm_progress_interval = std::chrono::milliseconds(0);  // every chunk: the counters move
                  },
                  [this](server::Server& s) { s.observe_jobs(observer); }};
  ops::metrics::Listener metrics{[this] {
    return ops::metrics::render({&rig.server().server().context(), &observer, nullptr});
  }};
  path dir = rig.server().dir();
  path conf = dir / "ndmpd.conf";

  Service() {
    EXPECT_EQ(metrics.start({"127.0.0.1", 0}), "");
    write_conf("");
  }
  void write_conf(const std::string& extra) {
    write_file(conf, "password-file = " + (dir / "passwd").string() + "\nexport = " + (dir / "export").string() +
                         "\nauth = md5,text\ncloudmanager.progress_interval = 0\n" + extra,
               0644);
  }
  ops::ReloadOutcome reload() {
    const std::string c = conf.string();
    const char* argv[] = {"ndmpd", "--config", c.c_str()};
    return ops::reload(rig.server().server().context(), 3, argv);
  }
  void drain() { rig.server().server().job_events()->drain(); }
  std::string login_error(const std::string& user, const std::string& password) {
    client::Client c;
    std::string err = c.connect("127.0.0.1", rig.server().port());
    if (err.empty()) err = c.open(4);
    if (err.empty()) err = c.auth_md5(user, password);
    return err;
  }
};

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
  const int idle = connect_loopback(svc.metrics.port());  // never sends its request
  auto c = svc.rig.login();
  EXPECT_TRUE(c) << "DMA sessions do not wait for the metrics listener";
  // The next scrape is answered once the listener's deadline drops the idle one.
  const auto m = scrape(svc.metrics.port());
  EXPECT_EQ(m.value("ndmpd_sessions{state=\"logged_in\"}"), 1);
  ::close(idle);
}

TEST(Metrics, OnlyGetOfMetricsWithinTheSizeLimitIsAnswered) {
  Service svc;
  EXPECT_EQ(http(svc.metrics.port(), "GET / HTTP/1.1\r\n\r\n").status, 404);
  EXPECT_EQ(http(svc.metrics.port(), "POST /metrics HTTP/1.1\r\n\r\n").status, 405);
  EXPECT_EQ(http(svc.metrics.port(), "garbage\r\n\r\n").status, 400);
  EXPECT_EQ(http(svc.metrics.port(), "GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a') + "\r\n\r\n").status, 431);
}

}  // namespace
}  // namespace ndmp

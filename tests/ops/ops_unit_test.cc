// The pieces of ops/ on their own: the metrics text against the format's
// rules, which keys a reload keeps for a restart, the systemd notification
// datagram and the journal's two paths (stderr with "<N>", native fields).
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

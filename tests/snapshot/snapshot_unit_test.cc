// Snapshots (issue 18) without a job: the configuration keys and their
// reload, the policy's decision on the DMA's SNAPSHOT variable, the child
// process runner's deadline, output bound and argv, the dump date a
// snapshot gives, and the command hook's make/remove round trip.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "backup/backup_engine.h"
#include "ops/reload.h"
#include "snapshot/backup_source.h"
#include "snapshot/child_process.h"
#include "snapshot/policy.h"
#include "tests/support/test_server.h"

namespace ndmp::snapshot {
namespace {

namespace fs = std::filesystem;
const std::string kScripts = SNAPSHOT_TEST_SCRIPTS;

server::ParseOutcome parse(std::vector<std::string> args, server::Config& c, std::string* err = nullptr) {
  args.insert(args.begin(), {"ndmpd", "--config", "/dev/null"});  // the command line alone
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream e;
  auto r = server::parse_config(static_cast<int>(argv.size()), argv.data(), c, e);
  if (err) *err = e.str();
  return r;
}

TEST(SnapshotConfig, DefaultsAndPerExportValues) {
  server::Config c;
  ASSERT_EQ(parse({"--export", "/srv/a", "--export", "/srv/b/", "--snapshot", "lvm", "--snapshot", "/srv/b=btrfs",
                   "--snapshot-failure", "/srv/b=live", "--snapshot-request", "opt-in", "--snapshot-timeout", "30",
                   "--snapshot-lvm-size", "2G"},
                  c),
            server::ParseOutcome::run);
  EXPECT_EQ(c.snapshots.policy_for("/srv/a").kind, Kind::lvm);
  EXPECT_EQ(c.snapshots.policy_for("/srv/a").on_failure, OnFailure::halt);
  EXPECT_EQ(c.snapshots.policy_for("/srv/a").request, Request::opt_in);
  EXPECT_EQ(c.snapshots.policy_for("/srv/b/").kind, Kind::btrfs) << "a trailing slash names the same export";
  EXPECT_EQ(c.snapshots.policy_for("/srv/b").kind, Kind::btrfs);
  EXPECT_EQ(c.snapshots.policy_for("/srv/b").on_failure, OnFailure::live);
  EXPECT_EQ(c.snapshots.policy_for("/srv/b").request, Request::opt_in) << "an export's line starts from the defaults";
  EXPECT_EQ(c.snapshots.timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.snapshots.lvm_size, "2G");
}

TEST(SnapshotConfig, MistakesAreRefusedWithTheirName) {
  for (auto bad : std::vector<std::vector<std::string>>{
           {"--export", "/srv/a", "--snapshot", "zfs"},
           {"--export", "/srv/a", "--snapshot", "command:relative/script"},
           {"--export", "/srv/a", "--snapshot", "/srv/typo=btrfs"},
           {"--export", "/srv/a", "--snapshot-failure", "ignore"},
           {"--export", "/srv/a", "--snapshot-request", "/srv/a=maybe"},
           {"--export", "/srv/a", "--snapshot-timeout", "0"},
           {"--export", "/srv/a", "--snapshot-lvm-size", "lots"}}) {
    server::Config c;
    std::string err;
    EXPECT_EQ(parse(bad, c, &err), server::ParseOutcome::exit_error) << bad[3];
    EXPECT_NE(err.find("snapshot"), std::string::npos) << err;
  }
}

TEST(SnapshotDecision, WhatTheDmaMayChange) {
  std::string bad;
  Policy none, fixed{Kind::btrfs}, opt_out{Kind::btrfs, "", OnFailure::halt, Request::opt_out},
      opt_in{Kind::btrfs, "", OnFailure::halt, Request::opt_in};
  EXPECT_FALSE(decide(none, std::nullopt, bad).take);
  EXPECT_FALSE(decide(none, "y", bad).take);
  EXPECT_NE(decide(none, "y", bad).note, "") << "a request that cannot be met is said";
  EXPECT_TRUE(decide(fixed, std::nullopt, bad).take);
  EXPECT_TRUE(decide(fixed, "n", bad).take);
  EXPECT_NE(decide(fixed, "n", bad).note, "");
  EXPECT_TRUE(decide(opt_out, std::nullopt, bad).take);
  EXPECT_FALSE(decide(opt_out, "n", bad).take);
  EXPECT_FALSE(decide(opt_in, std::nullopt, bad).take);
  EXPECT_TRUE(decide(opt_in, "yes", bad).take);
  EXPECT_EQ(bad, "");
  decide(opt_in, "perhaps", bad);
  EXPECT_NE(bad, "");
}

TEST(ChildProcess, ArgvIsNotAShellString) {
  auto r = run_child({"/bin/echo", "a; touch /tmp/never", "$(id)"}, std::chrono::seconds(10));
  ASSERT_TRUE(r.ok()) << r.failure_text();
  EXPECT_EQ(r.out, "a; touch /tmp/never $(id)\n");
}

TEST(ChildProcess, DeadlineKillsAHungChild) {
  // The deadline is the thing tested: 200 ms against a child that would
  // run for an hour.
  auto r = run_child({"/bin/sleep", "3600"}, std::chrono::milliseconds(200));
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.failure_text().find("deadline"), std::string::npos);
}

TEST(ChildProcess, OutputIsBoundedAndFailuresNamed) {
  auto big = run_child({"/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo oops >&2; exit 4"},
                       std::chrono::seconds(30));
  EXPECT_EQ(big.out.size(), kMaxOutput);
  EXPECT_EQ(big.exit_code, 4);
  EXPECT_EQ(big.failure_text(), "exit status 4: oops");
  auto missing = run_child({"/nonexistent/tool"}, std::chrono::seconds(5));
  EXPECT_FALSE(missing.ok());
}

TEST(SnapshotDumpDate, TheSnapshotsTimeIsRecorded) {
  test::TempDir dir;
  fs::create_directories(dir.path() / "tree");
  std::ofstream(dir.path() / "tree" / "f") << "x";
  backup::BackupRequest req;
  ASSERT_TRUE(backup::open_dir((dir.path() / "tree").string(), req.source).ok());
  req.state_dir = dir.path().string();
  req.options.filesystem = req.source.name;
  req.point_in_time = backup::Timestamp{1'700'000'000, 123'456'789};
  struct Null : backup::ByteSink {
    backup::Status write(std::span<const std::byte>) override { return {}; }
  } sink;
  backup::BackupEngine engine(req, sink, nullptr);
  backup::BackupSummary sum;
  ASSERT_TRUE(engine.run(&sum).ok());
  std::vector<backup::DumpDateRecord> recs;
  ASSERT_TRUE(backup::DumpDates(dir.path().string()).load(recs).ok());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].date, (backup::Timestamp{1'700'000'000, 123'456'789}));
}

TEST(CommandSnapshot, MadeOpenedByDescriptorAndRemoved) {
  test::TempDir dir;
  const fs::path exp = dir.path() / "export", state = dir.path() / "state";
  fs::create_directories(exp / "sub");
  fs::create_directories(state);
  std::ofstream(exp / "sub" / "f") << "before";
  SourcePlan plan;
  plan.policy = {Kind::command, kScripts + "/copy-snapshot.sh"};
  plan.decision.take = true;
  ASSERT_TRUE(backup::open_dir(exp.string(), plan.target.export_dir).ok());
  plan.target.export_path = plan.target.export_real = exp.string();
  plan.rel = "sub";
  plan.state_dir = state.string();
  backup::BackupRequest req;
  req.options.filesystem = (exp / "sub").string();
  ASSERT_TRUE(backup::open_beneath(plan.target.export_dir, "sub", false, req.source).ok());
  auto got = prepare(plan, req);
  ASSERT_TRUE(got.status.ok()) << got.status.text();
  ASSERT_TRUE(got.snapshot);
  EXPECT_EQ(req.source.name, (exp / "sub").string()) << "the export's own path";
  std::ofstream(exp / "sub" / "f") << "after, and longer";
  char buf[64] = {};
  int fd = ::openat(req.source.get(), "f", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::read(fd, buf, sizeof buf), 6);
  ::close(fd);
  EXPECT_EQ(std::string(buf), "before") << "the snapshot keeps the moment";
  EXPECT_NE(got.dma_text.find("command snapshot"), std::string::npos) << got.dma_text;
  req.source = {};
  EXPECT_TRUE(got.snapshot->remove().ok());
  EXPECT_TRUE(fs::is_empty(state / "snapshots")) << "record and directory gone";
}

TEST(SnapshotReload, NewKeysAreReloadedNotRestartOnly) {
  test::TestServer srv;
  const fs::path conf = srv.dir() / "ndmpd.conf";
  const auto running = srv.server().context().settings();
  std::ofstream(conf) << "password-file = " << running->config.password_file << "\n"
                      << "state-dir = " << running->config.state_dir << "\n"
                      << "export = " << running->config.exports.at(0) << "\n"
                      << "snapshot = " << running->config.exports.at(0) << "=command:/usr/local/sbin/snap\n"
                      << "snapshot-failure = live\nsnapshot-request = opt-out\nsnapshot-timeout = 45\n";
  std::vector<std::string> args{"ndmpd", "--config", conf.string(), "--listen", "127.0.0.1:0", "--library", "none"};
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  auto out = ops::reload(srv.server(), static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(out.applied) << out.error;
  const auto now = srv.server().context().settings()->config.snapshots;
  const Policy& p = now.policy_for(running->config.exports.at(0));
  EXPECT_EQ(p.kind, Kind::command);
  EXPECT_EQ(p.command, "/usr/local/sbin/snap");
  EXPECT_EQ(p.on_failure, OnFailure::live);
  EXPECT_EQ(p.request, Request::opt_out);
  EXPECT_EQ(now.timeout, std::chrono::seconds(45));
  for (const auto& key : out.restart_only) EXPECT_EQ(key.find("snapshot"), std::string::npos) << key;
}

}  // namespace
}  // namespace ndmp::snapshot

// The backup's size estimate (backup/size_estimate.h): what the Cloud Manager
// is asked about and what DATA_GET_STATE reports, walked once per job with
// the backup's own selection.
#include "backup/size_estimate.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>
#include <string>

#include "helpers.h"
#include "tree.h"

namespace ndmp::backup::test {
namespace {

// A request the way the server makes one: parsed environment, FILESYSTEM
// opened below the export.
BackupRequest request(const std::string& root, const std::string& state_dir, Env extra = {}) {
  Env env = {{"FILESYSTEM", root}, {"TYPE", "tar"}};
  env.insert(env.end(), extra.begin(), extra.end());
  BackupRequest req;
  req.state_dir = state_dir;
  EXPECT_TRUE(parse_backup_env(env, req.options));
  EXPECT_TRUE(open_source(root, root, req.source));
  return req;
}

SizeEstimate estimate(const BackupRequest& req, EstimateLimits limits = {}) {
  SizeEstimate est;
  Status st = estimate_backup(req, limits, est);
  EXPECT_TRUE(st) << st.to_string();
  return est;
}

TEST(SizeEstimate, ComesCloseToWhatTheBackupWrites) {
  TempDir src{"est-close"}, state{"est-state"};
  for (int i = 0; i < 200; ++i) write_file(src.path() + "/f" + std::to_string(i), std::string(10 * 1024, 'a' + i % 26));
  const SizeEstimate est = estimate(request(src.path(), state.path()));
  BackupRun b;
  run_backup(b, src.path(), src.path(), state.path());
  ASSERT_TRUE(b.status) << b.status.to_string();
  EXPECT_TRUE(est.complete);
  EXPECT_EQ(est.entries, 201u) << "the root and every file";
  EXPECT_GE(est.bytes, b.summary.bytes_written * 9 / 10) << "estimate " << est.bytes << ", written " << b.summary.bytes_written;
  EXPECT_LE(est.bytes, b.summary.bytes_written * 11 / 10) << "estimate " << est.bytes << ", written " << b.summary.bytes_written;
}

TEST(SizeEstimate, ExcludedEntriesAreNotCounted) {
  TempDir src{"est-excl"}, state{"est-state"};
  write_file(src.path() + "/disk.iso", std::string(1 << 20, 'x'));
  write_file(src.path() + "/notes.txt", "a few words");
  const SizeEstimate all = estimate(request(src.path(), state.path()));
  const SizeEstimate some = estimate(request(src.path(), state.path(), {{"EXCLUDE", "*.iso"}}));
  EXPECT_GE(all.bytes, 1u << 20);
  EXPECT_LT(some.bytes, 64u * 1024) << "the excluded 1 MiB image was counted";
  EXPECT_EQ(some.entries, all.entries - 1);
}

TEST(SizeEstimate, AnIncrementalCountsOnlyWhatChangedSinceItsBase) {
  TempDir src{"est-incr"}, state{"est-state"};
  ASSERT_EQ(mkdir((src.path() + "/sub").c_str(), 0755), 0);
  write_file(src.path() + "/sub/old.bin", std::string(1 << 20, 'o'));
  // The level-0 record dated an hour ahead: nothing is newer than it, so a
  // level 1 holds directories only (their children may have changed), and
  // dump dates kept to the second cannot blur the line.
  BackupRequest probe = request(src.path(), state.path());
  ASSERT_TRUE(DumpDates(state.path()).record(probe.source.name, 0, Timestamp{time(nullptr) + 3600, 0}));
  const SizeEstimate level1 = estimate(request(src.path(), state.path(), {{"LEVEL", "1"}}));
  const SizeEstimate level0 = estimate(request(src.path(), state.path(), {{"LEVEL", "0"}}));
  EXPECT_GE(level0.bytes, 1u << 20);
  EXPECT_EQ(level0.entries, 3u) << "the root, sub and old.bin";
  EXPECT_LT(level1.bytes, 64u * 1024) << "the unchanged 1 MiB file was counted in the incremental";
  EXPECT_EQ(level1.entries, 2u) << "the root and sub";
  // And the backup it predicts agrees.
  BackupRun incr;
  run_backup(incr, src.path(), src.path(), state.path(), {{"LEVEL", "1"}, {"UPDATE", "n"}});
  ASSERT_TRUE(incr.status) << incr.status.to_string();
  EXPECT_EQ(incr.summary.entries, level1.entries);
}

TEST(SizeEstimate, WalksTheOpenedDirectoryNotItsName) {
  TempDir top{"est-swap"}, state{"est-state"};
  ASSERT_EQ(mkdir((top.path() + "/data").c_str(), 0755), 0);
  write_file(top.path() + "/data/small.txt", "small");
  BackupRequest req = request(top.path() + "/data", state.path());
  // The name now leads somewhere else, with a large file in it.
  ASSERT_EQ(rename((top.path() + "/data").c_str(), (top.path() + "/moved").c_str()), 0);
  ASSERT_EQ(mkdir((top.path() + "/data").c_str(), 0755), 0);
  write_file(top.path() + "/data/large.bin", std::string(1 << 20, 'l'));
  const SizeEstimate est = estimate(req);
  EXPECT_EQ(est.entries, 2u);
  EXPECT_LT(est.bytes, 64u * 1024);
}

TEST(SizeEstimate, StopsAtItsEntryLimitAndSaysItIsIncomplete) {
  TempDir src{"est-limit"}, state{"est-state"};
  for (int i = 0; i < 50; ++i) write_file(src.path() + "/f" + std::to_string(i), "x");
  EstimateLimits limits;
  limits.max_entries = 10;
  const SizeEstimate est = estimate(request(src.path(), state.path()), limits);
  EXPECT_FALSE(est.complete);
  EXPECT_LE(est.entries, 11u);
}

TEST(SizeEstimate, TheEngineTakesAKnownEstimateInsteadOfWalkingAgain) {
  TempDir src{"est-known"}, state{"est-state"};
  write_file(src.path() + "/f", std::string(4096, 'f'));
  BackupRequest req = request(src.path(), state.path());
  req.known_estimate = 123456789;  // deliberately unlike the tree: only a given figure can produce it
  BackupRun b;
  BackupEngine engine(req, b.sink, &b.history, &b.warnings);
  ASSERT_TRUE(engine.run(&b.summary));
  EXPECT_EQ(engine.progress().est_total_bytes, 123456789u);
}

}  // namespace
}  // namespace ndmp::backup::test

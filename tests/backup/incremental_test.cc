// LEVEL / UPDATE with the dump-dates record, and EXCLUDE patterns.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "backup/dump_dates.h"
#include "helpers.h"
#include "tree.h"

namespace ndmp::backup::test {
namespace {

std::set<std::string> names_in(const BackupRun& b) {
  std::set<std::string> out;
  for (const auto& e : b.history.entries) out.insert(e.path);
  return out;
}

// A file changed in the same clock tick as a dump date counts as changed
// (the engine cannot tell which came first). Tests that expect a file to be
// left out wait, on the condition itself, until the clock has moved past it.
void wait_until_clock_passes(const std::string& path) {
  struct stat st{};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  Timestamp t{st.st_ctim.tv_sec, static_cast<int32_t>(st.st_ctim.tv_nsec)};
  while (now_realtime() <= t) usleep(1000);
}

class Incremental : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(src.sub("a").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(src.sub("b").c_str(), 0755), 0);
    write_file(src.sub("a/old.txt"), "old\n");
    write_file(src.sub("a/changed.txt"), "v1\n");
    write_file(src.sub("a/chmod.txt"), "mode\n");
    wait_until_clock_passes(src.sub("a/chmod.txt"));
  }
  TempDir src{"src"}, state{"state"}, dst{"dst"};
};

TEST_F(Incremental, LevelOneHoldsOnlyWhatChangedSinceLevelZero) {
  BackupRun l0;
  run_backup(l0, src.path(), src.path(), state.path(), {{"LEVEL", "0"}, {"UPDATE", "y"}});
  ASSERT_TRUE(l0.status) << l0.status.to_string();
  EXPECT_FALSE(l0.summary.base_date.has_value());
  EXPECT_TRUE(names_in(l0).count("/a/old.txt"));

  write_file(src.sub("a/changed.txt"), "v2\n");
  ASSERT_EQ(chmod(src.sub("a/chmod.txt").c_str(), 0600), 0);  // ctime only
  write_file(src.sub("b/new.txt"), "new\n");

  BackupRun l1;
  run_backup(l1, src.path(), src.path(), state.path(), {{"LEVEL", "1"}});
  ASSERT_TRUE(l1.status) << l1.status.to_string();
  ASSERT_TRUE(l1.summary.base_date.has_value());
  EXPECT_EQ(*l1.summary.base_date, l0.summary.dump_date);
  std::set<std::string> want = {"/", "/a", "/a/changed.txt", "/a/chmod.txt", "/b", "/b/new.txt"};
  EXPECT_EQ(names_in(l1), want) << "directories always, files only when changed";

  // A second level 1 is still relative to level 0; level 2 to the newest level 1.
  write_file(src.sub("b/after-l1.txt"), "x\n");
  wait_until_clock_passes(src.sub("b/after-l1.txt"));
  BackupRun l1b, l2;
  run_backup(l1b, src.path(), src.path(), state.path(), {{"LEVEL", "1"}});
  ASSERT_TRUE(l1b.status);
  EXPECT_TRUE(names_in(l1b).count("/a/changed.txt"));
  write_file(src.sub("a/after-l1b.txt"), "y\n");
  run_backup(l2, src.path(), src.path(), state.path(), {{"LEVEL", "2"}});
  ASSERT_TRUE(l2.status);
  EXPECT_EQ(*l2.summary.base_date, l1b.summary.dump_date);
  EXPECT_FALSE(names_in(l2).count("/a/changed.txt"));
  EXPECT_TRUE(names_in(l2).count("/a/after-l1b.txt"));

  // Restoring the chain in order gives today's tree.
  for (BackupRun* run : {&l0, &l1b, &l2}) {
    RestoreEngine r(into(dst.path()), nullptr);
    MemorySource in(run->sink.bytes);
    ASSERT_TRUE(r.run(in));
  }
  auto want_tree = snapshot(src.path()), got = snapshot(dst.path());
  want_tree.erase("");
  got.erase("");
  for (auto& [p, n] : want_tree) n.mtime_sec = n.mtime_nsec = 0;  // dirs touched by later levels' children
  for (auto& [p, n] : got) n.mtime_sec = n.mtime_nsec = 0;
  auto diffs = diff_snapshots(want_tree, got);
  for (const auto& d : diffs) ADD_FAILURE() << d;
}

TEST_F(Incremental, UpdateNoLeavesTheRecordAlone) {
  BackupRun l0;
  run_backup(l0, src.path(), src.path(), state.path(), {{"LEVEL", "0"}, {"UPDATE", "n"}});
  ASSERT_TRUE(l0.status);
  DumpDates dd(state.path());
  std::vector<DumpDateRecord> recs;
  ASSERT_TRUE(dd.load(recs));
  EXPECT_TRUE(recs.empty());
  BackupRun l1;
  run_backup(l1, src.path(), src.path(), state.path(), {{"LEVEL", "1"}});
  ASSERT_TRUE(l1.status);
  EXPECT_FALSE(l1.summary.base_date.has_value()) << "no lower level recorded: full backup";
  EXPECT_TRUE(names_in(l1).count("/a/old.txt"));
}

TEST_F(Incremental, LevelAboveZeroWithoutStateDirectoryIsRefused) {
  BackupRun l1;
  run_backup(l1, src.path(), src.path(), "", {{"LEVEL", "1"}});
  EXPECT_EQ(l1.status.code(), Status::Code::invalid_argument);
  EXPECT_TRUE(l1.sink.bytes.empty());
}

TEST(DumpDatesRecord, KeepsOneLinePerFilesystemAndLevelAndSurvivesReload) {
  TempDir state("state");
  DumpDates dd(state.path());
  ASSERT_TRUE(dd.record("/export/home dir", 0, {100, 5}));
  ASSERT_TRUE(dd.record("/export/home dir", 1, {200, 6}));
  ASSERT_TRUE(dd.record("/export/other", 0, {300, 7}));
  ASSERT_TRUE(dd.record("/export/home dir", 0, {150, 8}));  // replaces the first
  std::vector<DumpDateRecord> recs;
  ASSERT_TRUE(dd.load(recs));
  EXPECT_EQ(recs.size(), 3u);
  std::optional<Timestamp> base;
  ASSERT_TRUE(DumpDates(state.path()).base_for("/export/home dir", 2, base));
  ASSERT_TRUE(base);
  EXPECT_EQ(*base, (Timestamp{200, 6}));
  ASSERT_TRUE(dd.base_for("/export/home dir", 1, base));
  EXPECT_EQ(*base, (Timestamp{150, 8}));
  ASSERT_TRUE(dd.base_for("/export/home dir", 0, base));
  EXPECT_FALSE(base);
  EXPECT_FALSE(dd.record("bad\nname", 0, {1, 0}));
}

TEST(DumpDatesRecord, MalformedFileIsAnErrorNotAFullBackup) {
  TempDir state("state");
  write_file(state.sub("dumpdates"), "garbage\n");
  std::optional<Timestamp> base;
  EXPECT_EQ(DumpDates(state.path()).base_for("/x", 1, base).code(), Status::Code::io_error);
}

TEST(Exclude, PatternsDropNamesAndWholeSubtrees) {
  TempDir src("src"), state("state");
  ASSERT_EQ(mkdir(src.sub("keep").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(src.sub("keep/cache").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(src.sub("tmp").c_str(), 0755), 0);
  write_file(src.sub("keep/a.c"), "c\n");
  write_file(src.sub("keep/a.o"), "o\n");
  write_file(src.sub("keep/cache/blob"), "b\n");
  write_file(src.sub("tmp/x"), "x\n");
  write_file(src.sub("keep/tmp"), "a file named tmp, below the root\n");
  BackupRun b;
  run_backup(b, src.path(), src.path(), state.path(), {{"EXCLUDE", "*.o, cache,/tmp"}});
  ASSERT_TRUE(b.status);
  std::set<std::string> want = {"/", "/keep", "/keep/a.c", "/keep/tmp"};
  EXPECT_EQ(names_in(b), want);
}

TEST(History, HistNoneSendsNoFileHistory) {
  TempDir src("src");
  write_file(src.sub("f"), "x\n");
  BackupRun b;
  run_backup(b, src.path(), src.path(), "", {{"HIST", "n"}, {"UPDATE", "n"}});
  ASSERT_TRUE(b.status);
  EXPECT_TRUE(b.history.entries.empty());
  EXPECT_EQ(list_stream(b.sink.bytes).size(), 2u);
}

TEST(Walk, StaysOnTheSourceFilesystem) {
  TempDir src("src");
  ASSERT_EQ(mkdir(src.sub("mnt").c_str(), 0755), 0);
  if (mount("tmpfs", src.sub("mnt").c_str(), "tmpfs", 0, "size=1m") != 0) {
    fprintf(stderr, "SKIPPED: cannot mount tmpfs (%s); one-filesystem walk untested\n", strerror(errno));
    GTEST_SKIP() << "needs mount (root with CAP_SYS_ADMIN)";
  }
  struct Unmount {
    std::string p;
    ~Unmount() { umount2(p.c_str(), MNT_DETACH); }
  } unmount{src.sub("mnt")};
  write_file(src.sub("mnt/other-fs"), "x\n");
  write_file(src.sub("here"), "y\n");
  BackupRun b;
  run_backup(b, src.path(), src.path(), "", {{"UPDATE", "n"}});
  ASSERT_TRUE(b.status);
  std::set<std::string> want = {"/", "/here", "/mnt"};
  EXPECT_EQ(names_in(b), want) << "mount point archived as a directory, not entered";
}

TEST(Source, OutsideTheExportRootIsRefused) {
  TempDir exp("export"), other("other");
  ASSERT_EQ(symlink(other.path().c_str(), exp.sub("escape").c_str()), 0);
  for (const std::string& fs : {other.path(), exp.sub("escape"), exp.path() + "/../" + other.path().substr(5),
                                std::string("/")}) {
    BackupRun b;
    run_backup(b, exp.path(), fs, "");
    EXPECT_EQ(b.status.code(), Status::Code::invalid_argument) << fs;
    EXPECT_TRUE(b.sink.bytes.empty()) << fs;
  }
  write_file(exp.sub("plain"), "not a directory\n");
  BackupRun b;
  run_backup(b, exp.path(), exp.sub("plain"), "");
  EXPECT_EQ(b.status.code(), Status::Code::invalid_argument);
  ASSERT_EQ(mkdir(exp.sub("inside").c_str(), 0755), 0);
  BackupRun ok;
  run_backup(ok, exp.path(), "inside", "");  // relative: below the export root
  EXPECT_TRUE(ok.status) << ok.status.to_string();
}

}  // namespace
}  // namespace ndmp::backup::test

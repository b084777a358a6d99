// Name-list restores: one file by scanning, one file and one directory by
// direct access from their fh_info, renames, and per-name results.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "helpers.h"
#include "tree.h"

namespace ndmp::backup::test {
namespace {

class Selective : public ::testing::Test {
 protected:
  void SetUp() override {
    make_rich_tree(src.path(), 0);
    run_backup(b, src.path(), src.path(), state.path());
    ASSERT_TRUE(b.status) << b.status.to_string();
  }
  uint64_t fh(const std::string& path) {
    auto* e = b.history.find(path);
    EXPECT_NE(e, nullptr) << path;
    return e ? e->fh_info : kUnknown;
  }
  TempDir src{"src"}, dst{"dst"}, state{"state"};
  BackupRun b;
};

bool exists(const std::string& p) {
  struct stat st{};
  return lstat(p.c_str(), &st) == 0;
}

TEST_F(Selective, OneFileByScanRestoresOnlyThatFile) {
  RecordingReporter rep;
  RestoreEngine r(into(dst.path(), {{"/dir/hello.txt", "", kUnknown}}), &rep);
  MemorySource in(b.sink.bytes);
  ASSERT_TRUE(r.run(in));
  EXPECT_EQ(read_file(dst.sub("dir/hello.txt")), "hello, world\n");
  EXPECT_FALSE(exists(dst.sub("dir/big.bin")));
  EXPECT_FALSE(exists(dst.sub("empty")));
  ASSERT_EQ(rep.results.size(), 1u);
  EXPECT_EQ(rep.results[0].second.outcome, NameOutcome::restored);
}

TEST_F(Selective, MissingNameIsReportedNotFound) {
  RecordingReporter rep;
  RestoreEngine r(into(dst.path(), {{"/dir/hello.txt", "", kUnknown}, {"/no/such", "", kUnknown}}), &rep);
  MemorySource in(b.sink.bytes);
  ASSERT_TRUE(r.run(in));
  ASSERT_EQ(rep.results.size(), 2u);
  for (auto& [i, res] : rep.results)
    EXPECT_EQ(res.outcome, i == 0 ? NameOutcome::restored : NameOutcome::not_found) << i;
}

TEST_F(Selective, DirectoryNameSelectsItsSubtreeUnderANewName) {
  RecordingReporter rep;
  RestoreEngine r(into(dst.path(), {{"/dir/sub", "/renamed/here", kUnknown}}), &rep);
  MemorySource in(b.sink.bytes);
  ASSERT_TRUE(r.run(in));
  EXPECT_EQ(read_file(dst.sub("renamed/here/exec.sh")), "#!/bin/sh\necho hi\n");
  EXPECT_FALSE(exists(dst.sub("dir")));
  ASSERT_EQ(rep.results.size(), 1u);
  EXPECT_EQ(rep.results[0].second.outcome, NameOutcome::restored);
  EXPECT_EQ(rep.results[0].second.entries, 2u) << "the directory and its one file";
}

TEST_F(Selective, NonRecursiveDirectoryNameRestoresOnlyTheDirectory) {
  RecordingReporter rep;
  RestoreRequest req = into(dst.path(), {{"/dir/sub", "", kUnknown}});
  req.recursive = false;
  RestoreEngine r(req, &rep);
  MemorySource in(b.sink.bytes);
  ASSERT_TRUE(r.run(in));
  struct stat st{};
  ASSERT_EQ(lstat(dst.sub("dir/sub").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_FALSE(exists(dst.sub("dir/sub/exec.sh")));
  ASSERT_EQ(rep.results.size(), 1u);
  EXPECT_EQ(rep.results[0].second.entries, 1u);
}

TEST_F(Selective, PlanGivesOneRangePerOffsetAndFoldsNestedNames) {
  std::vector<NlistEntry> nl = {{"/dir/big.bin", "", fh("/dir/big.bin")},
                                {"/dir/sub", "", fh("/dir/sub")},
                                {"/dir/sub/exec.sh", "", fh("/dir/sub/exec.sh")},
                                {"/empty", "", kUnknown}};
  auto plan = plan_direct_reads(nl);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].offset, fh("/dir/big.bin"));
  EXPECT_EQ(plan[1].offset, fh("/dir/sub"));
  EXPECT_EQ(plan[1].names, std::vector<size_t>{1}) << "exec.sh rides with its directory";
  EXPECT_LT(plan[0].offset, plan[1].offset);
  EXPECT_TRUE(plan[2].scan);
  EXPECT_EQ(plan[2].offset, 0u);
  for (const auto& r : plan) EXPECT_EQ(r.length, kUnknown);
}

TEST_F(Selective, DirectAccessReadsOnlyFromTheFileOffset) {
  // dir/c-link sorts first of its three names, so it carries the data.
  std::vector<NlistEntry> nl = {{"/dir/big.bin", "/got/big.bin", fh("/dir/big.bin")},
                                {"/dir/c-link", "", fh("/dir/c-link")},
                                {"/hl/a", "", fh("/hl/a")}};
  RecordingReporter rep;
  RestoreEngine r(into(dst.path(), nl), &rep);
  uint64_t consumed = 0;
  for (const auto& range : plan_direct_reads(nl)) {
    // The mover positions the stream at the offset; nothing before it is read.
    MemorySource in(b.sink.bytes, range.offset);
    ASSERT_TRUE(r.run_range(in, range));
    consumed += in.position() - range.offset;
  }
  ASSERT_TRUE(r.finish());
  EXPECT_EQ(read_file(dst.sub("got/big.bin")), read_file(src.sub("dir/big.bin")));
  EXPECT_EQ(read_file(dst.sub("hl/a")), "shared inode\n");
  struct stat a{}, c{};
  ASSERT_EQ(lstat(dst.sub("hl/a").c_str(), &a), 0);
  ASSERT_EQ(lstat(dst.sub("dir/c-link").c_str(), &c), 0);
  EXPECT_EQ(a.st_ino, c.st_ino) << "restored as a hard link";
  EXPECT_FALSE(exists(dst.sub("dir/hello.txt")));
  ASSERT_EQ(rep.results.size(), 3u);
  for (auto& [i, res] : rep.results) EXPECT_EQ(res.outcome, NameOutcome::restored) << i << " " << res.reason;
  // big.bin is 3 MiB of the stream; reading stops after the requested
  // entries plus libarchive's read-ahead, far short of the whole stream twice.
  EXPECT_LT(consumed, b.sink.bytes.size());
}

TEST_F(Selective, LaterHardLinkNameAloneFailsWithAReasonNamingTheFirst) {
  std::vector<NlistEntry> nl = {{"/hl/b", "", fh("/hl/b")}};
  RecordingReporter rep;
  RestoreEngine r(into(dst.path(), nl), &rep);
  for (const auto& range : plan_direct_reads(nl)) {
    MemorySource in(b.sink.bytes, range.offset);
    ASSERT_TRUE(r.run_range(in, range));
  }
  ASSERT_TRUE(r.finish());
  ASSERT_EQ(rep.results.size(), 1u);
  EXPECT_EQ(rep.results[0].second.outcome, NameOutcome::failed);
  EXPECT_NE(rep.results[0].second.reason.find("/dir/c-link"), std::string::npos) << rep.results[0].second.reason;
  EXPECT_FALSE(exists(dst.sub("hl/b")));
}

TEST_F(Selective, DirectAccessAtAWrongOffsetFindsNothingAndSaysSo) {
  std::vector<NlistEntry> nl = {{"/dir/hello.txt", "", fh("/empty")}};
  RecordingReporter rep;
  RecordingWarnings warn;
  RestoreEngine r(into(dst.path(), nl), &rep, &warn);
  for (const auto& range : plan_direct_reads(nl)) {
    MemorySource in(b.sink.bytes, range.offset);
    ASSERT_TRUE(r.run_range(in, range));
  }
  ASSERT_TRUE(r.finish());
  ASSERT_EQ(rep.results.size(), 1u);
  EXPECT_EQ(rep.results[0].second.outcome, NameOutcome::not_found);
  EXPECT_TRUE(warn.any_contains("not a requested name"));
  EXPECT_FALSE(exists(dst.sub("empty")));
}

}  // namespace
}  // namespace ndmp::backup::test

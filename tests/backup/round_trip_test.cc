// Full backup of a tree holding every file type, restored into an empty
// directory, compared field by field; fh_info offsets checked against the
// stream itself.
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "helpers.h"
#include "tree.h"

namespace ndmp::backup::test {
namespace {

constexpr uint64_t kSparseSize = 9ull << 30;  // 9 GiB: needs pax size, over ustar's 8 GiB

void say_skipped(const TreeFeatures& f) {
  if (!f.devices) fprintf(stderr, "SKIPPED PART: device nodes (not root or mknod refused)\n");
  if (!f.xattrs) fprintf(stderr, "SKIPPED PART: user.* xattrs (filesystem refused setxattr)\n");
  if (!f.acls) fprintf(stderr, "SKIPPED PART: POSIX ACLs (filesystem refused acl_set_file)\n");
  if (f.sparse_name.empty()) fprintf(stderr, "SKIPPED PART: sparse file (filesystem allocated the holes)\n");
}

class RoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    features = make_rich_tree(src.path(), kSparseSize);
    say_skipped(features);
    run_backup(b, src.path(), src.path(), state.path());
    ASSERT_TRUE(b.status) << b.status.to_string();
  }
  TempDir src{"src"}, dst{"dst"}, state{"state"};
  TreeFeatures features;
  BackupRun b;
};

TEST_F(RoundTrip, FullRestoreReproducesEveryFileTypeExactly) {
  RecordingReporter rep;
  // A whole-system restore: devices and the rest allowed.
  RestoreRequest req = into(dst.path());
  req.privileges = RestorePrivileges::all();
  RestoreEngine restore(req, &rep);
  MemorySource in(b.sink.bytes);
  ASSERT_TRUE(restore.run(in)) << "restore failed";
  auto want = snapshot(src.path());
  auto got = snapshot(dst.path());
  // The "." entry gives the destination root the source root's mode, owner
  // and times (issue 15), so the root must match too.
  auto diffs = diff_snapshots(want, got);
  for (const auto& d : diffs) ADD_FAILURE() << d;
  EXPECT_TRUE(diffs.empty());
  EXPECT_TRUE(rep.results.empty()) << "no name list, no per-name results";
  // What the checks above covered, so a silent gap shows.
  EXPECT_EQ(got.at("link-rel").link_target, "dir/hello.txt");
  EXPECT_EQ(got.at("hl/b").hardlink_group, "dir/c-link");
  EXPECT_EQ(got.at("dir/hello.txt").uid, 1234u);
  EXPECT_EQ(got.at("dir/hello.txt").mtime_nsec, 123456789);
  EXPECT_EQ(got.at("dir").mtime_nsec, 999999999);
  EXPECT_EQ(got.at("fifo").type, "fifo");
  if (features.xattrs) {
    EXPECT_EQ(got.at("dir/hello.txt").xattrs.at("user.comment"), "hi there");
  }
  if (features.acls) {
    EXPECT_TRUE(got.at("dir/sub").xattrs.count("system.posix_acl_default"));
  }
  if (features.devices) {
    EXPECT_EQ(got.at("chr").type, "chr");
  }
  struct stat st{};
  EXPECT_NE(lstat(dst.sub("sock").c_str(), &st), 0) << "sockets are not archived";
  if (!features.sparse_name.empty()) {
    const auto& sp = got.at(features.sparse_name);
    EXPECT_EQ(sp.size, kSparseSize);
    EXPECT_LT(sp.allocated, 64ull << 20) << "restore filled the holes";
  }
}

// The server's pipe lends its bytes instead of copying them (issue 19): the
// same tree must come out, every lent block given back once, and none used
// after it was given back (the source overwrites it then).
TEST_F(RoundTrip, RestoreFromLentBlocksReproducesTheTree) {
  RestoreRequest req = into(dst.path());
  req.privileges = RestorePrivileges::all();
  RestoreEngine restore(req, nullptr);
  ViewingSource in(b.sink.bytes);
  ASSERT_TRUE(restore.run(in)) << "restore failed";
  auto diffs = diff_snapshots(snapshot(src.path()), snapshot(dst.path()));
  for (const auto& d : diffs) ADD_FAILURE() << d;
  EXPECT_TRUE(diffs.empty());
  EXPECT_GT(in.views, 1u) << "the engine did not take the lent blocks";
  EXPECT_EQ(in.reads, 0u) << "the engine copied although the source lends";
  EXPECT_EQ(in.misuse, 0u) << "a block was asked for before the last was given back, or given back wrongly";
  EXPECT_EQ(in.outstanding(), 0u) << "the last block was never given back";
}

TEST_F(RoundTrip, StreamCarriesLargeSparseFileCheaply) {
  if (features.sparse_name.empty()) GTEST_SKIP() << "SKIPPED: filesystem cannot make sparse files";
  auto entries = list_stream(b.sink.bytes);
  bool seen = false;
  for (const auto& e : entries)
    if (e.path == features.sparse_name) {
      seen = true;
      EXPECT_EQ(static_cast<uint64_t>(e.size), kSparseSize) << "pax size / GNU.sparse.realsize lost";
    }
  EXPECT_TRUE(seen);
  EXPECT_LT(b.sink.bytes.size(), 32u << 20) << "holes were written into the stream";
  EXPECT_EQ(b.summary.bytes_written, b.sink.bytes.size());
  EXPECT_EQ(b.sink.bytes.size() % 512, 0u);
}

// Plain files (no xattrs, no holes) take the engine's short metadata path:
// it must record what libarchive's own look-up does.
TEST(PlainFiles, CarryOwnerNameNanosecondsAndChattrFlags) {
  TempDir src{"plain"}, state{"state"};
  const std::string f = src.path() + "/nodump.txt";
  {
    FILE* fp = fopen(f.c_str(), "w");
    ASSERT_NE(fp, nullptr);
    fputs("keep me out of dumps\n", fp);
    fclose(fp);
  }
  struct timespec times[2] = {{1000, 5}, {1700000000, 987654321}};
  ASSERT_EQ(utimensat(AT_FDCWD, f.c_str(), times, 0), 0);
  bool flagged = false;
  int fd = open(f.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  int flags = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
    flags |= FS_NODUMP_FL;
    flagged = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  close(fd);
  if (!flagged) fprintf(stderr, "SKIPPED PART: chattr +d (filesystem refused FS_IOC_SETFLAGS)\n");
  BackupRun b;
  run_backup(b, src.path(), src.path(), state.path());
  ASSERT_TRUE(b.status) << b.status.to_string();
  bool seen = false;
  for (const auto& e : list_stream(b.sink.bytes)) {
    if (e.path != "nodump.txt") continue;
    seen = true;
    EXPECT_EQ(e.size, 21);
    EXPECT_EQ(e.mtime_nsec, 987654321);
    struct passwd* pw = getpwuid(geteuid());
    if (pw) EXPECT_EQ(e.uname, pw->pw_name);
    if (flagged) EXPECT_EQ(e.fflags, "nodump");
  }
  EXPECT_TRUE(seen);
}

// The size estimate walks the same directories on another thread while
// the backup lists them. Listing through a descriptor that shares its
// offset with the other walk's once made the backup see root entries twice
// (or not at all) in about one three-way job in fifty: repeat until a race
// would have shown.
TEST(EstimateBesideTheWalk, EveryEntryExactlyOnce) {
  TempDir src{"wide"}, state{"state"};
  const int kFiles = 3000;
  for (int i = 0; i < kFiles; ++i) {
    FILE* fp = fopen((src.path() + "/f" + std::to_string(i)).c_str(), "w");
    ASSERT_NE(fp, nullptr);
    fputs("x", fp);
    fclose(fp);
  }
  ASSERT_EQ(mkdir((src.path() + "/sub").c_str(), 0755), 0);
  for (int round = 0; round < 25; ++round) {
    BackupRun b;
    run_backup(b, src.path(), src.path(), state.path());
    ASSERT_TRUE(b.status) << b.status.to_string();
    std::set<std::string> seen;
    for (const auto& fh : b.history.entries) EXPECT_TRUE(seen.insert(fh.path).second) << "twice: " << fh.path;
    ASSERT_EQ(seen.size(), static_cast<size_t>(kFiles + 2)) << "round " << round << ": root, sub and every file";
    ASSERT_EQ(b.summary.entries, static_cast<uint64_t>(kFiles + 2));
  }
}

TEST_F(RoundTrip, LongAndOddNamesSurviveInTheStream) {
  auto entries = list_stream(b.sink.bytes);
  std::string long_path = std::string(200, 'a') + "/" + std::string(200, 'b');
  std::vector<std::string> want = {"new\nline", "with space", "\xc3\xbc" "tf-8 \xe2\x98\x83", long_path};
  for (const auto& w : want) {
    bool found = false;
    for (const auto& e : entries) found = found || e.path == w;
    EXPECT_TRUE(found) << "missing " << w;
  }
}

TEST_F(RoundTrip, EveryFhInfoOffsetStartsItsOwnEntry) {
  ASSERT_FALSE(b.history.entries.empty());
  EXPECT_EQ(b.history.entries.front().path, "/");
  EXPECT_EQ(b.history.entries.front().fh_info, 0u);
  EXPECT_EQ(b.history.entries.front().parent_inode, b.history.entries.front().stat.inode);
  uint64_t last = 0;
  for (const auto& fh : b.history.entries) {
    ASSERT_NE(fh.fh_info, kUnknown) << fh.path;
    EXPECT_EQ(fh.fh_info % 512, 0u) << fh.path;
    if (fh.path != "/") {
      EXPECT_GT(fh.fh_info, last) << fh.path;
    }
    last = fh.fh_info;
    auto first = list_stream(b.sink.bytes, fh.fh_info, 1);
    ASSERT_EQ(first.size(), 1u) << "nothing readable at offset " << fh.fh_info << " for " << fh.path;
    std::string name = first[0].path;
    if (!name.empty() && name.back() == '/') name.pop_back();
    EXPECT_EQ("/" + (name == "." ? std::string() : name), fh.path) << "at offset " << fh.fh_info;
  }
  const FileHistoryEntry* hello = b.history.find("/dir/hello.txt");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->stat.type, FileType::regular);
  EXPECT_EQ(hello->stat.size, 13u);
  EXPECT_EQ(hello->stat.uid, 1234u);
  EXPECT_EQ(hello->stat.mtime.nsec, 123456789);
  EXPECT_EQ(hello->name, "hello.txt");
  EXPECT_EQ(b.history.find("/sock"), nullptr) << "sockets get no file history";
}

TEST_F(RoundTrip, SummaryAddsEnvironmentForGetEnv) {
  EXPECT_EQ(b.summary.skipped, 1u) << "only the socket";
  bool sep = false, date = false;
  for (const auto& [k, v] : b.summary.env_additions) {
    sep = sep || (k == "PATHNAME_SEPARATOR" && v == "/");
    date = date || (k == "DUMP_DATE" && v == std::to_string(b.summary.dump_date.sec));
  }
  EXPECT_TRUE(sep);
  EXPECT_TRUE(date);
}

}  // namespace
}  // namespace ndmp::backup::test

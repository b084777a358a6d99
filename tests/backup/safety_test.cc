// Malicious archives: nothing outside the destination may change.
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "helpers.h"
#include "tree.h"

namespace ndmp::backup::test {
namespace {

class Safety : public ::testing::Test {
 protected:
  void SetUp() override {
    dst = outer.sub("dst");
    victim = outer.sub("victim");
    ASSERT_EQ(mkdir(victim.c_str(), 0755), 0);
    write_file(victim + "/keep", "original\n");
    before = snapshot(outer.path());
  }
  Status restore(const std::vector<std::byte>& bytes) {
    RestoreEngine r(into(dst), nullptr, &warn);
    MemorySource in(bytes);
    return r.run(in);
  }
  // Everything outside dst is as it was.
  void expect_outside_unchanged() {
    auto after = snapshot(outer.path());
    auto want = before;
    for (auto* m : {&after, &want})
      for (auto it = m->begin(); it != m->end();)
        it = (it->first == "dst" || it->first.rfind("dst/", 0) == 0) ? m->erase(it) : std::next(it);
    want.erase("");
    after.erase("");
    auto diffs = diff_snapshots(want, after);
    for (const auto& d : diffs) ADD_FAILURE() << "outside destination: " << d;
  }
  TempDir outer{"safety"};
  std::string dst, victim;
  std::map<std::string, NodeInfo> before;
  RecordingWarnings warn;
};

TEST_F(Safety, AbsoluteNamesAreRefused) {
  auto bytes = make_archive({{victim + "/keep", AE_IFREG, "pwned\n", ""},
                             {victim + "/new", AE_IFREG, "pwned\n", ""},
                             {"fine", AE_IFREG, "ok\n", ""}});
  EXPECT_TRUE(restore(bytes));
  expect_outside_unchanged();
  EXPECT_EQ(read_file(dst + "/fine"), "ok\n");
  EXPECT_TRUE(warn.any_contains("refused"));
}

TEST_F(Safety, DotDotNamesAreRefused) {
  auto bytes = make_archive({{"../victim/keep", AE_IFREG, "pwned\n", ""},
                             {"a/../../victim/new", AE_IFREG, "pwned\n", ""},
                             {"./ok", AE_IFREG, "ok\n", ""}});
  EXPECT_TRUE(restore(bytes));
  expect_outside_unchanged();
  EXPECT_EQ(read_file(dst + "/ok"), "ok\n");
}

TEST_F(Safety, FileThroughArchivedSymlinkIsRefused) {
  auto bytes = make_archive({{"esc", AE_IFLNK, victim, ""},
                             {"esc/keep", AE_IFREG, "pwned\n", ""},
                             {"esc/new", AE_IFREG, "pwned\n", ""},
                             {"rel", AE_IFLNK, "../victim", ""},
                             {"rel/new2", AE_IFREG, "pwned\n", ""}});
  EXPECT_TRUE(restore(bytes));
  expect_outside_unchanged();
  struct stat st{};
  EXPECT_EQ(lstat((dst + "/esc").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the symlink itself is harmless and restored";
}

TEST_F(Safety, FileThroughSymlinkAlreadyOnDiskIsRefused) {
  ASSERT_EQ(mkdir(dst.c_str(), 0755), 0);
  ASSERT_EQ(symlink(victim.c_str(), (dst + "/planted").c_str()), 0);
  before = snapshot(outer.path());
  auto bytes = make_archive({{"planted/keep", AE_IFREG, "pwned\n", ""}});
  EXPECT_TRUE(restore(bytes));
  expect_outside_unchanged();
}

TEST_F(Safety, HardLinksToOutsideAreRefused) {
  auto bytes = make_archive({{"h1", AE_IFREG, "", victim + "/keep"},
                             {"h2", AE_IFREG, "", "../victim/keep"},
                             {"h1", AE_IFREG, "pwned through link\n", ""}});
  EXPECT_TRUE(restore(bytes));
  expect_outside_unchanged();
  struct stat st{};
  ASSERT_EQ(stat((victim + "/keep").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_F(Safety, HardLinkThroughArchivedSymlinkIsRefused) {
  auto bytes = make_archive({{"esc", AE_IFLNK, victim, ""}, {"h", AE_IFREG, "", "esc/keep"}});
  EXPECT_TRUE(restore(bytes));
  expect_outside_unchanged();
  struct stat st{};
  ASSERT_EQ(stat((victim + "/keep").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u) << "an outside file was linked into the destination";
}

TEST_F(Safety, ExistingHardLinkToOutsideIsReplacedNotWrittenThrough) {
  ASSERT_EQ(mkdir(dst.c_str(), 0755), 0);
  ASSERT_EQ(link((victim + "/keep").c_str(), (dst + "/shared").c_str()), 0);
  auto bytes = make_archive({{"shared", AE_IFREG, "new content\n", ""}});
  EXPECT_TRUE(restore(bytes));
  EXPECT_EQ(read_file(victim + "/keep"), "original\n");
  EXPECT_EQ(read_file(dst + "/shared"), "new content\n");
}

}  // namespace
}  // namespace ndmp::backup::test

namespace ndmp::backup::test {
namespace {

// Hands the stream over in 512-byte pieces and runs `hook` once, just before
// the piece at `at`: the engine has written every entry before it by then.
class SwappingSource : public ByteSource {
 public:
  SwappingSource(std::vector<std::byte> b, size_t at, std::function<void()> hook)
      : bytes_(std::move(b)), at_(at), hook_(std::move(hook)) {}
  Status read(std::span<std::byte> buf, size_t& got) override {
    if (pos_ >= at_ && hook_) std::exchange(hook_, nullptr)();
    got = std::min({buf.size(), size_t{512}, bytes_.size() - pos_});
    std::memcpy(buf.data(), bytes_.data() + pos_, got);
    pos_ += got;
    return Status::Ok();
  }

 private:
  std::vector<std::byte> bytes_;
  size_t at_, pos_ = 0;
  std::function<void()> hook_;
};

// A directory the restore is writing into is swapped for a symlink to
// outside between two of its entries (issue 15): the next entry goes into
// the directory the restore holds open, never through the symlink.
TEST_F(Safety, DirectorySwappedForASymlinkMidRestoreIsNotFollowed) {
  const std::vector<HandEntry> head = {{"a", AE_IFDIR, "", ""}, {"a/f1", AE_IFREG, "one\n", ""}};
  auto all = head;
  all.push_back({"a/f2", AE_IFREG, "two\n", ""});
  all.push_back({"a/b/f3", AE_IFREG, "three\n", ""});
  const size_t at = make_archive(head).size() - 1024;  // where a/f2's header starts
  SwappingSource src(make_archive(all), at, [&] {
    ASSERT_EQ(rename((dst + "/a").c_str(), (dst + "/a.real").c_str()), 0);
    ASSERT_EQ(symlink(victim.c_str(), (dst + "/a").c_str()), 0);
  });
  RestoreEngine r(into(dst), nullptr, &warn);
  EXPECT_TRUE(r.run(src));
  expect_outside_unchanged();
  EXPECT_EQ(read_file(dst + "/a.real/f2"), "two\n") << "written through the directory held open";
}

// "." of type symlink sets the destination's metadata only.
TEST_F(Safety, DotSymlinkNeverReplacesTheDestination) {
  auto bytes = make_archive({{".", AE_IFLNK, victim, ""}, {"./", AE_IFLNK, victim, ""}, {"in", AE_IFREG, "x\n", ""}});
  EXPECT_TRUE(restore(bytes));
  expect_outside_unchanged();
  struct stat st{};
  ASSERT_EQ(lstat(dst.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(read_file(dst + "/in"), "x\n");
}

}  // namespace
}  // namespace ndmp::backup::test

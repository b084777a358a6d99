// Issue 15 item 2: an archive entry for the destination itself ("." or
// "./") of type symlink once replaced the destination with a symlink to
// outside, an empty export root included, and every later job of that
// export went wherever it pointed. The destination is never removed,
// replaced or re-typed now; its entry sets only its metadata.
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>

#include "tests/security/restore_util.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace fs = std::filesystem;

class RestoreRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(c);
    fs::create_directories(outside);
    std::ofstream(outside / "keep") << "outside\n";
    before = tree_state(outside);
  }
  bool is_real_dir(const fs::path& p) {
    struct stat st{};
    return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
  test::TestServer server;
  std::unique_ptr<client::Client> c = server.login(4);
  fs::path exp = server.dir() / "export";
  fs::path outside = server.dir() / "outside";
  std::map<std::string, std::string> before;
};

// "." and "./" of every type: the root stays a directory, the next entry
// lands in it, nothing outside changes.
TEST_F(RestoreRoot, DotEntryOfAnyTypeNeverReplacesTheRoot) {
  struct Case {
    const char* label;
    TarEntry root;
  };
  const std::string out = outside.string();
  std::vector<Case> cases = {
      {"symlink", {".", AE_IFLNK, out}},
      {"symlink-slash", {"./", AE_IFLNK, out}},
      {"file", {".", AE_IFREG, "data where a directory is\n"}},
      {"hardlink", {".", AE_IFREG, "", "other"}},
      {"fifo", {".", AE_IFIFO, ""}},
      {"chr", {".", AE_IFCHR, "", "", 0666, makedev(1, 3)}},
      {"dir", {"./", AE_IFDIR, "", "", 0750}},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.label);
    const fs::path dst = exp / k.label;
    // First, while the new destination is still empty (a non-empty
    // directory resists being replaced anyway).
    auto r = restore_stream(*c, dst.string(),
                            make_tar({k.root, {"other", AE_IFREG, "x\n"}, {"after", AE_IFREG, "inside\n"}}));
    EXPECT_EQ(r.start, msg::Error::no_err);
    EXPECT_EQ(r.reason, msg::DataHaltReason::successful);
    EXPECT_TRUE(is_real_dir(dst)) << "the destination was re-typed";
    EXPECT_TRUE(fs::exists(fs::symlink_status(dst / "after"))) << "the entry after \".\" is not in the destination";
    EXPECT_EQ(tree_state(outside), before);
  }
  // The directory entry carries the root's own metadata (it used to be left
  // behind): mode and mtime come from the archive.
  struct stat st{};
  ASSERT_EQ(::stat((exp / "dir").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1'600'000'000);
}

// The export root itself as the destination, empty: a symlink "." must not
// turn it into a symlink, and the next restore and backup of the export
// still happen in the export.
TEST_F(RestoreRoot, EmptyExportRootStaysTheExport) {
  ASSERT_TRUE(fs::is_empty(exp));
  auto r = restore_stream(*c, exp.string(), make_tar({{".", AE_IFLNK, outside.string()}}));
  EXPECT_EQ(r.start, msg::Error::no_err);
  EXPECT_TRUE(is_real_dir(exp));
  r = restore_stream(*c, exp.string(), make_tar({{"./", AE_IFLNK, outside.string()}, {"second", AE_IFREG, "2\n"}}));
  EXPECT_EQ(r.start, msg::Error::no_err);
  EXPECT_TRUE(is_real_dir(exp));
  EXPECT_TRUE(fs::exists(exp / "second"));
  EXPECT_FALSE(fs::exists(outside / "second"));
  r = restore_stream(*c, (exp / "later").string(), make_tar({{"third", AE_IFREG, "3\n"}}));
  EXPECT_EQ(r.reason, msg::DataHaltReason::successful);
  EXPECT_TRUE(fs::exists(exp / "later" / "third"));
  EXPECT_EQ(tree_state(outside), before);
}

}  // namespace
}  // namespace ndmp::security

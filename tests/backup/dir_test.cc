// backup/dir.h: how a name below an open directory is opened, and how a
// DMA's absolute path is turned into a name below an export.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/dir.h"
#include "tree.h"

namespace ndmp::backup::test {
namespace {

class Beneath : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(tmp.sub("base").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(tmp.sub("base/a").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(tmp.sub("outside").c_str(), 0755), 0);
    ASSERT_EQ(symlink(tmp.sub("outside").c_str(), tmp.sub("base/link").c_str()), 0);
    ASSERT_EQ(symlink("a", tmp.sub("base/rel-link").c_str()), 0);
    write_file(tmp.sub("base/file"), "x");
    ASSERT_TRUE(open_dir(tmp.sub("base"), base));
  }
  TempDir tmp{"beneath"};
  Dir base;
};

TEST_F(Beneath, OpensDirectoriesBelowAndTheBaseItself) {
  Dir d;
  ASSERT_TRUE(open_beneath(base, "a", false, d));
  struct stat st{};
  ASSERT_EQ(stat(tmp.sub("base/a").c_str(), &st), 0);
  EXPECT_EQ(d.ino, st.st_ino);
  EXPECT_EQ(d.name, tmp.sub("base/a"));
  ASSERT_TRUE(open_beneath(base, "", false, d));
  EXPECT_EQ(d.ino, base.ino);
  EXPECT_NE(d.get(), base.get()) << "a description of its own";
  ASSERT_TRUE(open_beneath(base, "./a//", false, d));
  EXPECT_EQ(d.ino, st.st_ino);
}

TEST_F(Beneath, RefusesSymlinksDotDotAbsoluteAndFiles) {
  Dir d;
  for (const char* bad : {"link", "link/x", "rel-link", "a/../../outside", "..", "/etc", "file"})
    EXPECT_EQ(open_beneath(base, bad, true, d).code(), Status::Code::invalid_argument) << bad;
  struct stat st{};
  EXPECT_NE(stat(tmp.sub("outside/x").c_str(), &st), 0) << "nothing made through the symlink";
}

TEST_F(Beneath, CreatesMissingComponentsWhenAsked) {
  Dir d;
  EXPECT_FALSE(open_beneath(base, "new/deeper", false, d));
  ASSERT_TRUE(open_beneath(base, "new/deeper", true, d));
  struct stat st{};
  ASSERT_EQ(stat(tmp.sub("base/new/deeper").c_str(), &st), 0);
  EXPECT_EQ(d.ino, st.st_ino);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST(RelativeTo, AbsolutePathsBelowTheBaseOnly) {
  std::string rel;
  EXPECT_TRUE(relative_to("/srv/data", "/srv/data", rel));
  EXPECT_EQ(rel, "");
  EXPECT_TRUE(relative_to("/srv/data", "/srv//data/./a/b/", rel));
  EXPECT_EQ(rel, "a/b");
  EXPECT_FALSE(relative_to("/srv/data", "/srv/database", rel));
  EXPECT_FALSE(relative_to("/srv/data", "/srv/data/../etc", rel));
  EXPECT_FALSE(relative_to("/srv/data", "/etc", rel));
  EXPECT_TRUE(relative_to("/", "/etc", rel));
  EXPECT_EQ(rel, "etc");
}

TEST(Printable, ControlCharactersAndBackslashAreEscaped) {
  EXPECT_EQ(printable("a\nb\x1b[2J\\c\x7f"), "a\\x0ab\\x1b[2J\\x5cc\\x7f");
  EXPECT_EQ(printable("ünï"), "ünï") << "UTF-8 is text, not control characters";
}

}  // namespace
}  // namespace ndmp::backup::test

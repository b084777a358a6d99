// Hostile tape content against the real server: symlinks and hard links
// meant to reach outside the destination, whether they come in the archive
// or are already on disk. Each is refused, nothing outside changes, and the
// refusal names the entry in the log and in a LOG message to the DMA with
// control characters escaped (an entry name must not forge a log line).
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/security/restore_util.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace fs = std::filesystem;

class RestoreEscape : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(c);
    fs::create_directories(outside);
    std::ofstream(outside / "keep") << "outside\n";
    fs::create_directories(dst);
    before = tree_state(outside);
  }
  void expect_outside_unchanged() { EXPECT_EQ(tree_state(outside), before); }
  RestoreResult restore(const std::vector<TarEntry>& entries) {
    return restore_stream(*c, dst.string(), make_tar(entries));
  }
  test::TestServer server;
  std::unique_ptr<client::Client> c = server.login(4);
  fs::path exp = server.dir() / "export";
  fs::path dst = exp / "dst";
  fs::path outside = server.dir() / "outside";
  std::map<std::string, std::string> before;
};

TEST_F(RestoreEscape, ThroughASymlinkFromTheArchive) {
  LogCapture log;
  auto r = restore({{"esc", AE_IFLNK, outside.string()},
                    {"esc/new\nfake: authenticated", AE_IFREG, "pwned\n"},
                    {"esc/keep", AE_IFREG, "pwned\n"},
                    {"rel", AE_IFLNK, "../../outside"},
                    {"rel/new2", AE_IFREG, "pwned\n"},
                    {"fine", AE_IFREG, "ok\n"}});
  EXPECT_EQ(r.reason, msg::DataHaltReason::successful);
  expect_outside_unchanged();
  EXPECT_TRUE(fs::is_symlink(dst / "esc")) << "the symlink itself is harmless and restored";
  EXPECT_TRUE(fs::exists(dst / "fine"));
  EXPECT_TRUE(r.mentions("/esc/new\\x0afake: authenticated refused")) << ::testing::PrintToString(r.messages);
  EXPECT_TRUE(r.mentions("/rel/new2 refused"));
  EXPECT_TRUE(log.contains("/esc/new\\x0afake: authenticated refused")) << log.text();
  EXPECT_FALSE(log.contains("\nfake: authenticated")) << "a raw newline from the tape reached the log";
}

// Also: a refused entry the DMA asked for by name fails its LOG_FILE.
TEST_F(RestoreEscape, ThroughASymlinkAlreadyOnDisk) {
  fs::create_directory_symlink(outside, dst / "planted");
  auto r = restore({{"planted/keep", AE_IFREG, "pwned\n"}, {"planted/new\x07\r", AE_IFREG, "pwned\n"}});
  EXPECT_EQ(r.reason, msg::DataHaltReason::successful);
  expect_outside_unchanged();
  EXPECT_TRUE(r.mentions("/planted/keep refused")) << ::testing::PrintToString(r.messages);
  EXPECT_TRUE(r.mentions("/planted/new\\x07\\x0d refused"));
  r = restore_stream(*c, dst.string(), make_tar({{"planted/keep", AE_IFREG, "pwned\n"}}), {"/planted/keep"});
  expect_outside_unchanged();
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(r.files[0].name, "/planted/keep");
  EXPECT_FALSE(r.files[0].ok);
}

// From the archive (absolute, "..", through an archived symlink) and on
// disk (a hard link to outside already at an entry's name: replaced, never
// written through).
TEST_F(RestoreEscape, HardLinksToOutside) {
  // Outside must end as it began (link count 1 again: "shared" replaced).
  ASSERT_EQ(::link((outside / "keep").c_str(), (dst / "shared").c_str()), 0);
  auto r = restore({{"h1", AE_IFREG, "", (outside / "keep").string()},
                    {"h2", AE_IFREG, "", "../../outside/keep"},
                    {"esc", AE_IFLNK, outside.string()},
                    {"h3", AE_IFREG, "", "esc/keep"},
                    {"h4\x1b[2J", AE_IFREG, "", "esc/keep"},
                    {"shared", AE_IFREG, "new content\n"}});
  EXPECT_EQ(r.reason, msg::DataHaltReason::successful);
  expect_outside_unchanged();
  struct stat st{};
  ASSERT_EQ(::stat((outside / "keep").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u) << "an outside file is still linked into the destination";
  std::ifstream got(dst / "shared");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(got), {}), "new content\n");
  EXPECT_TRUE(r.mentions("/h3 refused")) << ::testing::PrintToString(r.messages);
  EXPECT_TRUE(r.mentions("/h4\\x1b[2J refused"));
}

}  // namespace
}  // namespace ndmp::security

// Files ndmpd keeps for itself (issue 15, item 10): emulated tapes carry
// copies of the exports and the library state is the operator's, so both are
// owner-only (0600 files in 0700 folders), also for a library an older ndmpd
// created more open; and the Cloud Manager journal's rewrite never writes
// through a symlink planted at its temporary name.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "cloudmanager/journal.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

fs::path library_of(const test::TestServer& s) { return s.dir() / "library"; }

void expect_private(const fs::path& lib) {
  EXPECT_EQ(mode_of(lib), 0700u) << lib;
  EXPECT_EQ(mode_of(lib / "media"), 0700u) << lib / "media";
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(lib)) {
    if (!e.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(mode_of(e.path()), 0600u) << e.path();
  }
  EXPECT_GT(files, 8u) << "tape images and state were found";
}

TEST(FileModes, NewLibraryIsOwnerOnly) {
  const mode_t old = ::umask(022);
  {
    test::TestServer server{with_library};
    expect_private(library_of(server));
    // Moving a tape rewrites the state file: still 0600.
    auto c = server.login(4);
    msg::ScsiOpenRequest so;
    so.device = "emu-changer";
    ASSERT_EQ(c->call(msg::code::SCSI_OPEN, so).error(), msg::Error::no_err);
    msg::ExecuteCdbRequest mv;
    mv.cdb = {0xA5, 0, 0, 1, 0x03, 0xE8, 0x01, 0xF4, 0, 0, 0, 0};
    ASSERT_EQ(c->call(msg::code::SCSI_EXECUTE_CDB, mv).as<msg::ExecuteCdbReply>().status, 0);
    expect_private(library_of(server));
  }
  ::umask(old);
}

// A library left 0755/0644 by an older ndmpd is tightened when opened.
TEST(FileModes, OpenLibraryIsTightened) {
  test::TempDir dir;
  const fs::path lib = dir.path() / "library";
  auto tune = [&](server::Config& c) {
    with_library(c);
    c.library_dir = lib.string();
  };
  { test::TestServer first{tune}; }
  for (const auto& e : fs::recursive_directory_iterator(lib))
    fs::permissions(e.path(), e.is_directory() ? fs::perms(0755) : fs::perms(0644), fs::perm_options::replace);
  fs::permissions(lib, fs::perms(0755), fs::perm_options::replace);
  test::TestServer second{tune};
  auto c = second.login(4);  // opening a drive opens its tape image
  expect_private(lib);
}

// journal.tmp planted as a symlink to a file of someone else's: the rewrite
// neither writes through it nor turns the journal into that symlink.
TEST(FileModes, JournalRewriteDoesNotFollowASymlink) {
  test::TempDir dir;
  const fs::path journal = dir.path() / "cloudmanager.journal";
  const fs::path victim = dir.path() / "victim";
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, journal.string() + ".tmp");
  std::unique_ptr<cm::Journal> j;
  cm::Status s = cm::Journal::open(journal.string(), 1 << 20, j);
  ASSERT_TRUE(s.ok()) << s.text();
  std::ifstream in(victim);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "precious") << "written through the symlink";
  EXPECT_FALSE(fs::is_symlink(journal)) << "the journal became the planted symlink";
  EXPECT_TRUE(fs::is_regular_file(journal));
  EXPECT_EQ(mode_of(journal), 0600u);
}

}  // namespace
}  // namespace ndmp::security

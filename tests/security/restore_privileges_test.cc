// Issue 15 item 8: a restore from tape created world-writable device nodes,
// set-uid-root files, trusted.* attributes and immutable files. By default
// now: device nodes refused, set-id bits cleared, only user.* xattrs and
// ACLs restored, no file flags; each named in the log and to the DMA.
// `restore-privileges` turns each back on for a whole-system restore.
// trusted.* and flags need root: without it those parts are skipped.
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backup/restore_privileges.h"
#include "tests/security/restore_util.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace fs = std::filesystem;

std::vector<TarEntry> privileged_entries() {
  return {{"chr", AE_IFCHR, "", "", 0666, makedev(1, 1)},
          {"blk", AE_IFBLK, "", "", 0666, makedev(8, 0)},
          {"suid", AE_IFREG, "#!/bin/sh\n", "", 04755},
          {"sgid", AE_IFREG, "#!/bin/sh\n", "", 02755},
          {"attrs", AE_IFREG, "x\n", "", 0644, 0, {{"user.note", "kept"}, {"trusted.evil", "t"}}},
          {"frozen", AE_IFREG, "x\n", "", 0644, 0, {}, "sappnd,schg"},
          {"fifo", AE_IFIFO, ""}};
}

std::string xattr(const fs::path& p, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
}

int flags_of(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  int f = 0;
  if (fd >= 0) ::ioctl(fd, FS_IOC_GETFLAGS, &f), ::close(fd);
  return f;
}

// So the temporary directory can be removed.
void unfreeze(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  int f = 0;
  if (fd >= 0 && ::ioctl(fd, FS_IOC_GETFLAGS, &f) == 0) {
    f &= ~(FS_IMMUTABLE_FL | FS_APPEND_FL);
    ::ioctl(fd, FS_IOC_SETFLAGS, &f);
  }
  if (fd >= 0) ::close(fd);
}

TEST(RestorePrivileges, RefusedByDefaultAndNamed) {
  test::TestServer server;
  auto c = server.login(4);
  ASSERT_TRUE(c);
  const fs::path dst = server.dir() / "export" / "dst";
  LogCapture log;
  auto r = restore_stream(*c, dst.string(), make_tar(privileged_entries()));
  unfreeze(dst / "frozen");
  EXPECT_EQ(r.reason, msg::DataHaltReason::successful);
  EXPECT_FALSE(fs::exists(fs::symlink_status(dst / "chr")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dst / "blk")));
  EXPECT_TRUE(r.mentions("/chr refused: character device 1,1")) << ::testing::PrintToString(r.messages);
  EXPECT_TRUE(r.mentions("/blk refused: block device 8,0"));
  EXPECT_TRUE(log.contains("/chr refused"));
  struct stat st{};
  ASSERT_EQ(::stat((dst / "suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((dst / "sgid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_TRUE(r.mentions("/suid: set-uid/set-gid bits cleared"));
  EXPECT_EQ(xattr(dst / "attrs", "user.note"), "kept");
  EXPECT_EQ(xattr(dst / "attrs", "trusted.evil"), "<none>");
  EXPECT_TRUE(r.mentions("/attrs: extended attribute trusted.evil not restored"));
  EXPECT_EQ(flags_of(dst / "frozen") & (FS_IMMUTABLE_FL | FS_APPEND_FL), 0);
  EXPECT_TRUE(r.mentions("/frozen: file flags"));
  EXPECT_TRUE(fs::is_fifo(dst / "fifo")) << "FIFOs need no privilege";
}

TEST(RestorePrivileges, RestoredWhenConfigured) {
  if (::geteuid() != 0) GTEST_SKIP() << "device nodes, trusted.* and immutable need root";
  test::TestServer server([](server::Config& cfg) {
    std::string why;
    ASSERT_TRUE(backup::parse_restore_privileges("devices, setid, trusted-xattrs, security-xattrs, flags",
                                                 cfg.restore_privileges, why))
        << why;
  });
  auto c = server.login(4);
  ASSERT_TRUE(c);
  const fs::path dst = server.dir() / "export" / "dst";
  auto r = restore_stream(*c, dst.string(), make_tar(privileged_entries()));
  const int frozen = flags_of(dst / "frozen");
  unfreeze(dst / "frozen");
  EXPECT_EQ(r.reason, msg::DataHaltReason::successful);
  struct stat st{};
  ASSERT_EQ(::lstat((dst / "chr").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 1));
  ASSERT_EQ(::lstat((dst / "blk").c_str(), &st), 0);
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  ASSERT_EQ(::stat((dst / "suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  ASSERT_EQ(::stat((dst / "sgid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 02755u);
  EXPECT_EQ(xattr(dst / "attrs", "trusted.evil"), "t");
  EXPECT_EQ(frozen & (FS_IMMUTABLE_FL | FS_APPEND_FL), FS_IMMUTABLE_FL | FS_APPEND_FL);
}

TEST(RestorePrivileges, BadWordIsRefusedByName) {
  backup::RestorePrivileges p;
  std::string why;
  EXPECT_FALSE(backup::parse_restore_privileges("devices, setuid", p, why));
  EXPECT_NE(why.find("'setuid'"), std::string::npos) << why;
  EXPECT_TRUE(backup::parse_restore_privileges("none", p, why));
  EXPECT_TRUE(backup::parse_restore_privileges("all", p, why));
  EXPECT_TRUE(p.devices && p.setid && p.trusted_xattrs && p.security_xattrs && p.flags);
}

}  // namespace
}  // namespace ndmp::security

// The library verbs against a server we did not write: Debian's ndmjob in
// daemon mode (../shared/ndmjob/NOTES.md beside the repository section 2). Its robot is a
// directory given as the SCSI device name (i/e 2@0, arm @16, drives 2@128,
// slots 10@1024, tapes PTAG00XX); it accepts only ndmp/ndmp; it binds
// 0.0.0.0 on the port we give; it needs the g_malloc(0) preload.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/test_server.h"
#include "tests/tools/ndmpctl_support.h"

extern char** environ;

namespace ndmp {
namespace {

constexpr const char* kNdmjob = "/usr/lib/amanda/ndmjob";

class NdmpctlNdmjob : public ::testing::Test {
 protected:
  test::TempDir tmp;
  std::string robot = (tmp.path() / "robot").string();
  std::string pwfile = (tmp.path() / "pw").string();
  uint16_t port = 0;
  pid_t pid = -1;
  int stdin_w = -1;

  void SetUp() override {
    if (::access(kNdmjob, X_OK) != 0)
      GTEST_SKIP() << "SKIPPED: " << kNdmjob << " is not installed (apt-get install amanda-common)";
    if (::access(NDMJOB_CONF, R_OK) != 0)
      GTEST_SKIP() << "SKIPPED: ndmjob's own server needs " << NDMJOB_CONF
                   << ", which is not there (set -DNDMP_SHARED_DIR to the folder holding ndmjob/ndmjob.conf)";
    std::filesystem::create_directories(robot);
    std::ofstream(pwfile) << "ndmp\n";
    port = test::free_loopback_port();
    // test-daemon prints READY once listening and exits when stdin closes.
    int in[2], out[2];
    ASSERT_EQ(::pipe(in), 0);
    ASSERT_EQ(::pipe(out), 0);
    std::vector<std::string> args = {kNdmjob, "-o", "test-daemon", "-p", std::to_string(port), "-o",
                                     std::string("config-file=") + NDMJOB_CONF};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s = {std::string("LD_PRELOAD=") + NDMJOB_SHIM, "PATH=/usr/bin:/bin"};
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addchdir_np(&fa, robot.c_str());
    ASSERT_EQ(posix_spawn(&pid, kNdmjob, &fa, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    stdin_w = in[1];
    std::string seen;
    char c;
    while (seen.find("READY") == std::string::npos && ::read(out[0], &c, 1) == 1) seen += c;
    ::close(out[0]);
    ASSERT_NE(seen.find("READY"), std::string::npos) << "ndmjob daemon did not start: " << seen;
  }
  void TearDown() override {
    if (stdin_w >= 0) ::close(stdin_w);
    if (pid > 0) {
      // Its per-connection children are never reaped by it; the daemon ends
      // on stdin EOF, the children when their connection closes.
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
  test::CtlRun run(std::vector<std::string> args, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"--server", "127.0.0.1:" + std::to_string(port), "--password-file", pwfile,
                                  "--changer", robot, "--drives", robot + "/drive0," + robot + "/drive1"};
    a.insert(a.end(), extra.begin(), extra.end());
    a.insert(a.end(), args.begin(), args.end());
    return test::ctl(a);
  }
};

TEST_F(NdmpctlNdmjob, StatusShowsTheFakeRobot) {
  auto s = run({"status"});
  ASSERT_EQ(s.rc, 0) << s.err;
  EXPECT_NE(s.out.find("Storage Changer " + robot + ":2 Drives, 12 Slots ( 2 Import/Export )"), std::string::npos)
      << s.out;
  EXPECT_NE(s.out.find("Data Transfer Element 0:Empty"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("      Storage Element 1:Full :VolumeTag="), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("Storage Element 11 IMPORT/EXPORT:Empty"), std::string::npos) << s.out;
}

TEST_F(NdmpctlNdmjob, StatusAtEveryVersionAndTextAuth) {
  for (const char* v : {"2", "3", "4"}) {
    auto s = run({"status", "--json"}, {"--ndmp-version", v, "--auth", "text"});
    EXPECT_EQ(s.rc, 0) << "v" << v << ": " << s.err;
    EXPECT_NE(s.out.find("{\"drive\":0,\"address\":128,\"full\":false"), std::string::npos) << s.out;
  }
}

TEST_F(NdmpctlNdmjob, LoadUnloadTransferImportExportMoveTheTapes) {
  auto l = run({"load", "1", "0"});
  ASSERT_EQ(l.rc, 0) << l.err;
  auto s = run({"status", "--json"});
  EXPECT_NE(s.out.find("{\"drive\":0,\"address\":128,\"full\":true"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("{\"slot\":1,\"address\":1024,\"import_export\":false,\"full\":false"), std::string::npos)
      << s.out;
  auto full = run({"unload", "3", "0"});
  EXPECT_EQ(full.rc, 4) << "slot 3 is full";
  auto u = run({"unload", "--drive", "0"});  // one argument would be the SLOT, as in mtx
  ASSERT_EQ(u.rc, 0) << u.err;
  s = run({"status", "--json"});
  EXPECT_NE(s.out.find("{\"drive\":0,\"address\":128,\"full\":false"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("{\"slot\":1,\"address\":1024,\"import_export\":false,\"full\":true"), std::string::npos)
      << s.out;
  auto ex = run({"export", "2"});
  if (ex.rc != 0) ADD_FAILURE() << run({"status"}).out;
  ASSERT_EQ(ex.rc, 0) << ex.err;
  s = run({"status", "--json"});
  EXPECT_NE(s.out.find("{\"slot\":11,\"address\":0,\"import_export\":true,\"full\":true"), std::string::npos)
      << s.out;
  ASSERT_EQ(run({"import", "2"}).rc, 0);
  ASSERT_EQ(run({"transfer", "2", "@1"}).rc, 0);
  s = run({"status", "--json"});
  EXPECT_NE(s.out.find("{\"slot\":2,\"address\":1025,\"import_export\":false,\"full\":false"), std::string::npos)
      << s.out;
  EXPECT_NE(s.out.find("{\"slot\":12,\"address\":1,\"import_export\":true,\"full\":true"), std::string::npos)
      << s.out;
}

TEST_F(NdmpctlNdmjob, WrongPasswordIsAConnectionError) {
  std::ofstream(pwfile) << "nope\n";
  auto s = run({"status"});
  EXPECT_EQ(s.rc, 3);
  EXPECT_NE(s.err.find("authentication failed: NDMP_NOT_AUTHORIZED_ERR"), std::string::npos) << s.err;
}

}  // namespace
}  // namespace ndmp

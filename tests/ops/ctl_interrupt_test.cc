// Ctrl-C of ndmpctl in a terminal in the middle of a backup (issue 20): the
// real ndmpctl binary runs on a pty, the in-process ndmpd holds the drive's
// 81st write (tests/faults/fault_rig.h) so the job is provably running when
// ^C is typed. What must hold afterwards: ndmpctl exits 130 and says the job
// was aborted and the tape put back; the server saw the job end ABORTED; the
// drive is free (the tape is back in slot 1, the drive takes a tape and
// opens); nothing of the job is left running.
#include <gtest/gtest.h>

#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <mutex>

#include "ops/job_observer.h"
#include "tests/faults/fault_rig.h"

namespace ndmp {
namespace {

struct Child {
  pid_t pid = -1;
  int master = -1;
  std::string output;
  // Reads what the child wrote until it closes the terminal (its exit).
  void read_all() {
    char buf[4096];
    for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) output.append(buf, static_cast<size_t>(n));
  }
};

Child spawn_on_pty(const std::vector<std::string>& args) {
  Child c;
  c.pid = ::forkpty(&c.master, nullptr, nullptr, nullptr);
  if (c.pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return c;
}

TEST(NdmpctlInterrupt, CtrlCMidBackupAbortsTheJobPutsTheTapeBackAndExits130) {
  std::mutex mu;
  std::condition_variable cv;
  ops::JobObserver observer([&] {
    std::lock_guard lock(mu);
    cv.notify_all();
  });
  faults::Rig rig({1, 4, 64}, {}, [&](server::Server& s) { s.observe_jobs(observer); });
  const auto src = rig.export_dir() / "src";
  faults::make_tree(src, 48, 250'000);  // 12 MB: far from done at the 81st record
  test::TempDir tmp;
  const auto pw = tmp.path() / "pw";
  std::ofstream(pw) << test::kPassword << "\n";
  const auto before = faults::library_view(faults::element_status(rig.server()));
  ASSERT_EQ(before.drives.at(0), "") << "the drive starts empty";

  rig.drive().hold_writes_after(80);
  Child ctl = spawn_on_pty({NDMPCTL_BINARY, "--server", "127.0.0.1:" + std::to_string(rig.server().port()),
                            "--password-file", pw.string(), "backup", src.string(), "--drive", "0", "--slot", "1",
                            "--catalog", (tmp.path() / "job.json").string()});
  ASSERT_GT(ctl.pid, 0);
  ASSERT_TRUE(rig.drive().wait_held()) << "the backup reached its 81st record";

  // ^C on the terminal: the line discipline sends SIGINT to ndmpctl.
  ASSERT_EQ(::write(ctl.master, "\x03", 1), 1);
  {
    // ndmpctl aborts the job: DATA halts at once (the mover is still held).
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, faults::kWait, [&] {
      for (const auto& [key, n] : observer.snapshot().finished)
        if (key.second == "ABORTED") return true;
      return false;
    })) << "the server's job was not aborted";
  }
  rig.drive().release();  // the held write returns into an aborted mover
  ctl.read_all();
  int status = 0;
  ASSERT_EQ(::waitpid(ctl.pid, &status, 0), ctl.pid);
  ::close(ctl.master);
  ASSERT_TRUE(WIFEXITED(status)) << ctl.output;
  EXPECT_EQ(WEXITSTATUS(status), 130) << "the exit status says interrupted\n" << ctl.output;
  EXPECT_NE(ctl.output.find("interrupted: the server's job was aborted and its data and mover are idle again; "
                            "the tape was put back"),
            std::string::npos)
      << ctl.output;

  const auto totals = observer.snapshot();
  EXPECT_TRUE(totals.running.empty()) << "no job left running on the server";
  const auto after = faults::library_view(faults::element_status(rig.server()));
  EXPECT_EQ(after.drives.at(0), "") << "the tape left the drive";
  EXPECT_EQ(after.slots, before.slots) << "the tape is back in its slot";
  // The drive is free: a new session loads a tape and opens it.
  auto c = rig.login();
  ASSERT_TRUE(c);
  faults::load_tape(*c, 1);
  EXPECT_EQ(faults::open_tape(*c, msg::TapeOpenMode::read), msg::Error::no_err);
}

}  // namespace
}  // namespace ndmp

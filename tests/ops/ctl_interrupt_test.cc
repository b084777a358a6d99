// Ctrl-C of ndmpctl in a terminal in the middle of a backup (issue 20): the
// real ndmpctl binary runs on a pty, the in-process ndmpd holds the drive's
// 81st write (tests/faults/fault_rig.h) so the job is provably running when
// ^C is typed. What must hold afterwards: ndmpctl exits 130 and says the job
// was aborted and the tape put back; the server saw the job end ABORTED; the
// drive is free (the tape is back in slot 1, the drive takes a tape and
// opens); nothing of the job is left running. The same for a restore held
// at a read; and a second ^C leaves at once, saying what may be left.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cerrno>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "devices/scsi_cdb.h"
#include "ops/job_observer.h"
#include "tests/faults/fault_rig.h"

namespace ndmp {
namespace {

struct Child {
  pid_t pid = -1;
  int master = -1;  // the terminal: ^C is typed here
  int out = -1;     // the read end of the pipe that holds ndmpctl's stdout and stderr
  std::thread reader;
  std::shared_ptr<std::string> written = std::make_shared<std::string>();  // the reader's, until joined
  std::string output;
  // Waits for everything the child wrote: a pipe's end of file comes only
  // after every byte is readable, which a pty's hangup does not promise (the
  // tail of the last message was once lost that way).
  void read_all() {
    if (reader.joinable()) reader.join();
    ::close(out);
    output = *written;
  }
};

// ndmpctl on a terminal of its own (forkpty: the pty is its controlling
// terminal, so a ^C typed on it is SIGINT from the line discipline), with its
// output on a pipe. Everything the child runs after the fork is prepared
// before it: the test process has threads.
Child spawn_on_pty(const std::vector<std::string>& args) {
  Child c;
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return c;
  c.pid = ::forkpty(&c.master, nullptr, nullptr, nullptr);
  if (c.pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  c.out = pipefd[0];
  c.reader = std::thread([fd = c.out, text = c.written] {
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      text->append(buf, static_cast<size_t>(n));
    }
  });
  return c;
}

// ndmpd in process (the fault rig: drive writes and reads can be held), a
// job observer to see the server's side, and ndmpctl's password file.
class NdmpctlInterrupt : public ::testing::Test {
 protected:
  std::mutex mu;
  std::condition_variable cv;
  ops::JobObserver observer{[this] {
    std::lock_guard lock(mu);
    cv.notify_all();
  }};
  faults::Rig rig{{1, 4, 64}, {}, [this](server::Server& s) { s.observe_jobs(observer); }};
  faults::fs::path src = rig.export_dir() / "src";
  test::TempDir tmp;
  faults::fs::path catalog = tmp.path() / "job.json";

  void SetUp() override {
    faults::make_tree(src, 48, 250'000);  // 12 MB: far from done at the 81st record
    std::ofstream(tmp.path() / "pw") << test::kPassword << "\n";
  }
  Child ndmpctl(std::vector<std::string> args) {
    std::vector<std::string> all{NDMPCTL_BINARY, "--server", "127.0.0.1:" + std::to_string(rig.server().port()),
                                 "--password-file", (tmp.path() / "pw").string()};
    all.insert(all.end(), args.begin(), args.end());
    return spawn_on_pty(all);
  }
  Child backup() {
    return ndmpctl({"backup", src.string(), "--drive", "0", "--slot", "1", "--catalog", catalog.string()});
  }
  // True once the server has ended a job of `kind` ABORTED.
  bool wait_aborted(const std::string& kind) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, faults::kWait, [&] {
      for (const auto& [key, n] : observer.snapshot().finished)
        if (key.first == kind && key.second == "ABORTED") return true;
      return false;
    });
  }
  // Reads ndmpctl's terminal to the end and returns its exit status (-1: not an exit).
  static int finish(Child& ctl) {
    ctl.read_all();
    int status = 0;
    EXPECT_EQ(::waitpid(ctl.pid, &status, 0), ctl.pid);
    ::close(ctl.master);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // ^C on the terminal (the line discipline sends SIGINT to ndmpctl) while
  // the drive holds the job: ndmpctl aborts it (DATA halts at once, the mover
  // once the held command returns), exits 130 saying so, and leaves nothing:
  // no job running, the tape back in its slot, the drive free.
  void interrupt_and_expect_a_clean_end(Child& ctl, const std::string& kind, const faults::LibraryView& before) {
    ASSERT_EQ(::write(ctl.master, "\x03", 1), 1);
    ASSERT_TRUE(wait_aborted(kind)) << "the server's " << kind << " was not aborted";
    rig.drive().release();  // the held command returns into an aborted mover
    EXPECT_EQ(finish(ctl), 130) << "the exit status says interrupted\n" << ctl.output;
    EXPECT_NE(ctl.output.find("interrupted: the server's job was aborted and its data and mover are idle again; "
                              "the tape was put back"),
              std::string::npos)
        << ctl.output;
    EXPECT_TRUE(observer.snapshot().running.empty()) << "no job left running on the server";
    const auto after = faults::library_view(faults::element_status(rig.server()));
    EXPECT_EQ(after.drives.at(0), "") << "the tape left the drive";
    EXPECT_EQ(after.slots, before.slots) << "the tape is back in its slot";
    expect_drive_free();
  }
  // The drive takes a tape and a new session's TAPE_OPEN.
  void expect_drive_free() {
    auto c = rig.login();
    ASSERT_TRUE(c);
    faults::load_tape(*c, 1);
    EXPECT_EQ(faults::open_tape(*c, msg::TapeOpenMode::read), msg::Error::no_err);
  }
};

TEST_F(NdmpctlInterrupt, CtrlCMidBackupAbortsTheJobPutsTheTapeBackAndExits130) {
  const auto before = faults::library_view(faults::element_status(rig.server()));
  ASSERT_EQ(before.drives.at(0), "") << "the drive starts empty";

  rig.drive().hold_writes_after(80);
  Child ctl = backup();
  ASSERT_GT(ctl.pid, 0);
  ASSERT_TRUE(rig.drive().wait_held()) << "the backup reached its 81st record";

  interrupt_and_expect_a_clean_end(ctl, "backup", before);
}

// The issue asks the same of a restore: aborted on the server, the tape back.
TEST_F(NdmpctlInterrupt, CtrlCMidRestoreAbortsTheJobPutsTheTapeBackAndExits130) {
  Child b = backup();
  ASSERT_GT(b.pid, 0);
  ASSERT_EQ(finish(b), 0) << b.output;
  const auto before = faults::library_view(faults::element_status(rig.server()));
  ASSERT_EQ(before.drives.at(0), "") << "the backup put its tape back";

  rig.drive().hold_after(dev::op::read6, 40);
  Child ctl = ndmpctl({"restore", "--drive", "0", "--to", (rig.export_dir() / "back").string(), "--catalog",
                       catalog.string()});
  ASSERT_GT(ctl.pid, 0);
  ASSERT_TRUE(rig.drive().wait_held()) << "the restore reached its 41st read";
  interrupt_and_expect_a_clean_end(ctl, "restore", before);
}

// A second ^C while ndmpctl waits for the halts leaves at once (the mover is
// still held, so the halt it waits for cannot come) and says what may be left.
TEST_F(NdmpctlInterrupt, ASecondCtrlCLeavesAtOnceAndSaysWhatMayBeLeft) {
  rig.drive().hold_writes_after(80);
  Child ctl = backup();
  ASSERT_GT(ctl.pid, 0);
  ASSERT_TRUE(rig.drive().wait_held());
  ASSERT_EQ(::write(ctl.master, "\x03", 1), 1);
  ASSERT_TRUE(wait_aborted("backup"));
  // The mover is still held, so ndmpctl is still waiting for its halt.
  ASSERT_EQ(::write(ctl.master, "\x03", 1), 1);
  EXPECT_EQ(finish(ctl), 130) << ctl.output;
  EXPECT_NE(ctl.output.find("press Ctrl-C again to leave at once"), std::string::npos) << ctl.output;
  EXPECT_NE(ctl.output.find("leaving now: the server's job may still be running or halted but not stopped, and a "
                            "tape may still be in the drive"),
            std::string::npos)
      << ctl.output;

  EXPECT_TRUE(observer.snapshot().running.empty()) << "the job ended on the server";
  // What the server does when its DMA vanishes mid-job (the job ends, the
  // drive is released) is tests/faults' subject; here the drive is let go.
  rig.drive().release();
}

}  // namespace
}  // namespace ndmp

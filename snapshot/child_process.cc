#include "snapshot/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/escape.h"

namespace ndmp::snapshot {
namespace {

struct Pipe {
  int r = -1, w = -1;
  ~Pipe() { close_r(), close_w(); }
  void close_r() { if (r >= 0) ::close(r), r = -1; }
  void close_w() { if (w >= 0) ::close(w), w = -1; }
};

// The last non-empty line of `s`.
std::string last_line(const std::string& s) {
  size_t end = s.find_last_not_of("\n ");
  if (end == std::string::npos) return {};
  size_t start = s.rfind('\n', end);
  return s.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

}  // namespace

std::string ChildResult::failure_text() const {
  std::string what;
  if (!started) what = start_error;
  else if (timed_out) what = "did not finish before its deadline and was killed";
  else if (signal) what = fmt::format("killed by signal {}", signal);
  else what = fmt::format("exit status {}", exit_code);
  std::string line = last_line(err);
  if (line.empty()) line = last_line(out);
  return line.empty() ? what : what + ": " + log::escape(line);
}

std::string show_argv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + log::escape(a);
  return s;
}

ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
  ChildResult r;
  if (argv.empty()) return r.start_error = "no program given", r;
  Pipe out, err;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return r.start_error = strerror(errno), r;
  out.r = fds[0], out.w = fds[1];
  if (::pipe2(fds, O_CLOEXEC) != 0) return r.start_error = strerror(errno), r;
  err.r = fds[0], err.w = fds[1];

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out.w, 1);
  posix_spawn_file_actions_adddup2(&fa, err.w, 2);
  // lvm warns about (and some tools misuse) inherited descriptors.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A group of its own: the deadline kills whatever the script started too.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  // ndmpd ignores SIGPIPE; a script's pipelines must not inherit that.
  sigset_t all_default;
  sigfillset(&all_default);
  sigdelset(&all_default, SIGKILL);
  sigdelset(&all_default, SIGSTOP);
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char lc_env[] = "LC_ALL=C";
  char* envp[] = {path_env, lc_env, nullptr};
  pid_t pid = -1;
  // A bare tool name is looked up in the fixed PATH, not in ndmpd's own
  // environment (posix_spawnp would use that).
  std::string program = argv[0];
  if (program.find('/') == std::string::npos)
    for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"})
      if (::access((dir + argv[0]).c_str(), X_OK) == 0) {
        program = dir + argv[0];
        break;
      }
  int rc = ::posix_spawn(&pid, program.c_str(), &fa, &attr, args.data(), envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  out.close_w();
  err.close_w();
  if (rc != 0) return r.start_error = fmt::format("cannot run {}: {}", log::escape(argv[0]), strerror(rc)), r;
  r.started = true;

  // The child's exit is watched through a pidfd beside its outputs, so one
  // deadline covers a child that hangs after closing them too.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool exited = false;
  int status = 0;
  const auto end = std::chrono::steady_clock::now() + deadline;
  char buf[4096];
  while (!exited || out.r >= 0 || err.r >= 0) {
    if (!exited && pidfd < 0 && out.r < 0 && err.r < 0) break;  // no pidfd (old kernel): a blocking wait below
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);  // its group: whatever the script started too
      if (!exited) ::kill(pid, SIGKILL);
      break;
    }
    pollfd p[3] = {{out.r, POLLIN, 0}, {err.r, POLLIN, 0}, {exited ? -1 : pidfd, POLLIN, 0}};
    int n = ::poll(p, 3, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (n < 0 && errno != EINTR) break;
    if (!exited && pidfd >= 0 && (p[2].revents & POLLIN)) {
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      exited = true;
    }
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Pipe& pp = i == 0 ? out : err;
      std::string& keep = i == 0 ? r.out : r.err;
      ssize_t got = ::read(pp.r, buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        pp.close_r();
        continue;
      }
      keep.append(buf, std::min<size_t>(static_cast<size_t>(got), kMaxOutput - std::min(kMaxOutput, keep.size())));
    }
  }
  if (!exited) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status) && !r.timed_out) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace ndmp::snapshot

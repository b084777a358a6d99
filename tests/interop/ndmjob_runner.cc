#include "tests/interop/ndmjob_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <sstream>

namespace ndmp::test {

bool ndmjob_available() { return ::access(kNdmjob, X_OK) == 0; }

int NdmjobRun::passed_steps() const {
  static const std::regex re(R"re(Test ".* #[0-9]+ -- Passed )re");
  int n = 0;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, re)) ++n;
  return n;
}

std::vector<std::string> NdmjobRun::failed_steps() const {
  std::vector<std::string> out;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (line.find("-- Failed ") != std::string::npos || line.find("-- Almost ") != std::string::npos)
      out.push_back(line);
  return out;
}

NdmjobRun run_ndmjob(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  NdmjobRun r;
  r.command = kNdmjob;
  for (const auto& a : args) r.command += " " + a;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return r;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::setenv("LD_PRELOAD", NDMJOB_SHIM_PATH, 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kNdmjob));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(kNdmjob, argv.data());
    _exit(127);
  }
  ::close(pipefd[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[8192];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n <= 0) break;
    r.output.append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace ndmp::test

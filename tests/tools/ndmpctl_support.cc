#include "tests/tools/ndmpctl_support.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "tools/ndmpctl/cli.h"

extern char** environ;

namespace ndmp::test {

CtlRun ctl(const std::vector<std::string>& args, const std::string& input) {
  std::ostringstream out, err;
  std::istringstream in(input);
  CtlRun r;
  r.rc = ctl::run(args, out, err, in);
  r.out = out.str();
  r.err = err.str();
  return r;
}

namespace {
std::string slurp(int fd) {
  std::string s;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) s.append(buf, static_cast<size_t>(n));
  return s;
}
}  // namespace

CtlRun ctl_binary(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  CtlRun r;
  int out[2], err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) return r;
  std::vector<std::string> argv_s = {NDMPCTL_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind("NDMP_PASSWORD=", 0) != 0) env_s.push_back(*e);
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);  // no terminal: no prompt
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  posix_spawn_file_actions_addclose(&fa, err[0]);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << NDMPCTL_BINARY;
    return r;
  }
  // stderr is small; read stdout to its end first, then stderr.
  r.out = slurp(out[0]);
  r.err = slurp(err[0]);
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Contents contents_of(dev::Transport& changer) {
  dev::MediaChanger mc(changer);
  auto all = mc.read_element_status(dev::ElementType::all);
  Contents c;
  if (!all.ok()) {
    ADD_FAILURE() << "READ ELEMENT STATUS: " << all.status().to_string();
    return c;
  }
  for (const auto& e : all.value())
    if (e.type != dev::ElementType::transport) c[e.address] = e.full ? (e.volume_tag.empty() ? "?" : e.volume_tag) : "";
  return c;
}

}  // namespace ndmp::test

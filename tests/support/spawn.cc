#include "tests/support/spawn.h"

#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace ndmp::test {

pid_t spawn(const SpawnRequest& request) {
  if (request.argv.empty()) {
    errno = EINVAL;
    return -1;
  }
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : request.env) replaced = replaced || k == name;
    if (!replaced) env_text.push_back(entry);
  }
  for (const auto& [k, v] : request.env) env_text.push_back(k + "=" + v);

  std::vector<char*> argv;
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (request.output_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, request.output_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, request.output_fd, 2);
  }
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return pid;
}

std::string describe_process(pid_t pid) {
  const std::filesystem::path proc = "/proc/" + std::to_string(pid);
  std::ostringstream out;
  std::error_code ec;
  out << "pid " << pid << ": program " << std::filesystem::read_symlink(proc / "exe", ec).string();
  if (ec) out << "(unreadable: " << ec.message() << ")";
  std::ifstream status(proc / "status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("State:", 0) == 0) out << ", " << line;
  std::ifstream wchan(proc / "wchan");
  std::string where;
  if (std::getline(wchan, where)) out << ", waiting in " << (where.empty() || where == "0" ? "(running)" : where);
  size_t sockets = 0;
  for (const auto& fd : std::filesystem::directory_iterator(proc / "fd", ec)) {
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (target.rfind("socket:", 0) == 0) ++sockets;
  }
  out << ", " << sockets << " socket(s) open";
  return out.str();
}

}  // namespace ndmp::test

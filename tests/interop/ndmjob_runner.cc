#include "tests/interop/ndmjob_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/spawn.h"

namespace ndmp::test {
namespace {

// Debian's libndmjob-3.5.1.so compares the bytes test-tape reads back in
// T-BWR ("label-type processing") as *signed* char against (i-4)&0xff, so
// every byte >= 0x80 mismatches and step T-BWR #23 fails whatever the server
// returns (x86 char is signed; upstream later declared the pointer unsigned).
// Amanda's build exits at the first failure, so T-WRITE, T-READ and T-MTIO
// would never run. We run ndmjob against a private copy of the library with
// that one load changed from sign- to zero-extension (movsbl -> movzbl, same
// length), and only if the bytes there are exactly the ones we expect.
constexpr const char* kLibNdmjob = "/usr/lib/x86_64-linux-gnu/amanda/libndmjob-3.5.1.so";
constexpr size_t kPatchOffset = 0x1a302;
constexpr unsigned char kBefore[5] = {0x43, 0x0f, 0xbe, 0x04, 0x3c};  // movsbl (%r12,%r15,1),%eax
constexpr unsigned char kAfter[5] = {0x43, 0x0f, 0xb6, 0x04, 0x3c};   // movzbl (%r12,%r15,1),%eax

// Returns the directory holding the fixed library, or "" (then the stock one is used).
std::string patched_library_dir() {
  static const std::string dir = [] {
    std::ifstream in(kLibNdmjob, std::ios::binary);
    if (!in) return std::string();
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < kPatchOffset + 5 || std::memcmp(bytes.data() + kPatchOffset, kBefore, 5) != 0) {
      std::fprintf(stderr, "NOTE: %s is not the build we know; running ndmjob unpatched "
                           "(test-tape T-BWR #23 may fail on ndmjob's signed-char compare)\n", kLibNdmjob);
      return std::string();
    }
    std::memcpy(bytes.data() + kPatchOffset, kAfter, 5);
    std::string d = (std::filesystem::temp_directory_path() / ("ndmjob-fixed-" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(d);
    std::ofstream out(d + "/libndmjob-3.5.1.so", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return out ? d : std::string();
  }();
  return dir;
}

}  // namespace

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
  const std::string libdir = patched_library_dir();
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return r;
  SpawnRequest req;
  req.argv.push_back(kNdmjob);
  req.argv.insert(req.argv.end(), args.begin(), args.end());
  req.env.emplace_back("LD_PRELOAD", NDMJOB_SHIM_PATH);
  if (!libdir.empty()) req.env.emplace_back("LD_LIBRARY_PATH", libdir);
  req.output_fd = pipefd[1];
  const pid_t pid = spawn(req);
  if (pid < 0) {
    r.output = "cannot start " + r.command + ": " + std::strerror(errno);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return r;
  }
  ::close(pipefd[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[8192];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      r.output += "\n[test runner] ndmjob did not end within " + std::to_string(timeout.count()) +
                  " s and is killed; " + describe_process(pid) + "\n";
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

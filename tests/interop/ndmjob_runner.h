// Runs Debian's ndmjob (amanda-common) as the DMA against our server and
// collects what it prints. ndmjob's exit status says nothing about success
// (../shared/ndmjob/NOTES.md section 1), so tests judge by its output.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ndmp::test {

inline constexpr const char* kNdmjob = "/usr/lib/amanda/ndmjob";

struct NdmjobRun {
  int exit_code = -1;
  bool timed_out = false;
  std::string output;  // stdout and stderr, interleaved
  std::string command;

  bool has(const std::string& text) const { return output.find(text) != std::string::npos; }
  // Lines of the form `Test "X #N -- Passed ..."` and the Failed/Almost ones.
  int passed_steps() const;
  std::vector<std::string> failed_steps() const;
};

// Runs ndmjob with `args`, LD_PRELOADing the g_malloc(0) fix, with a deadline.
NdmjobRun run_ndmjob(const std::vector<std::string>& args,
                     std::chrono::seconds timeout = std::chrono::seconds(120));

// True if ndmjob is installed; tests skip loudly otherwise.
bool ndmjob_available();

}  // namespace ndmp::test

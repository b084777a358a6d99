// Replays every committed fuzz input through its harness in the normal build:
// the seed corpora (fuzz/corpus/<target>/) and the inputs that once crashed
// (fuzz/regressions/<target>/). A harness aborts on a broken invariant, so a
// regression kills this test with the harness's message.
//
// A regression input whose fix is not in yet is listed in
// fuzz/regressions/KNOWN_OPEN (one "<target>/<file> <reason>" per line) and
// skipped loudly with that reason, never silently.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "fuzz/harness/targets.h"

namespace ndmp::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::map<std::string, std::string> known_open() {
  std::map<std::string, std::string> out;
  std::ifstream f(fs::path(NDMP_FUZZ_DIR) / "regressions" / "KNOWN_OPEN");
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find(' ');
    out[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
  }
  return out;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

class Replay : public ::testing::TestWithParam<Target> {};

TEST_P(Replay, EverySeedRunsCleanly) {
  const Target t = GetParam();
  const auto files = files_in(fs::path(NDMP_FUZZ_DIR) / "corpus" / t.name);
  ASSERT_FALSE(files.empty()) << "no seed corpus for " << t.name << " in fuzz/corpus/" << t.name
                              << " (scripts/fuzz.sh --seeds regenerates it)";
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    auto bytes = slurp(f);
    EXPECT_EQ(t.run(bytes.data(), bytes.size()), 0);
  }
}

TEST_P(Replay, EveryPastCrashStaysFixed) {
  const Target t = GetParam();
  const auto open = known_open();
  const auto files = files_in(fs::path(NDMP_FUZZ_DIR) / "regressions" / t.name);
  std::vector<std::string> skipped;
  for (const auto& f : files) {
    const std::string key = std::string(t.name) + "/" + f.filename().string();
    if (auto it = open.find(key); it != open.end()) {
      skipped.push_back(key + ": " + it->second);
      continue;
    }
    SCOPED_TRACE(f.string());
    auto bytes = slurp(f);
    EXPECT_EQ(t.run(bytes.data(), bytes.size()), 0);
  }
  if (!skipped.empty()) {
    std::string msg = "known open fuzz findings not replayed (see fuzz/regressions/KNOWN_OPEN):";
    for (const auto& s : skipped) msg += "\n  " + s;
    GTEST_SKIP() << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, Replay, ::testing::ValuesIn(targets().begin(), targets().end()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ndmp::fuzz

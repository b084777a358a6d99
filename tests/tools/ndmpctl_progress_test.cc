// The job progress display with an injected clock (no sleeping), and the
// catalogue's round trip through its JSON file.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/support/test_server.h"
#include "tools/ndmpctl/catalog.h"
#include "tools/ndmpctl/progress.h"

namespace ndmp::ctl {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct FakeClock {
  Clock::time_point now{};
  Progress::Clock fn() {
    return [this] { return now; };
  }
};

size_t count(const std::string& s, char c) { return static_cast<size_t>(std::count(s.begin(), s.end(), c)); }

TEST(NdmpctlProgress, BarRedrawsAtMostFourTimesASecondAndEndsWithANewline) {
  FakeClock clock;
  std::ostringstream out;
  {
    Progress p(out, ProgressStyle::bar, "backup", clock.fn());
    for (int i = 0; i <= 20; ++i) {  // one second in steps of 50 ms
      p.update({uint64_t(i) * 1024 * 1024, std::optional<uint64_t>(100u << 20), "MON-1 (slot 3)"});
      clock.now += 50ms;
    }
    EXPECT_EQ(count(out.str(), '\r'), 5u) << "first draw, then one every 250 ms";
    EXPECT_EQ(count(out.str(), '\n'), 0u);
    p.finish();
  }
  const auto s = out.str();
  EXPECT_EQ(s.back(), '\n');
  EXPECT_EQ(count(s, '\n'), 1u) << "finish ends the line once, the destructor adds nothing";
  EXPECT_EQ(s.find('\x1b'), std::string::npos);
  EXPECT_NE(s.find("tape MON-1 (slot 3)"), std::string::npos) << s;
  // 20 MiB in 1.05 s: about 19 MiB/s; 100 MiB still to go: about 5 s.
  EXPECT_NE(s.find("20.0 MiB"), std::string::npos) << s;
  EXPECT_NE(s.find("ETA 0:00:05"), std::string::npos) << s;
}

TEST(NdmpctlProgress, NoteEndsTheBarLineAndShorterRedrawsBlankTheRest) {
  FakeClock clock;
  std::ostringstream out;
  Progress p(out, ProgressStyle::bar, "restore", clock.fn());
  p.update({123456789, std::nullopt, "a-rather-long-tape-name (slot 10)"});
  p.note("Reading tape 2 of 2");
  EXPECT_NE(out.str().find("--:--  tape a-rather-long-tape-name (slot 10)\nReading tape 2 of 2\n"),
            std::string::npos)
      << out.str();
  out.str("");
  clock.now += 1s;
  p.update({5, std::nullopt, "x"});
  clock.now += 1s;
  p.update({5, std::nullopt, ""});
  const auto s = out.str();
  // The second line is shorter than the first: padded with blanks over it.
  const auto second = s.substr(s.rfind('\r'));
  const auto first = s.substr(0, s.rfind('\r'));
  EXPECT_EQ(second.size(), first.size()) << "[" << s << "]";
}

TEST(NdmpctlProgress, PlainLinesEveryTenSecondsWhenNotATerminal) {
  FakeClock clock;
  std::ostringstream out;
  Progress p(out, ProgressStyle::lines, "backup", clock.fn());
  for (int i = 0; i < 30; ++i) {  // 30 s in steps of 1 s
    p.update({uint64_t(i), std::nullopt, ""});
    clock.now += 1s;
  }
  EXPECT_EQ(count(out.str(), '\n'), 3u) << out.str();  // at 0, 10 and 20 s
  EXPECT_EQ(count(out.str(), '\r'), 0u);
}

TEST(NdmpctlCatalog, RoundTripKeepsEnvOrderMediaAndUnknownFhInfo) {
  test::TempDir dir;
  Catalog c;
  c.started = "2024-05-01T10:00:00Z";
  c.filesystem = "/export/home";
  c.record_size = 65536;
  c.bytes = 5u << 20;
  c.env = {{"FILESYSTEM", "/export/home"}, {"TYPE", "tar"}, {"EXCLUDE", "*.o,\"odd\\name\""}};
  c.media = {{"MON-1", 3u, "NDM003L6", 0, 4u << 20}, {"", std::nullopt, "", 4u << 20, 1u << 20}};
  c.files = {{"/a", "dir", 0, 1700000000, 512}, {"/a/b", "reg", 10, 1700000001, std::nullopt}};
  const auto path = (dir.path() / "sub" / "c.json").string();
  ASSERT_TRUE(save_catalog(c, path).ok());
  auto back = load_catalog(path);
  ASSERT_TRUE(back.ok()) << back.outcome().text;
  EXPECT_EQ(back->env, c.env);
  ASSERT_EQ(back->media.size(), 2u);
  EXPECT_EQ(back->media[0].slot, 3u);
  EXPECT_FALSE(back->media[1].slot.has_value());
  EXPECT_EQ(back->media[1].window_offset, 4u << 20);
  EXPECT_EQ(back->files[0].fh_info, 512u);
  EXPECT_FALSE(back->files[1].fh_info.has_value());
  EXPECT_EQ(back->medium_at(0), 0u);
  EXPECT_EQ(back->medium_at((4u << 20) - 1), 0u);
  EXPECT_EQ(back->medium_at(4u << 20), 1u);
  EXPECT_FALSE(back->medium_at(5u << 20).has_value());
}

TEST(NdmpctlCatalog, LoadRefusesWhatIsNotACatalogue) {
  test::TempDir dir;
  const auto path = (dir.path() / "x.json").string();
  std::ofstream(path) << "{\"format\": \"something else\"}";
  auto r = load_catalog(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.outcome().text.find("not an ndmpctl catalogue"), std::string::npos) << r.outcome().text;
  std::ofstream(path) << "{ not json";
  EXPECT_FALSE(load_catalog(path).ok());
  EXPECT_FALSE(load_catalog((dir.path() / "absent.json").string()).ok());
}

}  // namespace
}  // namespace ndmp::ctl

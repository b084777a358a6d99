// The Cloud Manager timeouts as ndmpd.conf(5) documents them: space_timeout
// and reply_timeout in milliseconds in the [cloudmanager] section, their
// defaults, and 0 refused at start.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "server/context/config.h"
#include "tests/support/test_server.h"

namespace ndmp {
namespace {

using namespace std::chrono_literals;

server::ParseOutcome parse(const test::TempDir& dir, const std::string& text, server::Config& c) {
  const auto file = dir.path() / "ndmpd.conf";
  std::ofstream(file) << text;
  const std::string f = file.string();
  const char* argv[] = {"ndmpd", "--config", f.c_str()};
  return server::parse_config(3, argv, c);
}

TEST(CmConfigKeys, TimeoutsAreReadInMilliseconds) {
  test::TempDir dir;
  server::Config c;
  ASSERT_EQ(parse(dir, "[cloudmanager]\naddress = 127.0.0.1\nport = 7000\nspace_timeout = 1500\nreply_timeout = 2500\n", c),
            server::ParseOutcome::run);
  EXPECT_EQ(c.cm_space_timeout, 1500ms);
  EXPECT_EQ(c.cm_reply_timeout, 2500ms);
}

TEST(CmConfigKeys, TimeoutDefaults) {
  test::TempDir dir;
  server::Config c;
  ASSERT_EQ(parse(dir, "[cloudmanager]\naddress = 127.0.0.1\nport = 7000\n", c), server::ParseOutcome::run);
  EXPECT_EQ(c.cm_space_timeout, 5000ms);
  EXPECT_EQ(c.cm_reply_timeout, 10000ms);
}

TEST(CmConfigKeys, ZeroReplyTimeoutStopsTheStart) {
  test::TempDir dir;
  server::Config c;
  EXPECT_EQ(parse(dir, "[cloudmanager]\naddress = 127.0.0.1\nport = 7000\nreply_timeout = 0\n", c),
            server::ParseOutcome::exit_error);
}

}  // namespace
}  // namespace ndmp

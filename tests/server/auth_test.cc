// MD5 challenge/response (facts 5.1) against vectors computed independently
// (Python hashlib over the 128-byte layout), and the password file rules.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "fmt/format.h"
#include "server/auth.h"
#include "tests/support/test_server.h"

namespace ndmp::server {
namespace {

std::string hex(const Digest& d) {
  std::string s;
  for (uint8_t b : d) s += fmt::format("{:02x}", b);
  return s;
}

Challenge counting_challenge() {
  Challenge c{};
  for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<uint8_t>(i);
  return c;
}

TEST(Md5Digest, ShortPasswordMatchesReferenceVector) {
  EXPECT_EQ(hex(md5_digest("ndmp", counting_challenge())), "bc7d61077ebc1e1bf84a59827c26dd65");
}

TEST(Md5Digest, OnlyFirst32BytesOfLongPasswordCount) {
  EXPECT_EQ(hex(md5_digest(std::string(40, 'A'), counting_challenge())), "a7fa9bd9f803cc504b51e35c8d797f6f");
  EXPECT_EQ(md5_digest(std::string(40, 'A'), counting_challenge()),
            md5_digest(std::string(32, 'A'), counting_challenge()));
}

TEST(Md5Digest, ChallengesAreFreshEachTime) { EXPECT_NE(random_challenge(), random_challenge()); }

TEST(UserTable, RefusesPasswordFileReadableByOthers) {
  test::TempDir d;
  auto path = (d.path() / "passwd").string();
  std::ofstream(path) << "ndmp:secret\n";
  ::chmod(path.c_str(), 0644);
  UserTable t;
  std::string err = t.load(path);
  EXPECT_NE(err.find("readable by others"), std::string::npos) << err;
  ::chmod(path.c_str(), 0600);
  UserTable ok;
  EXPECT_EQ(ok.load(path), "");
  EXPECT_EQ(ok.password_of("ndmp").value_or(""), "secret");
  EXPECT_FALSE(ok.password_of("root"));
}

TEST(UserTable, NamesTheBadLine) {
  test::TempDir d;
  auto path = (d.path() / "passwd").string();
  std::ofstream(path) << "# comment\nndmp:secret\nbroken-line\n";
  ::chmod(path.c_str(), 0600);
  UserTable t;
  EXPECT_NE(t.load(path).find("line 3"), std::string::npos);
}

TEST(FailureBrake, GrowsPerFailureUpToCapAndClearsOnSuccess) {
  FailureBrake b;
  EXPECT_EQ(b.delay_for("10.0.0.1").count(), 0);
  for (int i = 0; i < 10; ++i) b.failed("10.0.0.1");
  EXPECT_EQ(b.delay_for("10.0.0.1"), FailureBrake::kMax);
  EXPECT_EQ(b.delay_for("10.0.0.2").count(), 0);
  b.succeeded("10.0.0.1");
  EXPECT_EQ(b.delay_for("10.0.0.1").count(), 0);
}

}  // namespace
}  // namespace ndmp::server

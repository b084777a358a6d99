// MD5 challenge/response (facts 5.1) against vectors computed independently
// (Python hashlib over the 128-byte layout), and the password file rules.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "fmt/format.h"
#include "server/context/auth.h"
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

// The login brake's policy, driven with made-up times: no test here sleeps.
namespace brake {
using namespace std::chrono_literals;
using T = LoginBrake::Time;
using V = LoginBrake::Verdict;
const T t0 = T{} + 1000h;

void setup(LoginBrake& b, unsigned after = 3, unsigned lockout_after = 6) {
  b.configure({after, 1000ms, 3000ms, lockout_after, 600s});
}

// One attempt that goes at `now` (asserted) and ends at `now` with `ok`.
void attempt(LoginBrake& b, const std::string& src, T now, bool ok) {
  const auto t = b.arrive(src, now);
  ASSERT_EQ(b.turn(src, t, now).verdict, V::go);
  b.finish(src, t, ok, now);
}
}  // namespace brake

TEST(LoginBrake, FirstFailuresGoAtOnceThenEveryAttemptWaitsEvenACorrectOne) {
  using namespace brake;
  LoginBrake b;
  setup(b);
  for (int i = 0; i < 3; ++i) attempt(b, "10.0.0.1", t0, false);
  // Three failures: the next attempt, whatever its password, waits 1 s after the last one ended.
  const auto t = b.arrive("10.0.0.1", t0);
  auto turn = b.turn("10.0.0.1", t, t0 + 999ms);
  EXPECT_EQ(turn.verdict, V::wait);
  EXPECT_EQ(turn.until, t0 + 1000ms);
  EXPECT_EQ(turn.delay, 1000ms);
  ASSERT_EQ(b.turn("10.0.0.1", t, t0 + 1000ms).verdict, V::go);
  b.finish("10.0.0.1", t, true, t0 + 1000ms);  // correct password: clears the failures
  attempt(b, "10.0.0.1", t0 + 1000ms, true);  // and the next attempt goes at once
}

TEST(LoginBrake, WaitGrowsPerFailureUpToTheMaximum) {
  using namespace brake;
  LoginBrake b;
  setup(b, 3, 0);  // no lockout
  T now = t0;
  for (int i = 0; i < 3; ++i) attempt(b, "s", now, false);
  for (auto expect : {1000ms, 2000ms, 3000ms, 3000ms, 3000ms}) {
    const auto t = b.arrive("s", now);
    auto turn = b.turn("s", t, now);
    ASSERT_EQ(turn.verdict, V::wait);
    EXPECT_EQ(turn.until - now, expect);
    now = turn.until;
    ASSERT_EQ(b.turn("s", t, now).verdict, V::go);
    b.finish("s", t, false, now);
  }
}

TEST(LoginBrake, AttemptsFromOneSourceAreTakenOneAtATimeInArrivalOrder) {
  using namespace brake;
  LoginBrake b;
  setup(b);
  const auto first = b.arrive("s", t0);
  const auto second = b.arrive("s", t0);
  EXPECT_EQ(b.turn("s", second, t0).verdict, V::wait) << "the second waits for the first";
  EXPECT_EQ(b.turn("s", second, t0).until, T::max());
  ASSERT_EQ(b.turn("s", first, t0).verdict, V::go);
  EXPECT_EQ(b.turn("s", second, t0).verdict, V::wait) << "still waits while the first is checked";
  b.finish("s", first, false, t0);
  EXPECT_EQ(b.turn("s", second, t0).verdict, V::go);
  b.finish("s", second, false, t0);
  // Another source is neither queued behind these nor slowed.
  attempt(b, "other", t0, true);
}

TEST(LoginBrake, AnAttemptThatGivesUpLetsTheNextOneGo) {
  using namespace brake;
  LoginBrake b;
  setup(b);
  const auto first = b.arrive("s", t0);
  const auto second = b.arrive("s", t0);
  b.leave("s", first);
  EXPECT_EQ(b.turn("s", second, t0).verdict, V::go);
  b.finish("s", second, true, t0);
}

TEST(LoginBrake, ManyFailuresLockTheSourceOutForAWhileThenItIsBrakedAgain) {
  using namespace brake;
  LoginBrake b;
  setup(b, 3, 6);
  T now = t0;
  for (int i = 0; i < 6; ++i) {
    const auto t = b.arrive("s", now);
    auto turn = b.turn("s", t, now);
    if (turn.verdict == V::wait) turn = b.turn("s", t, now = turn.until);
    ASSERT_EQ(turn.verdict, V::go) << i;
    b.finish("s", t, false, now);
  }
  EXPECT_TRUE(b.locked_out("s", now));
  EXPECT_FALSE(b.locked_out("other", now));
  const auto t = b.arrive("s", now + 599s);
  auto turn = b.turn("s", t, now + 599s);
  EXPECT_EQ(turn.verdict, V::refused) << "a correct password is not even checked";
  EXPECT_EQ(turn.until, now + 600s);
  b.leave("s", t);
  EXPECT_FALSE(b.locked_out("s", now + 600s));
  const auto after = b.arrive("s", now + 600s);
  EXPECT_EQ(b.turn("s", after, now + 600s).verdict, V::go) << "the lockout outlasted the brake's wait";
  b.finish("s", after, false, now + 600s);
  const auto next = b.arrive("s", now + 600s);
  EXPECT_EQ(b.turn("s", next, now + 600s).verdict, V::wait) << "braked again after the lockout";
  b.leave("s", next);
}

TEST(LoginBrake, MemoryIsBoundedUnderAFloodOfSources) {
  using namespace brake;
  LoginBrake b;
  setup(b);
  for (size_t i = 0; i < 3 * LoginBrake::kMaxSources; ++i) attempt(b, "10." + std::to_string(i), t0, false);
  EXPECT_LE(b.tracked_sources(), LoginBrake::kMaxSources);
}

}  // namespace
}  // namespace ndmp::server

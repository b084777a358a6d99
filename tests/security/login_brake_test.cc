// The login brake (issue 15, item 6) against the real server: guesses from
// one address in parallel are taken one at a time and each waits; a correct
// password during the brake waits too; another address is not slowed; a
// source with many failures is refused. 127.0.0.1 and 127.0.0.2 play two hosts.
#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <thread>

#include "server/context/auth.h"
#include "server/context/context.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace code = msg::code;
using msg::Error;

// A connection from `source`, opened at v4, with an MD5 challenge in hand.
struct Guesser {
  std::unique_ptr<client::Client> c = std::make_unique<client::Client>();
  server::Challenge challenge{};
  std::string error;

  Guesser(uint16_t port, const char* source) {
    c->set_reply_timeout(60s);
    error = c->connect("127.0.0.1", port, source);
    if (error.empty()) error = c->open(4);
    if (!error.empty()) return;
    msg::ConfigGetAuthAttrRequest a;
    a.type = msg::AuthType::md5;
    auto r = c->call(code::CONFIG_GET_AUTH_ATTR, a);
    if (!r.ok || r.error() != Error::no_err) error = "no challenge: " + r.failure;
    else challenge = r.as<msg::ConfigGetAuthAttrReply>().attr.challenge;
  }
  Error answer(const std::string& password) {
    msg::ConnectClientAuthRequest req;
    req.auth.type = msg::AuthType::md5;
    req.auth.id = test::kUser;
    req.auth.digest = server::md5_digest(password, challenge);
    auto r = c->call(code::CONNECT_CLIENT_AUTH, req);
    return r.ok ? r.error() : Error::not_authorized;
  }
};

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

constexpr auto kStep = 1500ms;

void tune(server::Config& c) {
  c.login_brake_after = 1;  // the first failure engages the brake
  c.login_brake_step = kStep;
  c.login_brake_max = kStep;  // every braked attempt waits one step
  c.login_lockout_after = 0;  // no lockout in this test
}

TEST(LoginBrake, ParallelGuessesFromOneAddressAreSerialisedAndEachWaits) {
  test::TestServer s(tune);
  LogCapture log;
  constexpr int kGuessers = 3;
  std::vector<std::unique_ptr<Guesser>> g;
  for (int i = 0; i < kGuessers; ++i) {
    g.push_back(std::make_unique<Guesser>(s.port(), "127.0.0.1"));
    ASSERT_EQ(g.back()->error, "");
  }
  // The right password's connection is ready before the guessing starts.
  Guesser right(s.port(), "127.0.0.1");
  ASSERT_EQ(right.error, "");
  // All guesses at once, each on its own connection.
  std::latch go(kGuessers + 1);
  std::vector<std::thread> threads;
  std::vector<Error> results(kGuessers);
  for (int i = 0; i < kGuessers; ++i)
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      results[i] = g[i]->answer("guess-" + std::to_string(i));
    });
  const auto t0 = Clock::now();
  go.arrive_and_wait();
  for (auto& t : threads) t.join();
  const auto took = Clock::now() - t0;
  for (auto e : results) EXPECT_EQ(e, Error::not_authorized);
  // The first is judged at once; each of the others waits a step after the one before it.
  EXPECT_GE(took, (kGuessers - 1) * kStep)
      << kGuessers << " parallel guesses from one address took " << seconds(took) << " s";

  // Meanwhile another host logs in at once.
  {
    const auto t1 = Clock::now();
    Guesser other(s.port(), "127.0.0.2");
    ASSERT_EQ(other.error, "");
    EXPECT_EQ(other.answer(test::kPassword), Error::no_err);
    const auto other_took = Clock::now() - t1;
    EXPECT_LT(other_took, 1s) << "login from another address took " << seconds(other_took) << " s";
  }
  // The right password from the braked address, sent just after the last
  // guess was answered, waits its turn too (a step after that guess), then
  // gets in. The server logs the wait it applied.
  const auto t2 = Clock::now();
  EXPECT_EQ(right.answer(test::kPassword), Error::no_err);
  const auto right_took = Clock::now() - t2;
  EXPECT_GE(right_took, kStep - 500ms) << "a correct password answered after " << seconds(right_took) << " s";
  EXPECT_TRUE(log.contains("authenticated as \"ndmp\" (MD5); answered after the login brake's 1500 ms wait"))
      << log.text();
  // A success clears the brake for that address.
  Guesser after(s.port(), "127.0.0.1");
  ASSERT_EQ(after.error, "");
  const auto t3 = Clock::now();
  EXPECT_EQ(after.answer(test::kPassword), Error::no_err);
  EXPECT_LT(Clock::now() - t3, 1s);
}

TEST(LoginBrake, ASourceWithManyFailuresIsRefusedEvenWithTheRightPassword) {
  test::TestServer s([](server::Config& c) {
    c.login_brake_after = 2;
    c.login_brake_step = 100ms;
    c.login_brake_max = 100ms;
    c.login_lockout_after = 4;
    c.login_lockout = 600s;
  });
  LogCapture log;
  for (int i = 0; i < 4; ++i) {
    Guesser g(s.port(), "127.0.0.5");
    ASSERT_EQ(g.error, "");
    EXPECT_EQ(g.answer("guess"), Error::not_authorized);
  }
  // Refused at the door: the connection is closed before the greeting.
  client::Client c;
  EXPECT_NE(c.connect("127.0.0.1", s.port(), "127.0.0.5"), "");
  EXPECT_TRUE(log.contains("too many failed logins from 127.0.0.5 (login-lockout)")) << log.text();
  // Another host is unaffected.
  Guesser other(s.port(), "127.0.0.6");
  ASSERT_EQ(other.error, "");
  EXPECT_EQ(other.answer(test::kPassword), Error::no_err);
}

TEST(LoginBrake, AConnectionAlreadyOpenWhenTheLockoutStartsIsRefusedWithoutAPasswordCheck) {
  test::TestServer s([](server::Config& c) {
    c.login_brake_after = 1;
    c.login_brake_step = 50ms;
    c.login_brake_max = 50ms;
    c.login_lockout_after = 2;
  });
  LogCapture log;
  Guesser waiting(s.port(), "127.0.0.7");  // opened before the failures
  ASSERT_EQ(waiting.error, "");
  for (int i = 0; i < 2; ++i) {
    Guesser g(s.port(), "127.0.0.7");
    ASSERT_EQ(g.error, "");
    EXPECT_EQ(g.answer("guess"), Error::not_authorized);
  }
  EXPECT_EQ(waiting.answer(test::kPassword), Error::not_authorized);
  EXPECT_TRUE(log.contains("login refused without checking the password")) << log.text();
}

}  // namespace
}  // namespace ndmp::security

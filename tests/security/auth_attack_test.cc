// Attacks on the login: wrong digests, replayed challenges and digests,
// repeated failures from one peer, and a password file others can read.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include "server/context/auth.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace code = msg::code;
using msg::Error;

server::Challenge get_challenge(client::Client& c) {
  msg::ConfigGetAuthAttrRequest a;
  a.type = msg::AuthType::md5;
  auto r = c.call(code::CONFIG_GET_AUTH_ATTR, a);
  EXPECT_EQ(r.error(), Error::no_err);
  return r.ok ? r.as<msg::ConfigGetAuthAttrReply>().attr.challenge : server::Challenge{};
}

Error send_digest(client::Client& c, const server::Digest& d, const std::string& user = test::kUser) {
  msg::ConnectClientAuthRequest req;
  req.auth.type = msg::AuthType::md5;
  req.auth.id = user;
  req.auth.digest = d;
  return c.call(code::CONNECT_CLIENT_AUTH, req).error();
}

// After a refused login the session must still be unauthenticated.
void expect_still_locked(client::Client& c) {
  EXPECT_EQ(c.call(code::TAPE_GET_STATE).header.error, Error::not_authorized);
}

TEST(Md5Login, WrongDigestIsRefusedAndGrantsNothing) {
  test::TestServer s;
  auto c = connect_to(s);
  ASSERT_EQ(c->open(4), "");
  const auto ch = get_challenge(*c);
  auto d = server::md5_digest(test::kPassword, ch);
  d[0] ^= 1;  // one bit off
  EXPECT_EQ(send_digest(*c, d), Error::not_authorized);
  expect_still_locked(*c);
  EXPECT_EQ(send_digest(*c, server::md5_digest(test::kPassword, ch), "root"), Error::not_authorized)
      << "a user the password file does not name";
  expect_still_locked(*c);
}

TEST(Md5Login, DigestForAnEarlierChallengeIsRefused) {
  test::TestServer s;
  auto c = connect_to(s);
  ASSERT_EQ(c->open(4), "");
  const auto first = get_challenge(*c);
  const auto second = get_challenge(*c);
  ASSERT_NE(first, second) << "every CONFIG_GET_AUTH_ATTR issues a fresh challenge";
  EXPECT_EQ(send_digest(*c, server::md5_digest(test::kPassword, first)), Error::not_authorized);
  expect_still_locked(*c);
}

TEST(Md5Login, ChallengeAnswersOneAttemptOnly) {
  test::TestServer s;
  auto c = connect_to(s);
  ASSERT_EQ(c->open(3), "");
  const auto ch = get_challenge(*c);
  EXPECT_EQ(send_digest(*c, server::md5_digest("guess", ch)), Error::not_authorized);
  // The right digest for the same challenge, without asking for a new one:
  // a second guess against one challenge is not allowed.
  EXPECT_EQ(send_digest(*c, server::md5_digest(test::kPassword, ch)), Error::not_authorized);
  expect_still_locked(*c);
}

TEST(Md5Login, CapturedDigestReplayedOnAnotherConnectionIsRefused) {
  test::TestServer s;
  auto victim = connect_to(s);
  ASSERT_EQ(victim->open(4), "");
  const auto ch = get_challenge(*victim);
  const auto captured = server::md5_digest(test::kPassword, ch);
  ASSERT_EQ(send_digest(*victim, captured), Error::no_err);

  auto attacker = connect_to(s);
  ASSERT_EQ(attacker->open(4), "");
  (void)get_challenge(*attacker);  // a challenge of its own, which the captured digest does not answer
  EXPECT_EQ(send_digest(*attacker, captured), Error::not_authorized);
  expect_still_locked(*attacker);
}

TEST(Md5Login, TextPasswordRefusedWhenOnlyMd5IsAllowed) {
  test::TestServer s([](server::Config& c) { c.allow_auth_text = false; });
  auto c = connect_to(s);
  ASSERT_EQ(c->open(4), "");
  EXPECT_NE(c->auth_text(test::kUser, test::kPassword), "");
  EXPECT_NE(c->auth_none(), "");
  expect_still_locked(*c);
}

TEST(LoginBrakeDefaults, RepeatedFailuresFromOnePeerAreSlowedDown) {
  test::TestServer s;
  const server::Config defaults;
  LogCapture log;
  auto c = connect_to(s);
  ASSERT_EQ(c->open(4), "");
  // The next attempt from the same address, on a new connection (the brake
  // keys on the peer's address, not on the connection), waits one step after
  // the last failure ended — which is after that failure was sent.
  auto again = connect_to(s);
  ASSERT_EQ(again->open(4), "");
  const auto ch = get_challenge(*again);
  std::chrono::steady_clock::time_point last_sent;
  for (unsigned i = 0; i < defaults.login_brake_after; ++i) {
    const auto guess = server::md5_digest("guess", get_challenge(*c));
    last_sent = std::chrono::steady_clock::now();
    EXPECT_EQ(send_digest(*c, guess), Error::not_authorized);
  }
  EXPECT_EQ(send_digest(*again, server::md5_digest("guess", ch)), Error::not_authorized);
  const auto waited = std::chrono::steady_clock::now() - last_sent;
  EXPECT_GE(waited, defaults.login_brake_step) << "the attempt after the first failures is held back";
  EXPECT_TRUE(log.contains("answered after the login brake's 1000 ms wait")) << log.text();
  // The right password still gets in (after its own wait), and clears the brake for that peer.
  EXPECT_EQ(again->auth_md5(test::kUser, test::kPassword), "");
}

TEST(PasswordFile, ReadableByOthersRefusesToStart) {
  for (mode_t mode : {0644, 0640, 0604}) {
    test::TempDir dir;
    const std::string pw = (dir.path() / "passwd").string();
    std::ofstream(pw) << test::kUser << ":" << test::kPassword << "\n";
    ASSERT_EQ(::chmod(pw.c_str(), mode), 0);
    server::Config cfg;
    cfg.listen = {{"127.0.0.1", 0}};
    cfg.password_file = pw;
    cfg.state_dir = (dir.path() / "state").string();
    server::Server srv(cfg);
    const std::string err = srv.start();
    EXPECT_NE(err.find("chmod 600"), std::string::npos) << "mode " << std::oct << mode << ": \"" << err << "\"";
    EXPECT_NE(err.find(pw), std::string::npos) << "the error names the file";
    EXPECT_TRUE(srv.bound_ports().empty()) << "nothing listens when the start is refused";
  }
}

TEST(PasswordFile, OwnerOnlyFileStarts) {
  test::TempDir dir;
  const std::string pw = (dir.path() / "passwd").string();
  std::ofstream(pw) << test::kUser << ":" << test::kPassword << "\n";
  ASSERT_EQ(::chmod(pw.c_str(), 0600), 0);
  server::Config cfg;
  cfg.listen = {{"127.0.0.1", 0}};
  cfg.password_file = pw;
  cfg.state_dir = (dir.path() / "state").string();
  server::Server srv(cfg);
  EXPECT_EQ(srv.start(), "");
}

}  // namespace
}  // namespace ndmp::security

// Nothing but the handshake before authentication: every message of every
// version, sent with a well-formed body by a DMA that has opened a
// connection but not logged in, is refused with NDMP_NOT_AUTHORIZED_ERR in
// the reply header (SPEC4 3.1: "all other requests ... before the connection
// is authenticated return NDMP_NOT_AUTHORIZED_ERR").
//
// Served before login, as the protocol needs them to log in at all:
// CONNECT_OPEN, CONNECT_CLIENT_AUTH, CONNECT_CLOSE, CONFIG_GET_AUTH_ATTR,
// CONFIG_GET_SERVER_INFO (v3/v4) and CONFIG_GET_HOST_INFO (v2 only: the v2
// way to learn the auth types, facts 6.2). Posts (NOTIFY_*, LOG_*, FH_*) go
// from server to DMA only; one sent to the server must be refused too.
#include <gtest/gtest.h>

#include <set>

#include "tests/security/security_util.h"
#include "xdr/codec.h"

namespace ndmp::security {
namespace {

namespace code = msg::code;
using msg::Error;

std::set<uint32_t> handshake(int version) {
  std::set<uint32_t> s = {code::CONNECT_OPEN, code::CONNECT_CLIENT_AUTH, code::CONNECT_CLOSE,
                          code::CONFIG_GET_AUTH_ATTR};
  if (version == 2) s.insert(code::CONFIG_GET_HOST_INFO);
  else s.insert(code::CONFIG_GET_SERVER_INFO);
  return s;
}

class PreAuth : public ::testing::TestWithParam<int> {};

TEST_P(PreAuth, EveryNonHandshakeRequestIsNotAuthorized) {
  const int v = GetParam();
  test::TestServer s(with_library);
  auto c = connect_to(s);
  ASSERT_EQ(c->open(v), "");
  c->set_reply_timeout(std::chrono::seconds(30));
  const auto open = handshake(v);
  size_t walked = 0;
  for (uint32_t cd : xdr::codes(v)) {
    if (open.count(cd) || !xdr::has_codec(v, cd, xdr::MessageType::request)) continue;
    const bool post = !xdr::has_codec(v, cd, xdr::MessageType::reply);
    auto body = zero_body(v, cd);
    ASSERT_TRUE(body) << msg::code_name(cd) << ": no all-zero body decodes in v" << v;
    auto r = c->call_raw(cd, *body);
    ASSERT_TRUE(r.ok) << msg::code_name(cd) << " v" << v << ": " << r.failure;
    ++walked;
    if (post) {
      // A post has no reply of its own; the server answers the stray request
      // with a header error and does nothing.
      EXPECT_TRUE(r.header.error == Error::not_authorized || r.header.error == Error::not_supported)
          << msg::code_name(cd) << " v" << v << ": " << msg::to_string(r.header.error);
      continue;
    }
    EXPECT_EQ(r.header.error, Error::not_authorized) << msg::code_name(cd) << " v" << v;
  }
  EXPECT_GT(walked, 30u) << "the walk must cover the TAPE, SCSI, DATA and MOVER interfaces";
  // The session is still usable: refusing is not a reason to drop the DMA.
  EXPECT_EQ(c->auth_md5(test::kUser, test::kPassword), "");
}

TEST_P(PreAuth, HandshakeMessagesAreServedBeforeLogin) {
  const int v = GetParam();
  test::TestServer s;
  auto c = connect_to(s);
  ASSERT_EQ(c->open(v), "");
  msg::ConfigGetAuthAttrRequest a;
  a.type = msg::AuthType::md5;
  EXPECT_EQ(c->call(code::CONFIG_GET_AUTH_ATTR, a).error(), Error::no_err);
  EXPECT_EQ(c->call(v == 2 ? code::CONFIG_GET_HOST_INFO : code::CONFIG_GET_SERVER_INFO).error(), Error::no_err);
  if (v != 2) {
    // ...and only there: v3/v4 host info names the machine, so it waits for login.
    EXPECT_EQ(c->call(code::CONFIG_GET_HOST_INFO).header.error, Error::not_authorized);
  }
}

TEST(PreAuth, RequestsBeforeConnectOpenAreRefusedToo) {
  // A DMA that skips CONNECT_OPEN speaks the announced version (SPEC4
  // 2.11.2); that does not let it skip the login.
  test::TestServer s(with_library);
  auto c = connect_to(s);
  auto body = zero_body(4, code::TAPE_OPEN);
  ASSERT_TRUE(body);
  auto r = c->call_raw(code::TAPE_OPEN, *body);
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.header.error, Error::not_authorized);
}

INSTANTIATE_TEST_SUITE_P(Versions, PreAuth, ::testing::Values(2, 3, 4),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

}  // namespace
}  // namespace ndmp::security

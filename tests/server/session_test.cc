// The connect handshake, authentication, CONFIG and bad input, over loopback
// against a server built through the composition root.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "tests/support/test_server.h"

namespace ndmp {
namespace {

using client::Client;
using msg::Error;
namespace code = msg::code;

std::unique_ptr<Client> connected(test::TestServer& s) {
  auto c = std::make_unique<Client>();
  EXPECT_EQ(c->connect("127.0.0.1", s.port()), "");
  return c;
}

TEST(Handshake, GreetingAnnouncesVersion4) {
  test::TestServer s;
  auto c = connected(s);
  EXPECT_EQ(c->announced_version(), 4);
}

TEST(Handshake, GreetingHeaderHasSequenceOneAndRealTime) {
  test::TestServer s;
  Client c;
  ASSERT_EQ(c.connect("127.0.0.1", s.port()), "");
  // Re-read the greeting's header through a raw connection to check its fields.
  int fd = c.fd();
  (void)fd;
  auto raw = std::make_unique<Client>();
  ASSERT_EQ(raw->connect("127.0.0.1", s.port()), "");
  // The client has consumed the greeting; send CONNECT_OPEN and check the reply header.
  msg::ConnectOpenRequest open;
  open.protocol_version = 3;
  auto r = raw->call(code::CONNECT_OPEN, open);
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.header.sequence, 2u);  // greeting was 1
  EXPECT_EQ(r.header.reply_sequence, 1u);
  EXPECT_LE(std::labs(static_cast<long>(r.header.time_stamp) - static_cast<long>(std::time(nullptr))), 5);
}

TEST(Handshake, EachVersionCanBeOpened) {
  test::TestServer s;
  for (int v : {2, 3, 4}) {
    auto c = connected(s);
    EXPECT_EQ(c->open(v), "") << "v" << v;
  }
}

TEST(Handshake, UnsupportedVersionsAreIllegalArgs) {
  test::TestServer s;
  for (int v : {0, 1, 5, 99}) {
    auto c = connected(s);
    msg::ConnectOpenRequest open;
    open.protocol_version = static_cast<uint16_t>(v);
    auto r = c->call(code::CONNECT_OPEN, open);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.error(), Error::illegal_args) << "v" << v;
  }
}

TEST(Handshake, RepeatedOpenSameVersionOkOtherVersionIllegalState) {
  test::TestServer s;
  auto c = connected(s);
  ASSERT_EQ(c->open(3), "");
  msg::ConnectOpenRequest open;
  open.protocol_version = 3;
  EXPECT_EQ(c->call(code::CONNECT_OPEN, open).error(), Error::no_err);
  open.protocol_version = 4;
  EXPECT_EQ(c->call(code::CONNECT_OPEN, open).error(), Error::illegal_state);
}

TEST(Auth, Md5LoginWorksInEveryVersion) {
  test::TestServer s;
  for (int v : {2, 3, 4}) EXPECT_NE(s.login(v), nullptr);
}

TEST(Auth, WrongMd5DigestIsNotAuthorized) {
  test::TestServer s;
  auto c = connected(s);
  ASSERT_EQ(c->open(4), "");
  EXPECT_NE(c->auth_md5(test::kUser, "wrong").find("NDMP_NOT_AUTHORIZED_ERR"), std::string::npos);
  EXPECT_NE(c->auth_md5("nobody", test::kPassword).find("NDMP_NOT_AUTHORIZED_ERR"), std::string::npos);
}

TEST(Auth, ReplayedChallengeIsRefused) {
  test::TestServer s;
  auto c = connected(s);
  ASSERT_EQ(c->open(4), "");
  msg::ConfigGetAuthAttrRequest areq;
  areq.type = msg::AuthType::md5;
  auto a = c->call(code::CONFIG_GET_AUTH_ATTR, areq);
  ASSERT_EQ(a.error(), Error::no_err);
  msg::ConnectClientAuthRequest req;
  req.auth.type = msg::AuthType::md5;
  req.auth.id = test::kUser;
  req.auth.digest = server::md5_digest(test::kPassword, a.as<msg::ConfigGetAuthAttrReply>().attr.challenge);
  EXPECT_EQ(c->call(code::CONNECT_CLIENT_AUTH, req).error(), Error::no_err);
  // Same digest on a new connection (challenge not issued there) fails.
  auto c2 = connected(s);
  ASSERT_EQ(c2->open(4), "");
  EXPECT_EQ(c2->call(code::CONNECT_CLIENT_AUTH, req).error(), Error::not_authorized);
}

TEST(Auth, TextOnlyWhenEnabled) {
  test::TestServer with_text;
  auto c = connected(with_text);
  ASSERT_EQ(c->open(3), "");
  EXPECT_EQ(c->auth_text(test::kUser, test::kPassword), "");

  test::TestServer md5_only([](server::Config& cfg) { cfg.allow_auth_text = false; });
  auto d = connected(md5_only);
  ASSERT_EQ(d->open(3), "");
  EXPECT_NE(d->auth_text(test::kUser, test::kPassword).find("NDMP_ILLEGAL_ARGS_ERR"), std::string::npos);
  EXPECT_NE(d->auth_none().find("NDMP_ILLEGAL_ARGS_ERR"), std::string::npos);
}

TEST(Auth, EverythingButHandshakeRefusedBeforeLogin) {
  test::TestServer s;
  auto c = connected(s);
  ASSERT_EQ(c->open(4), "");
  for (uint32_t cd : {code::CONFIG_GET_HOST_INFO, code::CONFIG_GET_BUTYPE_INFO, code::CONFIG_GET_FS_INFO,
                      code::CONFIG_GET_TAPE_INFO, code::CONFIG_GET_SCSI_INFO, code::CONFIG_GET_CONNECTION_TYPE,
                      code::CONFIG_GET_EXT_LIST, code::TAPE_GET_STATE, code::SCSI_GET_STATE, code::DATA_GET_STATE,
                      code::MOVER_GET_STATE}) {
    auto r = c->call(cd);
    ASSERT_TRUE(r.ok) << msg::code_name(cd);
    EXPECT_EQ(r.header.error, Error::not_authorized) << msg::code_name(cd);
  }
  msg::TapeOpenRequest t;
  t.device = "emu-drive0";
  EXPECT_EQ(c->call(code::TAPE_OPEN, t).header.error, Error::not_authorized);
  // The auth-type discovery messages stay open.
  auto si = c->call(code::CONFIG_GET_SERVER_INFO);
  ASSERT_EQ(si.error(), Error::no_err);
  EXPECT_EQ(si.as<msg::ConfigGetServerInfoReply>().vendor, "");
  ASSERT_FALSE(si.as<msg::ConfigGetServerInfoReply>().auth_types.empty());
}

TEST(Auth, V2HostInfoIsServedBeforeLoginForItsAuthTypes) {
  test::TestServer s;
  auto c = connected(s);
  ASSERT_EQ(c->open(2), "");
  auto r = c->call(code::CONFIG_GET_HOST_INFO);
  ASSERT_EQ(r.error(), Error::no_err);
  EXPECT_FALSE(r.as<msg::ConfigGetHostInfoReply>().auth_types.empty());
}

TEST(Config, HostInfoNamesThisHost) {
  test::TestServer s;
  auto c = s.login(4);
  ASSERT_TRUE(c);
  auto r = c->call(code::CONFIG_GET_HOST_INFO);
  ASSERT_EQ(r.error(), Error::no_err);
  const auto& h = r.as<msg::ConfigGetHostInfoReply>();
  utsname u{};
  ::uname(&u);
  EXPECT_EQ(h.hostname, u.nodename);
  EXPECT_EQ(h.os_type, "Linux");
  EXPECT_EQ(h.os_vers, u.release);
  EXPECT_FALSE(h.hostid.empty());
  // hostid is stable: a second server on this host reports the same one.
  test::TestServer s2;
  auto c2 = s2.login(4);
  EXPECT_EQ(c2->call(code::CONFIG_GET_HOST_INFO).as<msg::ConfigGetHostInfoReply>().hostid, h.hostid);
}

TEST(Config, ServerInfoAfterLogin) {
  test::TestServer s;
  auto c = s.login(3);
  auto r = c->call(code::CONFIG_GET_SERVER_INFO);
  ASSERT_EQ(r.error(), Error::no_err);
  EXPECT_EQ(r.as<msg::ConfigGetServerInfoReply>().product, "ndmpd");
  EXPECT_FALSE(r.as<msg::ConfigGetServerInfoReply>().revision.empty());
}

TEST(Config, ButypeTarWithEnvAndVersionAttrs) {
  test::TestServer s;
  for (int v : {3, 4}) {
    auto c = s.login(v);
    auto r = c->call(code::CONFIG_GET_BUTYPE_INFO);
    ASSERT_EQ(r.error(), Error::no_err);
    const auto& b = r.as<msg::ConfigGetButypeInfoReply>().butypes;
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].name, "tar");
    EXPECT_FALSE(b[0].default_env.empty());
    EXPECT_EQ(b[0].attrs & 0x0200, v == 4 ? 0x0200u : 0u) << "0x0200 is only meaningful in v4";
    EXPECT_EQ(b[0].attrs & 0x0400, v == 4 ? 0x0400u : 0u) << "v4 BACKUP_FH_DIR: node history (HIST=d) is offered";
    EXPECT_EQ(b[0].attrs & 0x0008, 0x0008u) << "BACKUP_DIRECT: file and node history carry fh_info";
  }
  auto c2 = s.login(2);
  msg::ConfigGetButypeAttrRequest q;
  q.name = "tar";
  EXPECT_EQ(c2->call(code::CONFIG_GET_BUTYPE_ATTR, q).error(), Error::no_err);
  q.name = "dump";
  EXPECT_EQ(c2->call(code::CONFIG_GET_BUTYPE_ATTR, q).error(), Error::illegal_args);
}

TEST(Config, FsInfoListsEachExportWithSizes) {
  test::TestServer s;
  auto c = s.login(4);
  auto r = c->call(code::CONFIG_GET_FS_INFO);
  ASSERT_EQ(r.error(), Error::no_err);
  const auto& fs = r.as<msg::ConfigGetFsInfoReply>().fs;
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].logical_device, (s.dir() / "export").string());
  EXPECT_GT(fs[0].total_size, 0u);
  EXPECT_GE(fs[0].total_size, fs[0].avail_size);
  EXPECT_EQ(fs[0].invalid, 0u);
}

TEST(Config, ConnectionTypesLocalAndTcp) {
  test::TestServer s;
  auto c = s.login(2);
  auto r = c->call(code::CONFIG_GET_CONNECTION_TYPE);
  ASSERT_EQ(r.error(), Error::no_err);
  auto types = r.as<msg::ConfigGetConnectionTypeReply>().types;
  EXPECT_EQ(types, (std::vector<msg::AddrType>{msg::AddrType::local, msg::AddrType::tcp}));
}

TEST(Config, ExtListNegotiationRules) {
  test::TestServer s;
  auto c = s.login(4);
  msg::ConfigSetExtListRequest set;
  EXPECT_EQ(c->call(code::CONFIG_SET_EXT_LIST, set).error(), Error::precondition);
  EXPECT_EQ(c->call(code::CONFIG_GET_EXT_LIST).error(), Error::no_err);
  set.selections.push_back({0x2050, 1});
  EXPECT_EQ(c->call(code::CONFIG_SET_EXT_LIST, set).error(), Error::class_not_supported);
  set.selections.clear();
  EXPECT_EQ(c->call(code::CONFIG_SET_EXT_LIST, set).error(), Error::no_err);
  EXPECT_EQ(c->call(code::CONFIG_GET_EXT_LIST).error(), Error::ext_dandn_illegal);
  EXPECT_EQ(c->call(code::CONFIG_SET_EXT_LIST, set).error(), Error::ext_dandn_illegal);
}

TEST(Dispatch, UnknownAndV1MessagesAreNotSupported) {
  test::TestServer s;
  auto c = s.login(4);
  for (uint32_t cd : {0x306u, 0x408u, 0x8000u, 0xF000u}) {
    auto r = c->call_raw(cd, {});
    ASSERT_TRUE(r.ok) << std::hex << cd;
    EXPECT_EQ(r.header.error, Error::not_supported) << std::hex << cd;
  }
  // A message that exists only in another version.
  auto v2 = s.login(2);
  EXPECT_EQ(v2->call_raw(code::CONFIG_GET_SERVER_INFO, {}).header.error, Error::not_supported);
}

// The server closed the connection: an orderly end (0), or a reset when it
// closed with our unread garbage still in its receive buffer.
bool closed_by_server(int fd) {
  char b;
  ssize_t n = ::recv(fd, &b, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

std::vector<uint8_t> framed(const std::vector<uint8_t>& rec) {
  std::vector<uint8_t> out;
  xdr::append_record(out, rec);
  return out;
}

std::vector<uint8_t> request_header(uint32_t seq, uint32_t code) {
  std::vector<uint8_t> h;
  for (uint32_t w : {seq, static_cast<uint32_t>(std::time(nullptr)), 0u, code, 0u, 0u})
    for (int i = 3; i >= 0; --i) h.push_back(static_cast<uint8_t>(w >> (8 * i)));
  return h;
}

TEST(BadInput, TruncatedBodyGetsXdrDecodeErrorAndSessionGoesOn) {
  test::TestServer s;
  auto c = s.login(4);
  // TAPE_OPEN with only half of its string: header decodes, body does not.
  auto rec = request_header(100, code::TAPE_OPEN);
  for (uint8_t b : std::vector<uint8_t>{0, 0, 0, 10, 97, 98}) rec.push_back(b);
  ASSERT_TRUE(c->send_raw(framed(rec)));
  // The reply to sequence 100 is XDR_DECODE_ERR; a following call still works.
  auto r = c->call(code::CONFIG_GET_HOST_INFO);
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.error(), Error::no_err);
}

TEST(BadInput, OversizedRecordClosesOnlyThatConnection) {
  test::TestServer s;
  auto bystander = s.login(4);
  auto attacker = connected(s);
  // A fragment header announcing 1 GiB: over the cap before any byte of it arrives.
  ASSERT_TRUE(attacker->send_raw({0xC0, 0x00, 0x00, 0x00, 1, 2, 3, 4}));
  EXPECT_TRUE(closed_by_server(attacker->fd())) << "server should close the oversized connection";
  auto r = bystander->call(code::CONFIG_GET_HOST_INFO);
  EXPECT_EQ(r.error(), Error::no_err) << r.failure;
}

TEST(BadInput, RepeatedGarbageClosesTheConnection) {
  test::TestServer s;
  auto c = connected(s);
  for (int i = 0; i < 10; ++i) c->send_raw(framed({1, 2, 3}));
  EXPECT_TRUE(closed_by_server(c->fd()));
  EXPECT_NE(s.login(3), nullptr);
}

TEST(BadInput, TruncatedRecordThenDisconnectLeavesServerServing) {
  test::TestServer s;
  {
    auto c = connected(s);
    c->send_raw({0x80, 0, 0, 100, 0, 0});  // promises 100 bytes, sends 2
  }
  EXPECT_NE(s.login(4), nullptr);
}

TEST(Sessions, ManyIdleSessionsDoNotBlockANewOne) {
  test::TestServer s;
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 256; ++i) {
    auto c = std::make_unique<Client>();
    ASSERT_EQ(c->connect("127.0.0.1", s.port()), "") << i;
    idle.push_back(std::move(c));
  }
  auto c = s.login(4);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->call(code::CONFIG_GET_HOST_INFO).error(), Error::no_err);
}

TEST(Sessions, ConnectCloseGetsNoReplyAndEndsSession) {
  test::TestServer s;
  auto c = s.login(4);
  msg::Empty e;
  ASSERT_TRUE(c->send_only(code::CONNECT_CLOSE, e));
  EXPECT_TRUE(closed_by_server(c->fd()));
}

}  // namespace
}  // namespace ndmp

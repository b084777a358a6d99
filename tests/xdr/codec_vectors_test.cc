// Byte-exact wire vectors: the connect sequence of facts 1.5 and the layouts
// that differ between versions (facts 4.4, 4.5, 4.0).
#include <gtest/gtest.h>

#include <string>

#include "xdr/codec.h"
#include "xdr/record.h"

namespace ndmp::xdr {
namespace {

using namespace ndmp::msg;

// "80000024 00000001" -> bytes; spaces ignored.
std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> out;
  std::string digits;
  for (char c : s)
    if (c != ' ' && c != '\n') digits += c;
  for (size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return out;
}

std::vector<uint8_t> framed(int v, const Header& h, const Body* b) {
  std::vector<uint8_t> rec, out;
  EXPECT_TRUE(encode(v, h, b, rec));
  append_record(out, rec);
  return out;
}

std::vector<uint8_t> body_only(int v, const Header& h, const Body* b) {
  std::vector<uint8_t> rec;
  EXPECT_TRUE(encode(v, h, b, rec));
  return std::vector<uint8_t>(rec.begin() + kHeaderSize, rec.end());
}

Header reply(uint32_t code) {
  Header h;
  h.sequence = 5;
  h.type = MessageType::reply;
  h.code = code;
  h.reply_sequence = 4;
  return h;
}

constexpr uint32_t kTime = 0x6740A000;

TEST(WireVectors, ServerGreetingMatchesFacts15) {
  Header h;
  h.sequence = 1;
  h.time_stamp = kTime;
  h.code = code::NOTIFY_CONNECTION_STATUS;
  NotifyConnectionStatusPost p;
  p.reason = ConnectReason::connected;
  p.protocol_version = 4;
  const auto want = hex("80000024 00000001 6740A000 00000000 00000502 00000000 00000000 00000000 00000004 00000000");
  for (int v : {0, 4}) EXPECT_EQ(framed(v, h, &p), want) << "version " << v;
}

TEST(WireVectors, ConnectOpenAndItsReplyMatchFacts15) {
  Header open;
  open.sequence = 1;
  open.time_stamp = kTime;
  open.code = code::CONNECT_OPEN;
  ConnectOpenRequest req;
  req.protocol_version = 4;
  EXPECT_EQ(framed(0, open, &req), hex("8000001C 00000001 6740A000 00000000 00000900 00000000 00000000 00000004"));

  Header rep;
  rep.sequence = 2;
  rep.time_stamp = kTime;
  rep.type = MessageType::reply;
  rep.code = code::CONNECT_OPEN;
  rep.reply_sequence = 1;
  ErrorReply ok;
  EXPECT_EQ(framed(0, rep, &ok), hex("8000001C 00000002 6740A000 00000001 00000900 00000001 00000000 00000000"));
}

TEST(WireVectors, HeaderErrorReplyHasNoBodyEvenForAnUnknownCode) {
  Header h = reply(0x408);  // v1 DATA_CONTINUE: unknown in every version
  h.error = Error::not_supported;
  std::vector<uint8_t> rec;
  ASSERT_TRUE(encode(4, h, nullptr, rec));
  EXPECT_EQ(rec, hex("00000005 00000000 00000001 00000408 00000004 00000001"));
  DecodeResult r = decode(4, rec);
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_EQ(r.message.header.error, Error::not_supported);
  EXPECT_NE(dynamic_cast<Empty*>(r.message.body.get()), nullptr);
}

TapeGetStateReply tape_state() {
  TapeGetStateReply t;
  t.invalid = 0x40;
  t.error = Error::no_err;
  t.flags = 0x10;
  t.file_num = 2;
  t.soft_errors = 3;
  t.block_size = 0;
  t.blockno = 5;
  t.total_space = 0x0000000100000006ull;
  t.space_remain = 7;
  t.partition = 8;
  return t;
}

TEST(WireVectors, TapeGetStateV2HasNoMaskAndNoPartition) {
  const auto t = tape_state();
  EXPECT_EQ(body_only(2, reply(code::TAPE_GET_STATE), &t),
            hex("00000000 00000010 00000002 00000003 00000000 00000005 00000001 00000006 00000000 00000007"));
}

TEST(WireVectors, TapeGetStateV3StartsWithInvalidAndEndsWithPartition) {
  const auto t = tape_state();
  EXPECT_EQ(body_only(3, reply(code::TAPE_GET_STATE), &t),
            hex("00000040 00000000 00000010 00000002 00000003 00000000 00000005 00000001 00000006 00000000 00000007 "
                "00000008"));
}

TEST(WireVectors, TapeGetStateV4StartsWithUnsupportedAndHasNoPartition) {
  const auto t = tape_state();
  EXPECT_EQ(body_only(4, reply(code::TAPE_GET_STATE), &t),
            hex("00000040 00000000 00000010 00000002 00000003 00000000 00000005 00000001 00000006 00000000 00000007"));
}

TEST(WireVectors, MoverGetStateV4PutsModeSecondAndEndsWithTheAddressList) {
  MoverGetStateReply m;
  m.mode = MoverMode::write;
  m.state = MoverState::active;
  m.pause_reason = MoverPauseReason::na;
  m.halt_reason = MoverHaltReason::na;
  m.record_size = 0x2800;
  m.record_num = 9;
  m.bytes_moved = 0x10;
  m.seek_position = 0x11;
  m.bytes_left_to_read = 0x12;
  m.window_offset = 0x13;
  m.window_length = ~0ull;
  m.connection.type = AddrType::tcp;
  m.connection.tcp = {{0x7F000001, 10001, {}}};
  EXPECT_EQ(body_only(4, reply(code::MOVER_GET_STATE), &m),
            hex("00000000 00000001 00000002 00000000 00000000 00002800 00000009 "
                "00000000 00000010 00000000 00000011 00000000 00000012 00000000 00000013 FFFFFFFF FFFFFFFF "
                "00000001 00000001 7F000001 00002711 00000000"));
  // v3: no mode; the address is a single endpoint without a count.
  EXPECT_EQ(body_only(3, reply(code::MOVER_GET_STATE), &m),
            hex("00000000 00000002 00000000 00000000 00002800 00000009 "
                "00000000 00000010 00000000 00000011 00000000 00000012 00000000 00000013 FFFFFFFF FFFFFFFF "
                "00000001 7F000001 00002711"));
  // v2: no mode, no address.
  EXPECT_EQ(body_only(2, reply(code::MOVER_GET_STATE), &m),
            hex("00000000 00000002 00000000 00000000 00002800 00000009 "
                "00000000 00000010 00000000 00000011 00000000 00000012 00000000 00000013 FFFFFFFF FFFFFFFF"));
}

TEST(WireVectors, V4TcpAddressIsACountedListWithEnv) {
  MoverListenReply r;
  r.addr.type = AddrType::tcp;
  r.addr.tcp = {{0xC0000201, 10000, {{"A", "bc"}}}, {0x0A000001, 10001, {}}};
  EXPECT_EQ(body_only(4, reply(code::MOVER_LISTEN), &r),
            hex("00000000 00000001 00000002 "
                "C0000201 00002710 00000001 00000001 41000000 00000002 62630000 "
                "0A000001 00002711 00000000"));
}

TEST(WireVectors, Md5AuthDigestIsFixedOpaqueWithoutLength) {
  Header h;
  h.sequence = 3;
  h.code = code::CONNECT_CLIENT_AUTH;
  ConnectClientAuthRequest a;
  a.auth.type = AuthType::md5;
  a.auth.id = "ndmp";
  for (size_t i = 0; i < 16; ++i) a.auth.digest[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(body_only(4, h, &a), hex("00000002 00000004 6E646D70 00010203 04050607 08090A0B 0C0D0E0F"));
}

TEST(WireVectors, DataStartRecoverPutsTheButypeLast) {
  Header h;
  h.code = code::DATA_START_RECOVER;
  DataStartRecoverRequest r;
  r.env = {{"X", "y"}};
  r.butype = "tar";
  EXPECT_EQ(body_only(4, h, &r), hex("00000001 00000001 58000000 00000001 79000000 00000000 00000003 74617200"));
  // v2 adds the mover address first (LOCAL = no arm).
  EXPECT_EQ(body_only(2, h, &r),
            hex("00000000 00000001 00000001 58000000 00000001 79000000 00000000 00000003 74617200"));
}

}  // namespace
}  // namespace ndmp::xdr

// Input a peer may send on purpose or by mistake: short records, unknown
// codes, truncated bodies, absurd counts, garbage. Decoding must answer with a
// status, never crash, never allocate beyond the .x bounds.
#include <gtest/gtest.h>

#include <random>

#include "samples.h"
#include "xdr/codec.h"

namespace ndmp::xdr::test {
namespace {

using namespace ndmp::msg;

std::vector<uint8_t> words(std::initializer_list<uint32_t> w) {
  std::vector<uint8_t> out;
  for (uint32_t x : w) {
    out.push_back(static_cast<uint8_t>(x >> 24));
    out.push_back(static_cast<uint8_t>(x >> 16));
    out.push_back(static_cast<uint8_t>(x >> 8));
    out.push_back(static_cast<uint8_t>(x));
  }
  return out;
}

// A request header for `code` followed by `body` words.
std::vector<uint8_t> request(uint32_t code, std::initializer_list<uint32_t> body) {
  auto out = words({1, 0, 0, code, 0, 0});
  auto b = words(body);
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

TEST(HostileInput, FewerThan24BytesIsAShortRecord) {
  auto rec = request(code::CONNECT_OPEN, {});
  rec.pop_back();
  EXPECT_EQ(decode(4, rec).status, DecodeStatus::short_record);
  EXPECT_EQ(decode(4, {}).status, DecodeStatus::short_record);
}

TEST(HostileInput, MessageTypeOtherThanRequestOrReplyIsABadHeader) {
  auto rec = words({1, 0, 2, code::CONNECT_OPEN, 0, 0, 4});
  EXPECT_EQ(decode(4, rec).status, DecodeStatus::bad_header);
}

TEST(HostileInput, UnknownCodesAreReportedWithTheHeaderFilled) {
  for (int v : {2, 3, 4}) {
    DecodeResult r = decode(v, request(0x408, {}));  // v1 DATA_CONTINUE
    EXPECT_EQ(r.status, DecodeStatus::unknown_code);
    EXPECT_EQ(r.message.header.code, 0x408u);
    EXPECT_EQ(r.message.header.sequence, 1u);
  }
  EXPECT_EQ(decode(2, request(code::DATA_LISTEN, {1})).status, DecodeStatus::unknown_code);
  EXPECT_EQ(decode(3, request(code::CONFIG_GET_EXT_LIST, {})).status, DecodeStatus::unknown_code);
  EXPECT_EQ(decode(4, request(code::SCSI_RESET_BUS, {})).status, DecodeStatus::unknown_code);
  EXPECT_EQ(decode(4, request(0x2000'0001, {})).status, DecodeStatus::unknown_code);
  // Before negotiation only the three handshake messages exist.
  EXPECT_EQ(decode(0, request(code::CONFIG_GET_HOST_INFO, {})).status, DecodeStatus::unknown_code);
  EXPECT_EQ(decode(0, request(code::CONNECT_OPEN, {3})).status, DecodeStatus::ok);
  // An unsupported version still yields the header.
  DecodeResult r = decode(7, request(code::CONNECT_OPEN, {7}));
  EXPECT_EQ(r.status, DecodeStatus::unknown_code);
  EXPECT_EQ(r.message.header.code, code::CONNECT_OPEN);
}

TEST(HostileInput, AReplyToAPostIsUnknown) {
  auto rec = words({1, 0, 1, code::NOTIFY_DATA_HALTED, 1, 0, 1});
  EXPECT_EQ(decode(4, rec).status, DecodeStatus::unknown_code);
}

TEST(HostileInput, EveryTruncatedBodyIsABadBody) {
  for (int v : {2, 3, 4}) {
    for (const Sample& s : samples(v)) {
      Header h;
      h.type = s.type;
      h.code = s.code;
      std::vector<uint8_t> full;
      ASSERT_TRUE(encode(v, h, s.body.get(), full)) << s.name;
      // Every 4-byte boundary short of the end; large payloads are sampled.
      const size_t step = full.size() > 4096 ? 1024 : 4;
      for (size_t len = kHeaderSize + 4; len < full.size(); len += step) {
        std::vector<uint8_t> cut(full.begin(), full.begin() + len);
        ASSERT_EQ(decode(v, cut).status, DecodeStatus::bad_body) << "v" << v << " " << s.name << " cut at " << len;
      }
      if (full.size() > kHeaderSize) {
        std::vector<uint8_t> cut(full.begin(), full.begin() + kHeaderSize);
        EXPECT_EQ(decode(v, cut).status, DecodeStatus::bad_body) << "v" << v << " " << s.name << " header only";
      }
    }
  }
}

TEST(HostileInput, HugeArrayCountsFailWithoutAllocating) {
  // FH_ADD_FILE with 0x7fffffff files and nothing after the count.
  EXPECT_EQ(decode(4, request(code::FH_ADD_FILE, {0x7fffffff})).status, DecodeStatus::bad_body);
  EXPECT_EQ(decode(3, request(code::FH_ADD_DIR, {0xffffffff})).status, DecodeStatus::bad_body);
  EXPECT_EQ(decode(2, request(code::FH_ADD_UNIX_PATH, {0x80000000})).status, DecodeStatus::bad_body);
  // DATA_START_BACKUP v4: butype "tar", then an env count of 0x7fffffff.
  EXPECT_EQ(decode(4, request(code::DATA_START_BACKUP, {3, 0x74617200, 0x7fffffff})).status, DecodeStatus::bad_body);
  // At the bound exactly: accepted by the bound, then fails for lack of data.
  EXPECT_EQ(decode(4, request(code::DATA_START_BACKUP, {3, 0x74617200, 65536})).status, DecodeStatus::bad_body);
  // Nested: one file whose names list claims 0x7fffffff entries.
  EXPECT_EQ(decode(4, request(code::FH_ADD_FILE, {1, 0x7fffffff})).status, DecodeStatus::bad_body);
}

TEST(HostileInput, HugeStringAndOpaqueLengthsFail) {
  EXPECT_EQ(decode(4, request(code::SCSI_OPEN, {0x7fffffff})).status, DecodeStatus::bad_body);
  EXPECT_EQ(decode(4, request(code::SCSI_OPEN, {0xffffffff})).status, DecodeStatus::bad_body);
  EXPECT_EQ(decode(4, request(code::TAPE_WRITE, {0xfffffff0})).status, DecodeStatus::bad_body);
  // Within the bound but longer than the record.
  EXPECT_EQ(decode(4, request(code::TAPE_WRITE, {1000, 1, 2})).status, DecodeStatus::bad_body);
}

TEST(HostileInput, UnknownUnionArmsFail) {
  // CONNECT_CLIENT_AUTH with auth_type 9.
  EXPECT_EQ(decode(4, request(code::CONNECT_CLIENT_AUTH, {9, 0})).status, DecodeStatus::bad_body);
  // DATA_CONNECT v4 with addr_type 2 (FC, reserved in v4: no arm).
  EXPECT_EQ(decode(4, request(code::DATA_CONNECT, {2, 5})).status, DecodeStatus::bad_body);
  // v3 accepts FC.
  EXPECT_EQ(decode(3, request(code::DATA_CONNECT, {2, 5})).status, DecodeStatus::ok);
}

TEST(HostileInput, TrailingBytesAfterACompleteBodyAreIgnored) {
  DecodeResult r = decode(4, request(code::CONNECT_OPEN, {3, 0xdeadbeef}));
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_EQ(dynamic_cast<ConnectOpenRequest&>(*r.message.body).protocol_version, 3);
}

TEST(Interop, NdmjobStyleSetExtListDecodesAsAnEmptySelection) {
  // ndmjob's ndmp4.x: error (0), then class_list<> of {class_id, versions<>}.
  DecodeResult r = decode(4, request(code::CONFIG_SET_EXT_LIST, {0, 1, 0x2001, 1, 1}));
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_TRUE(dynamic_cast<ConfigSetExtListRequest&>(*r.message.body).selections.empty());
}

TEST(HostileInput, OutOfRangeEnumValuesAreCarriedForTheHandlerToReject) {
  DecodeResult r = decode(4, request(code::TAPE_OPEN, {1, 0x41000000, 77}));
  ASSERT_EQ(r.status, DecodeStatus::ok);
  EXPECT_EQ(static_cast<uint32_t>(dynamic_cast<TapeOpenRequest&>(*r.message.body).mode), 77u);
}

TEST(HostileInput, MutatedValidMessagesNeverCrash) {
  std::mt19937 rng(20241122);  // fixed seed: the same inputs every run
  size_t decoded_ok = 0, rejected = 0;
  for (int v : {2, 3, 4}) {
    for (const Sample& s : samples(v)) {
      Header h;
      h.type = s.type;
      h.code = s.code;
      std::vector<uint8_t> full;
      ASSERT_TRUE(encode(v, h, s.body.get(), full));
      if (full.size() > 4096) full.resize(4096);
      for (int i = 0; i < 40; ++i) {
        std::vector<uint8_t> m = full;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
          const size_t pos = kHeaderSize + rng() % std::max<size_t>(1, m.size() - kHeaderSize);
          if (pos < m.size()) m[pos] = static_cast<uint8_t>(rng());
        }
        DecodeResult r = decode(v, m);
        (r.status == DecodeStatus::ok ? decoded_ok : rejected)++;
        if (r.status == DecodeStatus::ok) {
          ASSERT_NE(r.message.body, nullptr);
        }
      }
    }
  }
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(decoded_ok, 0u);
}

TEST(EncodeMismatch, WrongBodyTypeIsRefused) {
  Header h;
  h.code = code::TAPE_OPEN;
  ScsiOpenRequest wrong;
  std::vector<uint8_t> out{1, 2, 3};
  EXPECT_FALSE(encode(4, h, &wrong, out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(encode(4, h, nullptr, out));  // non-void body missing
  Empty e;
  h.code = code::TAPE_CLOSE;
  EXPECT_TRUE(encode(4, h, &e, out));
  EXPECT_TRUE(encode(4, h, nullptr, out));  // void body may be null
  EXPECT_EQ(out.size(), kHeaderSize);
  EXPECT_FALSE(encode(4, h, &wrong, out));  // void body must be Empty if given
}

TEST(EncodeMismatch, CodesAndDirectionsTheVersionLacksAreRefused) {
  Header h;
  h.code = code::SCSI_SET_TARGET;
  ScsiSetTargetRequest t;
  std::vector<uint8_t> out;
  EXPECT_TRUE(encode(3, h, &t, out));
  EXPECT_FALSE(encode(4, h, &t, out));
  h.code = code::NOTIFY_DATA_HALTED;
  h.type = MessageType::reply;
  ErrorReply r;
  EXPECT_FALSE(encode(4, h, &r, out));
  h.type = static_cast<MessageType>(5);
  EXPECT_FALSE(encode(4, h, &r, out));
  h.type = MessageType::request;
  EXPECT_FALSE(encode(9, h, &r, out));
}

TEST(EncodeMismatch, AddressesTheVersionCannotExpressAreRefused) {
  Header h;
  h.code = code::MOVER_CONNECT;
  MoverConnectRequest c;
  c.addr.type = AddrType::tcp;  // v3 needs exactly one endpoint; none given
  std::vector<uint8_t> out;
  EXPECT_FALSE(encode(3, h, &c, out));
  c.addr.tcp = {{0x7F000001, 1, {}}};
  EXPECT_TRUE(encode(3, h, &c, out));
  c.addr.type = AddrType::fc;  // reserved in v4
  EXPECT_FALSE(encode(4, h, &c, out));
  EXPECT_TRUE(encode(3, h, &c, out));
  h.code = code::CONNECT_CLIENT_AUTH;
  ConnectClientAuthRequest a;
  a.auth.type = static_cast<AuthType>(9);
  EXPECT_FALSE(encode(4, h, &a, out));
}

}  // namespace
}  // namespace ndmp::xdr::test

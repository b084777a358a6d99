// TAPE_WRITE decoded into a connection's reused buffer (issue 19): the same
// message as the general decode for every version, the same status for a
// truncated or lying body, and the same buffer record after record.
#include <gtest/gtest.h>

#include "xdr/codec.h"

namespace ndmp::xdr::test {
namespace {

using namespace ndmp::msg;

std::vector<uint8_t> tape_write(uint32_t seq, const std::vector<uint8_t>& data, int version) {
  Header h;
  h.sequence = seq;
  h.time_stamp = 1700000000;
  h.code = code::TAPE_WRITE;
  TapeWriteRequest m;
  m.data = data;
  std::vector<uint8_t> out;
  EXPECT_TRUE(encode(version, h, &m, out));
  return out;
}

void same(const DecodeResult& a, const DecodeResult& b) {
  ASSERT_EQ(a.status, b.status);
  EXPECT_EQ(a.message.header.sequence, b.message.header.sequence);
  EXPECT_EQ(a.message.header.time_stamp, b.message.header.time_stamp);
  EXPECT_EQ(a.message.header.code, b.message.header.code);
  EXPECT_EQ(a.message.header.type, b.message.header.type);
  if (a.status != DecodeStatus::ok) return;
  auto* x = dynamic_cast<const TapeWriteRequest*>(a.message.body.get());
  auto* y = dynamic_cast<const TapeWriteRequest*>(b.message.body.get());
  ASSERT_NE(x, nullptr);
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(*x, *y);
}

TEST(ScratchDecode, TapeWriteIsTheSameMessageInEveryVersion) {
  for (int v : {2, 3, 4}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{512}, size_t{65536}, size_t{65537}}) {
      std::vector<uint8_t> data(n);
      for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 7 + n);
      auto rec = tape_write(5, data, v);
      DecodeScratch scratch;
      SCOPED_TRACE("v" + std::to_string(v) + ", " + std::to_string(n) + " bytes");
      same(decode(v, rec, scratch), decode(v, rec));
    }
  }
}

TEST(ScratchDecode, OneBufferServesRecordAfterRecord) {
  DecodeScratch scratch;
  const uint8_t* first = nullptr;
  for (uint32_t i = 1; i <= 5; ++i) {
    std::vector<uint8_t> data(65536, static_cast<uint8_t>(i));
    auto rec = tape_write(i, data, 4);
    auto r = decode(4, rec, scratch);
    ASSERT_EQ(r.status, DecodeStatus::ok);
    auto* m = dynamic_cast<const TapeWriteRequest*>(r.message.body.get());
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->data, data) << "record " << i;
    if (i == 1) first = m->data.data();
    else EXPECT_EQ(m->data.data(), first) << "record " << i << " was decoded into a new buffer";
    recycle(r, scratch);
    EXPECT_TRUE(scratch.tape_write) << "the buffer was not taken back";
  }
}

TEST(ScratchDecode, TruncatedOrLyingBodyGetsTheGeneralStatus) {
  auto rec = tape_write(9, std::vector<uint8_t>(100, 1), 4);
  DecodeScratch scratch;
  auto cut = rec;
  cut.resize(cut.size() - 10);  // the bytes end before the length says
  same(decode(4, cut, scratch), decode(4, cut));
  EXPECT_EQ(decode(4, cut, scratch).status, DecodeStatus::bad_body);
  auto lying = rec;
  lying[24] = 0xff;  // a length of about 4 GiB
  same(decode(4, lying, scratch), decode(4, lying));
  EXPECT_EQ(decode(4, lying, scratch).status, DecodeStatus::bad_body);
  auto no_len = std::vector<uint8_t>(rec.begin(), rec.begin() + 26);
  same(decode(4, no_len, scratch), decode(4, no_len));
}

TEST(ScratchDecode, OtherMessagesAndRepliesTakeTheGeneralPath) {
  Header h;
  h.sequence = 3;
  h.code = code::TAPE_WRITE;
  h.type = MessageType::reply;
  h.reply_sequence = 2;
  TapeWriteReply reply;
  reply.count = 42;
  std::vector<uint8_t> rec;
  ASSERT_TRUE(encode(4, h, &reply, rec));
  DecodeScratch scratch;
  auto r = decode(4, rec, scratch);
  ASSERT_EQ(r.status, DecodeStatus::ok);
  auto* m = dynamic_cast<const TapeWriteReply*>(r.message.body.get());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->count, 42u);
  recycle(r, scratch);
  EXPECT_FALSE(scratch.tape_write) << "a reply body was taken as the request buffer";
  // Before negotiation TAPE_WRITE is unknown, as in the general decode.
  auto early = tape_write(1, std::vector<uint8_t>(8, 1), 4);
  same(decode(0, early, scratch), decode(0, early));
  EXPECT_EQ(decode(0, early, scratch).status, DecodeStatus::unknown_code);
}

}  // namespace
}  // namespace ndmp::xdr::test

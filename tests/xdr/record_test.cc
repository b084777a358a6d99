// XDR record marking: fragments, cap, truncation, feeding patterns.
#include <gtest/gtest.h>

#include <numeric>

#include "xdr/record.h"

namespace ndmp::xdr {
namespace {

using Status = RecordReader::Status;

std::vector<uint8_t> payload(size_t n) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i * 13 + 1);
  return p;
}

void fragment(std::vector<uint8_t>& out, std::span<const uint8_t> data, bool last) {
  const uint32_t w = static_cast<uint32_t>(data.size()) | (last ? kLastFragment : 0u);
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(w >> s));
  out.insert(out.end(), data.begin(), data.end());
}

TEST(RecordReader, OneFragmentRecordIsComplete) {
  const auto p = payload(28);
  std::vector<uint8_t> wire;
  fragment(wire, p, true);
  RecordReader r(1024);
  EXPECT_TRUE(r.idle());
  size_t used = 0;
  ASSERT_EQ(r.feed(wire, used), Status::complete);
  EXPECT_EQ(used, wire.size());
  EXPECT_EQ(r.take(), p);
  EXPECT_TRUE(r.idle());
}

TEST(RecordReader, MultiFragmentRecordIsReassembled) {
  const auto p = payload(10000);
  std::vector<uint8_t> wire;
  fragment(wire, std::span(p).subspan(0, 4000), false);
  fragment(wire, std::span(p).subspan(4000, 4000), false);
  fragment(wire, std::span(p).subspan(8000), true);
  RecordReader r(1 << 20);
  size_t used = 0;
  ASSERT_EQ(r.feed(wire, used), Status::complete);
  EXPECT_EQ(r.take(), p);
}

TEST(RecordReader, ByteAtATimeFeedingGivesTheSameRecords) {
  const auto a = payload(33), b = payload(7);
  std::vector<uint8_t> wire;
  fragment(wire, std::span(a).subspan(0, 5), false);
  fragment(wire, std::span(a).subspan(5), true);
  fragment(wire, b, true);
  RecordReader r(1024);
  std::vector<std::vector<uint8_t>> got;
  for (uint8_t byte : wire) {
    size_t used = 0;
    const Status s = r.feed(std::span(&byte, 1), used);
    EXPECT_EQ(used, 1u);
    if (s == Status::complete) {
      got.push_back(r.take());
    } else {
      EXPECT_EQ(s, Status::need_more);
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], a);
  EXPECT_EQ(got[1], b);
}

TEST(RecordReader, StopsAtTheEndOfTheFirstRecordAndLeavesTheRest) {
  const auto a = payload(8), b = payload(12);
  std::vector<uint8_t> wire;
  fragment(wire, a, true);
  const size_t first = wire.size();
  fragment(wire, b, true);
  RecordReader r(1024);
  size_t used = 0;
  ASSERT_EQ(r.feed(wire, used), Status::complete);
  EXPECT_EQ(used, first);
  // Not taken yet: feeding again consumes nothing.
  size_t again = 99;
  EXPECT_EQ(r.feed(std::span(wire).subspan(used), again), Status::complete);
  EXPECT_EQ(again, 0u);
  EXPECT_EQ(r.take(), a);
  ASSERT_EQ(r.feed(std::span(wire).subspan(used), again), Status::complete);
  EXPECT_EQ(r.take(), b);
}

TEST(RecordReader, ExactlyAtTheCapIsAccepted) {
  const auto p = payload(4096);
  std::vector<uint8_t> wire;
  fragment(wire, std::span(p).subspan(0, 1000), false);
  fragment(wire, std::span(p).subspan(1000), true);
  RecordReader r(4096);
  size_t used = 0;
  ASSERT_EQ(r.feed(wire, used), Status::complete);
  EXPECT_EQ(r.take(), p);
}

TEST(RecordReader, OneByteOverTheCapIsTooLargeBeforeBuffering) {
  RecordReader r(4096);
  std::vector<uint8_t> wire;
  const uint32_t w = 4097 | kLastFragment;
  for (int s = 24; s >= 0; s -= 8) wire.push_back(static_cast<uint8_t>(w >> s));
  size_t used = 0;
  EXPECT_EQ(r.feed(wire, used), Status::too_large);  // judged on the header alone
  EXPECT_EQ(r.feed(wire, used), Status::too_large);  // and stays so
  EXPECT_FALSE(r.idle());
}

TEST(RecordReader, CapCountsAllFragmentsOfARecord) {
  const auto p = payload(3000);
  std::vector<uint8_t> wire;
  fragment(wire, p, false);
  fragment(wire, p, true);
  RecordReader r(5999);
  size_t used = 0;
  EXPECT_EQ(r.feed(wire, used), Status::too_large);
}

TEST(RecordReader, HugeFragmentLengthIsTooLarge) {
  RecordReader r(1 << 20);
  const std::vector<uint8_t> wire = {0xff, 0xff, 0xff, 0xff};
  size_t used = 0;
  EXPECT_EQ(r.feed(wire, used), Status::too_large);
}

TEST(RecordReader, ZeroLengthFragmentsAreAllowed) {
  const auto p = payload(9);
  std::vector<uint8_t> wire;
  fragment(wire, {}, false);
  fragment(wire, p, false);
  fragment(wire, {}, true);
  RecordReader r(64);
  size_t used = 0;
  ASSERT_EQ(r.feed(wire, used), Status::complete);
  EXPECT_EQ(r.take(), p);
  // An empty record is a record (the decoder then calls it short).
  std::vector<uint8_t> empty;
  fragment(empty, {}, true);
  ASSERT_EQ(r.feed(empty, used), Status::complete);
  EXPECT_TRUE(r.take().empty());
}

TEST(RecordReader, EndlessEmptyFragmentsHitTheFragmentLimit) {
  RecordReader r(1 << 20, 100);
  std::vector<uint8_t> wire;
  for (int i = 0; i < 101; ++i) fragment(wire, {}, false);
  size_t used = 0;
  EXPECT_EQ(r.feed(wire, used), Status::too_large);
  EXPECT_LE(used, wire.size());
}

TEST(RecordReader, TruncatedRecordIsNeedMore) {
  const auto p = payload(100);
  std::vector<uint8_t> wire;
  fragment(wire, p, true);
  RecordReader r(1024);
  size_t used = 0;
  EXPECT_EQ(r.feed(std::span(wire).subspan(0, 50), used), Status::need_more);
  EXPECT_EQ(used, 50u);
  EXPECT_FALSE(r.idle());  // EOF now would cut a record: the session decides
  EXPECT_TRUE(r.take().empty());
  EXPECT_EQ(r.feed(std::span(wire).subspan(50), used), Status::complete);
  EXPECT_EQ(r.take(), p);
  // A partial fragment header is need_more too.
  EXPECT_EQ(r.feed(std::span(wire).subspan(0, 3), used), Status::need_more);
  EXPECT_FALSE(r.idle());
}

TEST(RecordReader, TakeIntoSwapsBuffersSoTheyCanBeReused) {
  const auto a = payload(300), b = payload(20);
  std::vector<uint8_t> wire;
  fragment(wire, a, true);
  fragment(wire, b, true);
  RecordReader r(1024);
  std::vector<uint8_t> buf;
  EXPECT_FALSE(r.take_into(buf));
  size_t used = 0;
  ASSERT_EQ(r.feed(wire, used), Status::complete);
  ASSERT_TRUE(r.take_into(buf));
  EXPECT_EQ(buf, a);
  size_t more = 0;
  ASSERT_EQ(r.feed(std::span(wire).subspan(used), more), Status::complete);
  ASSERT_TRUE(r.take_into(buf));
  EXPECT_EQ(buf, b);
}

TEST(RecordReader, AnAnnouncedFragmentIsNotBufferedBeforeItArrives) {
  // A peer may announce a fragment up to the cap and then go quiet; the
  // reader holds only what arrived.
  RecordReader r(1 << 20);
  std::vector<uint8_t> head = {0x80, 0x0f, 0x00, 0x00};  // 0xF0000 bytes, last
  size_t used = 0;
  EXPECT_EQ(r.feed(head, used), Status::need_more);
  EXPECT_EQ(r.held_bytes(), 0u);
  const std::vector<uint8_t> rest(0xF0000, 0x11);
  EXPECT_EQ(r.feed(std::span(rest).subspan(0, 100), used), Status::need_more);
  EXPECT_LT(r.held_bytes(), 4096u);
  EXPECT_EQ(r.feed(std::span(rest).subspan(100), used), Status::complete);
  EXPECT_EQ(r.take().size(), 0xF0000u);
}

TEST(AppendRecord, SplitsIntoFragmentsWithTheLastBitOnTheLastOnly) {
  const auto p = payload(10);
  std::vector<uint8_t> out;
  append_record(out, p, 4);
  const std::vector<uint8_t> want = {0x00, 0x00, 0x00, 0x04, p[0], p[1], p[2], p[3],
                                     0x00, 0x00, 0x00, 0x04, p[4], p[5], p[6], p[7],
                                     0x80, 0x00, 0x00, 0x02, p[8], p[9]};
  EXPECT_EQ(out, want);
}

TEST(AppendRecord, EmptyRecordIsOneEmptyLastFragment) {
  std::vector<uint8_t> out;
  append_record(out, {});
  EXPECT_EQ(out, (std::vector<uint8_t>{0x80, 0, 0, 0}));
}

TEST(AppendRecord, NeverSendsAFragmentOf16MiBOrMore) {
  const std::vector<uint8_t> big((size_t{1} << 24) + 10, 0x5a);
  std::vector<uint8_t> out;
  append_record(out, big, SIZE_MAX);
  // First fragment: 0xFFFFFF bytes, not last.
  EXPECT_EQ(out[0], 0x00);
  EXPECT_EQ(out[1], 0xff);
  EXPECT_EQ(out[2], 0xff);
  EXPECT_EQ(out[3], 0xff);
  const size_t second = 4 + kMaxSendFragment;
  EXPECT_EQ(out[second], 0x80);
  EXPECT_EQ(out.size(), big.size() + 8);
}

TEST(AppendRecord, RoundTripsThroughTheReader) {
  const auto p = payload(50000);
  std::vector<uint8_t> wire;
  append_record(wire, p, 4000);
  append_record(wire, p);
  RecordReader r(p.size());
  size_t used = 0;
  ASSERT_EQ(r.feed(wire, used), Status::complete);
  EXPECT_EQ(r.take(), p);
  ASSERT_EQ(r.feed(std::span(wire).subspan(used), used), Status::complete);
  EXPECT_EQ(r.take(), p);
}

}  // namespace
}  // namespace ndmp::xdr

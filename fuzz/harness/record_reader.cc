// Fuzz harness: xdr/record.h RecordReader fed the way a socket feeds it.
//
// Input layout:
//   u16  cap         max_record = 16 + cap (small caps make too_large reachable)
//   u8   fragments   max_fragments (0 = the reader's default)
//   u32  seed        drives the chunk sizes (xorshift32)
//   ...  stream      record-marked bytes, as received from a peer
//
// Oracle: a whole-stream reference parse of the same rules (record.h): the
// records the reader completes, their order and bytes, and whether it ends in
// too_large must match; memory held never exceeds twice the cap.
#include <algorithm>
#include <vector>

#include "fuzz/harness/input.h"
#include "fuzz/harness/targets.h"
#include "xdr/record.h"

namespace ndmp::fuzz {
namespace {

struct Reference {
  std::vector<std::vector<uint8_t>> records;
  bool too_large = false;
  bool idle = true;  // nothing of a next record received at the end (RecordReader::idle)
};

Reference reference_parse(std::span<const uint8_t> s, size_t max_record, size_t max_fragments) {
  Reference r;
  std::vector<uint8_t> cur;
  size_t fragments = 0;
  size_t pos = 0;
  while (true) {
    if (s.size() - pos < 4) {
      // Marker bytes or earlier fragments of an unfinished record count as started.
      r.idle = fragments == 0 && pos == s.size();
      return r;
    }
    const uint32_t word = uint32_t{s[pos]} << 24 | uint32_t{s[pos + 1]} << 16 | uint32_t{s[pos + 2]} << 8 | s[pos + 3];
    pos += 4;
    const size_t len = word & xdr::kFragmentLengthMask;
    ++fragments;
    if (fragments > max_fragments || len > max_record - cur.size()) {
      r.too_large = true;
      r.idle = false;
      return r;
    }
    const size_t have = std::min(len, s.size() - pos);
    cur.insert(cur.end(), s.begin() + pos, s.begin() + pos + have);
    pos += have;
    if (have < len) {
      r.idle = false;
      return r;
    }
    if (word & xdr::kLastFragment) {
      r.records.push_back(std::move(cur));
      cur.clear();
      fragments = 0;
    }
  }
}

}  // namespace

int record_reader(const uint8_t* data, size_t size) {
  Input in(data, size);
  const size_t max_record = 16 + in.u16();
  const size_t max_fragments_arg = in.u8();
  uint32_t seed = in.u32() | 1;
  const bool reuse = seed & 2;  // take_into() instead of take()
  const std::span<const uint8_t> stream = in.rest();
  const size_t max_fragments = max_fragments_arg ? max_fragments_arg : max_record / 1024 + 16;

  xdr::RecordReader reader(max_record, max_fragments_arg);
  std::vector<std::vector<uint8_t>> got;
  std::vector<uint8_t> scratch;
  bool too_large = false;
  size_t pos = 0;
  while (pos < stream.size() && !too_large) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    // Mostly small reads (the interesting splits are inside a marker), sometimes large.
    const size_t want = (seed & 0x300) == 0x300 ? 1 + seed % 8192 : 1 + seed % 7;
    std::span<const uint8_t> chunk = stream.subspan(pos, std::min(want, stream.size() - pos));
    while (!chunk.empty()) {
      size_t consumed = 0;
      auto status = reader.feed(chunk, consumed);
      NDMP_FUZZ_CHECK(consumed <= chunk.size());
      NDMP_FUZZ_CHECK(reader.held_bytes() <= 2 * max_record);
      pos += consumed;
      chunk = chunk.subspan(consumed);
      if (status == xdr::RecordReader::Status::too_large) {
        too_large = true;
        // The state is sticky: the connection must be closed.
        size_t again = 0;
        NDMP_FUZZ_CHECK(reader.feed(chunk, again) == xdr::RecordReader::Status::too_large && again == 0);
        break;
      }
      if (status == xdr::RecordReader::Status::need_more) {
        NDMP_FUZZ_CHECK(chunk.empty());
        continue;
      }
      // complete: feeding again consumes nothing until the record is taken.
      size_t again = 0;
      NDMP_FUZZ_CHECK(reader.feed(chunk, again) == xdr::RecordReader::Status::complete && again == 0);
      if (reuse) {
        NDMP_FUZZ_CHECK(reader.take_into(scratch));
        got.push_back(scratch);
      } else {
        got.push_back(reader.take());
      }
      NDMP_FUZZ_CHECK(got.back().size() <= max_record);
      NDMP_FUZZ_CHECK(reader.take().empty());  // nothing left to take
    }
  }

  const Reference ref = reference_parse(stream, max_record, max_fragments);
  NDMP_FUZZ_CHECK(too_large == ref.too_large);
  NDMP_FUZZ_CHECK(got == ref.records);
  if (!too_large) NDMP_FUZZ_CHECK(reader.idle() == ref.idle);
  return 0;
}

}  // namespace ndmp::fuzz

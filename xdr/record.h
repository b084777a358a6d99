// XDR record marking (RFC 5531 section 11; facts 1.2): every NDMP message is one
// record made of one or more fragments, each preceded by a 4-byte big-endian
// word whose bit 31 marks the last fragment and whose low 31 bits give the
// fragment's payload length.
//
// RecordReader is an incremental parser fed from a socket buffer. It answers
// complete / need_more / too_large, reassembles multi-fragment records (ndmjob
// sends anything over its ~4000-byte xdrrec buffer as several fragments), and
// never buffers more than the cap: the cap counts the payload of all fragments
// of a record, and a record with more than max_fragments fragments (default
// enough for a cap's worth of 4000-byte fragments) is also too_large so that a
// stream of empty fragments cannot spin forever. A truncated record is simply
// need_more; whether EOF then is an error is the session's decision.
//
// Threads: one RecordReader per connection, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ndmp::xdr {

inline constexpr uint32_t kLastFragment = 0x80000000u;
inline constexpr uint32_t kFragmentLengthMask = 0x7fffffffu;
// ndmjob masks received fragment lengths with 0xFFFFFF: never send 16 MiB or more.
inline constexpr size_t kMaxSendFragment = (size_t{1} << 24) - 1;

class RecordReader {
 public:
  enum class Status { complete, need_more, too_large };

  // max_record: the largest record payload (sum of fragment payloads) accepted.
  // max_fragments: 0 = derive from max_record (max_record / 1024 + 16).
  explicit RecordReader(size_t max_record, size_t max_fragments = 0);

  // Consume bytes from `in`, stopping at the end of a complete record or when
  // the record is found too large. `consumed` is set to the number of bytes
  // taken from `in` (the caller keeps the rest for the next call).
  //   complete  - a whole record is ready: call take() before feeding again.
  //   need_more - all of `in` was consumed and the record is not finished.
  //   too_large - the record exceeds the cap (or the fragment limit); the
  //               reader stays in this state: the connection must be closed.
  // Feeding again while a complete record has not been taken returns complete
  // and consumes nothing.
  Status feed(std::span<const uint8_t> in, size_t& consumed);

  // Hand over the complete record and reset for the next one. Empty if no
  // record is complete.
  std::vector<uint8_t> take();
  // Same, swapping buffers with `out` so a session can reuse one allocation
  // across records. Returns false (and clears `out`) if no record is complete.
  bool take_into(std::vector<uint8_t>& out);

  // True when no byte of a next record has been received (a clean place for EOF).
  bool idle() const;
  size_t max_record() const { return max_record_; }
  // Change the caps (as in the constructor) for the records that follow; only
  // while idle() (a session raises them once the DMA has logged in). Returns
  // false, changing nothing, when a record is in progress.
  bool set_limits(size_t max_record, size_t max_fragments = 0);
  // Memory currently held for the pending record (its buffer's capacity).
  // Grows with bytes received, never with lengths merely announced.
  size_t held_bytes() const { return record_.capacity(); }

 private:
  size_t max_record_;
  size_t max_fragments_;
  uint8_t marker_[4] = {};
  size_t marker_have_ = 0;     // bytes of the current fragment header received
  size_t fragment_left_ = 0;   // payload bytes still expected in the current fragment
  bool in_fragment_ = false;   // header read, payload pending
  bool last_ = false;          // current fragment is the last of the record
  size_t fragments_ = 0;       // fragments seen in the current record
  bool complete_ = false;
  bool too_large_ = false;
  std::vector<uint8_t> record_;
};

// Append `record` to `out` as one record: fragments of at most max_fragment
// payload bytes (clamped to kMaxSendFragment), the last with bit 31 set. An
// empty record becomes a single empty last fragment.
void append_record(std::vector<uint8_t>& out, std::span<const uint8_t> record,
                   size_t max_fragment = size_t{1} << 20);

}  // namespace ndmp::xdr

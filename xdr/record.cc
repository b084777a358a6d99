#include "xdr/record.h"

#include <algorithm>

namespace ndmp::xdr {

RecordReader::RecordReader(size_t max_record, size_t max_fragments)
    : max_record_(max_record),
      max_fragments_(max_fragments != 0 ? max_fragments : max_record / 1024 + 16) {}

bool RecordReader::idle() const {
  return !complete_ && !too_large_ && marker_have_ == 0 && !in_fragment_ && fragments_ == 0;
}

bool RecordReader::set_limits(size_t max_record, size_t max_fragments) {
  if (!idle()) return false;
  max_record_ = max_record;
  max_fragments_ = max_fragments != 0 ? max_fragments : max_record / 1024 + 16;
  return true;
}

RecordReader::Status RecordReader::feed(std::span<const uint8_t> in, size_t& consumed) {
  consumed = 0;
  if (too_large_) return Status::too_large;
  if (complete_) return Status::complete;
  while (true) {
    if (!in_fragment_) {
      while (marker_have_ < 4 && consumed < in.size()) marker_[marker_have_++] = in[consumed++];
      if (marker_have_ < 4) return Status::need_more;
      const uint32_t word = uint32_t{marker_[0]} << 24 | uint32_t{marker_[1]} << 16 |
                            uint32_t{marker_[2]} << 8 | uint32_t{marker_[3]};
      marker_have_ = 0;
      last_ = (word & kLastFragment) != 0;
      fragment_left_ = word & kFragmentLengthMask;
      ++fragments_;
      // Judge the cap on the announced length, before buffering anything, so a
      // hostile header cannot make us hold more than the cap.
      if (fragments_ > max_fragments_ || fragment_left_ > max_record_ - record_.size()) {
        too_large_ = true;
        record_.clear();
        record_.shrink_to_fit();
        return Status::too_large;
      }
      // No reserve() of the announced length: memory follows the bytes that
      // actually arrived, so a peer that announces a large fragment and then
      // goes quiet holds no more than it sent.
      in_fragment_ = true;
    }
    const size_t n = std::min(fragment_left_, in.size() - consumed);
    record_.insert(record_.end(), in.begin() + consumed, in.begin() + consumed + n);
    consumed += n;
    fragment_left_ -= n;
    if (fragment_left_ > 0) return Status::need_more;
    in_fragment_ = false;
    if (last_) {
      complete_ = true;
      return Status::complete;
    }
    if (consumed == in.size()) return Status::need_more;
  }
}

std::vector<uint8_t> RecordReader::take() {
  std::vector<uint8_t> out;
  take_into(out);
  return out;
}

bool RecordReader::take_into(std::vector<uint8_t>& out) {
  if (!complete_) {
    out.clear();
    return false;
  }
  out.swap(record_);
  record_.clear();  // keeps the capacity `out` brought in, for the next record
  complete_ = false;
  fragments_ = 0;
  last_ = false;
  return true;
}

void append_record(std::vector<uint8_t>& out, std::span<const uint8_t> record, size_t max_fragment) {
  max_fragment = std::clamp<size_t>(max_fragment, 1, kMaxSendFragment);
  size_t pos = 0;
  do {
    const size_t n = std::min(max_fragment, record.size() - pos);
    const bool last = pos + n == record.size();
    const uint32_t word = static_cast<uint32_t>(n) | (last ? kLastFragment : 0u);
    out.push_back(static_cast<uint8_t>(word >> 24));
    out.push_back(static_cast<uint8_t>(word >> 16));
    out.push_back(static_cast<uint8_t>(word >> 8));
    out.push_back(static_cast<uint8_t>(word));
    out.insert(out.end(), record.begin() + pos, record.begin() + pos + n);
    pos += n;
  } while (pos < record.size());
}

}  // namespace ndmp::xdr

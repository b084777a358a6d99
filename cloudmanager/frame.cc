#include "cloudmanager/frame.h"

#include <fmt/format.h>

namespace ndmp::cm {

std::string encode_frame(Header header, std::string_view body) {
  header.body_length = static_cast<int32_t>(body.size());
  const auto h = encode_header(header);
  std::string out(reinterpret_cast<const char*>(h.data()), h.size());
  out.append(body);
  return out;
}

std::string encode_message(Header header, const google::protobuf::Message& body) {
  header.data_type = wire::DataType_Protobuf;
  return encode_frame(header, body.SerializeAsString());
}

bool parse_body(const Frame& frame, google::protobuf::Message& out) {
  out.Clear();
  if (frame.body.empty()) return true;
  if (frame.header.data_type != wire::DataType_Protobuf) return false;
  return out.ParseFromString(frame.body);
}

DecodeStatus decode_frame(std::string_view bytes, const FrameRules& rules, Frame& out,
                          std::size_t& consumed, std::string& reason) {
  consumed = 0;
  if (bytes.size() < kHeaderSize) return DecodeStatus::need_more;
  Header h;
  std::span<const uint8_t, kHeaderSize> head(reinterpret_cast<const uint8_t*>(bytes.data()),
                                              kHeaderSize);
  if (!decode_header(head, rules.max_body, h, reason)) return DecodeStatus::bad;
  if (h.direction != rules.expect_direction) {
    reason = fmt::format("direction {} where {} was expected", wire::MessageDirection_Name(h.direction),
                         wire::MessageDirection_Name(rules.expect_direction));
    return DecodeStatus::bad;
  }
  const std::size_t total = kHeaderSize + static_cast<std::size_t>(h.body_length);
  if (bytes.size() < total) return DecodeStatus::need_more;
  out.header = h;
  out.body.assign(bytes.data() + kHeaderSize, static_cast<std::size_t>(h.body_length));
  consumed = total;
  return DecodeStatus::complete;
}

DecodeStatus FrameBuffer::next(Frame& out, std::string& reason) {
  std::size_t consumed = 0;
  const DecodeStatus s = decode_frame(buf_, rules_, out, consumed, reason);
  if (s == DecodeStatus::complete) buf_.erase(0, consumed);
  return s;
}

}  // namespace ndmp::cm

// Whole frames: a validated header followed by exactly body_length bytes.
//
// A peer's bytes are appended to a FrameBuffer; next() answers complete (one
// frame moved out), need_more (nothing consumed), or bad (the stream cannot be
// trusted any more: the caller logs `reason` and closes that connection; a
// bad frame never affects another connection). Frames are acted on whole only,
// and the header is validated before any body byte is buffered, so a hostile
// length cannot make us allocate more than the cap.
//
// Threads: a FrameBuffer belongs to the one thread reading its connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "cloudmanager/header.h"

namespace ndmp::cm {

struct Frame {
  Header header;
  std::string body;
};

struct FrameRules {
  // The only direction this side accepts (a Streamer accepts
  // CloudManagerToStreamer; the simulator StreamerToCloudManager).
  wire::MessageDirection expect_direction = wire::MessageDirection_CloudManagerToStreamer;
  int32_t max_body = kDefaultMaxBody;
};

enum class DecodeStatus { complete, need_more, bad };

// Header + body as bytes; sets body_length from `body`.
std::string encode_frame(Header header, std::string_view body);

// A frame carrying a serialised protobuf message (DataType_Protobuf; a message
// at its defaults gives an empty body, as the spec notes).
std::string encode_message(Header header, const google::protobuf::Message& body);

// Parses `frame`'s body into `out`. An empty body yields `out` cleared (every
// field at its default), per the spec's note on zero-length bodies. False when
// the body is not DataType_Protobuf or does not parse.
bool parse_body(const Frame& frame, google::protobuf::Message& out);

class FrameBuffer {
 public:
  explicit FrameBuffer(FrameRules rules) : rules_(rules) {}

  void append(const char* data, std::size_t n) { buf_.append(data, n); }
  std::size_t buffered() const { return buf_.size(); }

  // complete: `out` holds the next frame, its bytes are consumed.
  // need_more: wait for more bytes. bad: `reason` says why; stop reading.
  DecodeStatus next(Frame& out, std::string& reason);

 private:
  FrameRules rules_;
  std::string buf_;
};

// One-shot form of FrameBuffer::next over a byte string, for tests and tools:
// `consumed` is the frame's size when complete, 0 otherwise.
DecodeStatus decode_frame(std::string_view bytes, const FrameRules& rules, Frame& out,
                          std::size_t& consumed, std::string& reason);

}  // namespace ndmp::cm

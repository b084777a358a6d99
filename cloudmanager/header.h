// The Cloud Manager protocol's 24-byte message header (spec 通用定义/消息头).
//
//   offset size field        type   values
//   0      1    version      byte   wire::Version (only Version_V1 is known)
//   1      1    data_type    byte   wire::DataType of the body
//   2      2    direction    int16  wire::MessageDirection
//   4      4    command      int32  wire::Command
//   8      4    error_code   int32  wire::ErrorCode (Success in requests)
//   12     4    body_length  int32  >= 0, bytes of body after the header
//   16     8    flags1       int64  opaque ("used by the console"); carried as is
//
// Byte order: the spec does not name one. ndmpd uses network byte order
// (big-endian) for every multi-byte field, and ndmpd-cloudmanager(5) says so;
// tests/cloudmanager/header_test.cc holds the byte vectors that pin it.
//
// Validation (decode_header): a header is accepted only when every field is
// one the spec (or our documented extension) defines: known version; known
// data type, and DataType_None only with an empty body; a known direction
// other than None; a known command; a known error code; 0 <= body_length <=
// the caller's cap. flags1 is not interpreted. Checking the expected
// direction of a peer is the frame layer's job (frame.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "cloudmanager/proto/cm_enums.pb.h"

namespace ndmp::cm {

inline constexpr std::size_t kHeaderSize = 24;
// Default cap on a body: our messages are a few hundred bytes; anything near
// this is a broken or hostile peer, and a frame is buffered whole.
inline constexpr int32_t kDefaultMaxBody = 1 << 20;

struct Header {
  wire::Version version = wire::Version_V1;
  wire::DataType data_type = wire::DataType_Protobuf;
  wire::MessageDirection direction = wire::MessageDirection_None;
  wire::Command command = wire::Command_None;
  wire::ErrorCode error_code = wire::ErrorCode_Success;
  int32_t body_length = 0;
  int64_t flags1 = 0;
};

// Writes the 24 bytes of `h` (big-endian). Never fails: a Header holds only
// values its enums allow, and body_length is the caller's to set.
std::array<uint8_t, kHeaderSize> encode_header(const Header& h);

// Reads and validates exactly kHeaderSize bytes. Returns false with `why`
// naming the field and value ("unknown direction 9") when any field is
// invalid; `out` is then unspecified.
bool decode_header(std::span<const uint8_t, kHeaderSize> in, int32_t max_body, Header& out,
                   std::string& why);

}  // namespace ndmp::cm

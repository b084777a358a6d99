#include "cloudmanager/header.h"

#include <fmt/format.h>

namespace ndmp::cm {
namespace {

template <class T>
void put_be(uint8_t* p, T v) {
  auto u = static_cast<std::make_unsigned_t<T>>(v);
  for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(u >> (8 * (sizeof(T) - 1 - i)));
}

template <class T>
T get_be(const uint8_t* p) {
  std::make_unsigned_t<T> u = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) u = static_cast<std::make_unsigned_t<T>>((u << 8) | p[i]);
  return static_cast<T>(u);
}

}  // namespace

std::array<uint8_t, kHeaderSize> encode_header(const Header& h) {
  std::array<uint8_t, kHeaderSize> b{};
  b[0] = static_cast<uint8_t>(h.version);
  b[1] = static_cast<uint8_t>(h.data_type);
  put_be<int16_t>(&b[2], static_cast<int16_t>(h.direction));
  put_be<int32_t>(&b[4], static_cast<int32_t>(h.command));
  put_be<int32_t>(&b[8], static_cast<int32_t>(h.error_code));
  put_be<int32_t>(&b[12], h.body_length);
  put_be<int64_t>(&b[16], h.flags1);
  return b;
}

bool decode_header(std::span<const uint8_t, kHeaderSize> in, int32_t max_body, Header& out,
                   std::string& why) {
  const uint8_t* p = in.data();
  const int version = p[0];
  const int data_type = p[1];
  const int16_t direction = get_be<int16_t>(p + 2);
  const int32_t command = get_be<int32_t>(p + 4);
  const int32_t error_code = get_be<int32_t>(p + 8);
  const int32_t length = get_be<int32_t>(p + 12);

  if (version == wire::Version_None || !wire::Version_IsValid(version)) {
    why = fmt::format("unknown protocol version {}", version);
    return false;
  }
  if (!wire::DataType_IsValid(data_type)) {
    why = fmt::format("unknown data type {}", data_type);
    return false;
  }
  if (direction == wire::MessageDirection_None || !wire::MessageDirection_IsValid(direction)) {
    why = fmt::format("unknown direction {}", direction);
    return false;
  }
  if (!wire::Command_IsValid(command)) {
    why = fmt::format("unknown command {}", command);
    return false;
  }
  if (!wire::ErrorCode_IsValid(error_code)) {
    why = fmt::format("unknown error code {}", error_code);
    return false;
  }
  if (length < 0) {
    why = fmt::format("negative body length {}", length);
    return false;
  }
  if (length > max_body) {
    why = fmt::format("body length {} over the cap of {}", length, max_body);
    return false;
  }
  if (data_type == wire::DataType_None && length != 0) {
    why = fmt::format("data type None with a body of {} bytes", length);
    return false;
  }
  out.version = static_cast<wire::Version>(version);
  out.data_type = static_cast<wire::DataType>(data_type);
  out.direction = static_cast<wire::MessageDirection>(direction);
  out.command = static_cast<wire::Command>(command);
  out.error_code = static_cast<wire::ErrorCode>(error_code);
  out.body_length = length;
  out.flags1 = get_be<int64_t>(p + 16);
  return true;
}

}  // namespace ndmp::cm

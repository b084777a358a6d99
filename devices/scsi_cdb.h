// Operation codes and big-endian field helpers shared by the drivers (which
// build CDBs) and the emulated targets (which parse them). Values from
// SPC-4, SSC-4 and SMC-3; names follow the standards.
#pragma once

#include <cstdint>
#include <span>

namespace ndmp::dev::op {
// SPC
inline constexpr uint8_t test_unit_ready = 0x00;
inline constexpr uint8_t request_sense = 0x03;
inline constexpr uint8_t inquiry = 0x12;
inline constexpr uint8_t mode_select6 = 0x15;
inline constexpr uint8_t mode_sense6 = 0x1a;
inline constexpr uint8_t prevent_allow = 0x1e;
inline constexpr uint8_t log_sense = 0x4d;
inline constexpr uint8_t mode_sense10 = 0x5a;
// SSC
inline constexpr uint8_t rewind = 0x01;
inline constexpr uint8_t read_block_limits = 0x05;
inline constexpr uint8_t read6 = 0x08;
inline constexpr uint8_t write6 = 0x0a;
inline constexpr uint8_t write_filemarks6 = 0x10;
inline constexpr uint8_t space6 = 0x11;
inline constexpr uint8_t load_unload = 0x1b;
inline constexpr uint8_t locate10 = 0x2b;
inline constexpr uint8_t read_position = 0x34;
// SMC
inline constexpr uint8_t initialize_element_status = 0x07;
inline constexpr uint8_t initialize_element_status_range = 0x37;
inline constexpr uint8_t move_medium = 0xa5;
inline constexpr uint8_t read_element_status = 0xb8;
}  // namespace ndmp::dev::op

namespace ndmp::dev::be {
inline uint16_t get16(std::span<const uint8_t> b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
inline uint32_t get24(std::span<const uint8_t> b, size_t at) {
  return uint32_t(b[at]) << 16 | uint32_t(b[at + 1]) << 8 | b[at + 2];
}
inline uint32_t get32(std::span<const uint8_t> b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}
inline uint64_t get64(std::span<const uint8_t> b, size_t at) {
  return uint64_t(get32(b, at)) << 32 | get32(b, at + 4);
}
inline void put16(std::span<uint8_t> b, size_t at, uint32_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}
inline void put24(std::span<uint8_t> b, size_t at, uint32_t v) {
  b[at] = uint8_t(v >> 16);
  b[at + 1] = uint8_t(v >> 8);
  b[at + 2] = uint8_t(v);
}
inline void put32(std::span<uint8_t> b, size_t at, uint32_t v) {
  put16(b, at, v >> 16);
  put16(b, at + 2, v);
}
inline void put64(std::span<uint8_t> b, size_t at, uint64_t v) {
  put32(b, at, uint32_t(v >> 32));
  put32(b, at + 4, uint32_t(v));
}
// SSC transfer lengths and SPACE counts are 24-bit two's complement.
inline int32_t get24_signed(std::span<const uint8_t> b, size_t at) {
  uint32_t v = get24(b, at);
  return (v & 0x800000) ? int32_t(v | 0xff000000u) : int32_t(v);
}
}  // namespace ndmp::dev::be

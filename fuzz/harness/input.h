// What every fuzz harness shares: a reader that turns the fuzzer's bytes into
// choices (chunk sizes, which drive, how long a buffer), and the one way a
// harness reports a broken invariant.
//
// The harnesses (targets.h) are plain functions compiled twice: into the
// libFuzzer executables of the fuzz build (fuzz/CMakeLists.txt) and into the
// normal build's replay test (tests/security/fuzz_replay_test.cc), which runs
// every committed corpus and regression file through them. So nothing here
// may depend on clang or libFuzzer headers (no FuzzedDataProvider).
//
// Threads: an Input is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace ndmp::fuzz {

// A broken invariant is a finding: print it and abort, so libFuzzer saves the
// input as a crash and the replay test dies loudly with the reason.
[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", file, line, what);
  std::abort();
}
#define NDMP_FUZZ_CHECK(cond) \
  do {                        \
    if (!(cond)) ::ndmp::fuzz::fail(#cond, __FILE__, __LINE__); \
  } while (0)

// Consumes the fuzz input from the front. Asking for more than is left gives
// what is left (or zeros for integers), never an error: every input is valid.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), left_(size) {}

  size_t left() const { return left_; }
  bool empty() const { return left_ == 0; }

  uint8_t u8() { return static_cast<uint8_t>(take_uint(1)); }
  uint16_t u16() { return static_cast<uint16_t>(take_uint(2)); }
  uint32_t u32() { return static_cast<uint32_t>(take_uint(4)); }
  bool flag() { return u8() & 1; }
  // A number in [lo, hi], from as few bytes as the range needs.
  size_t range(size_t lo, size_t hi) {
    if (hi <= lo) return lo;
    const size_t span = hi - lo;
    const size_t bytes = span < 0x100 ? 1 : span < 0x10000 ? 2 : 4;
    return lo + static_cast<size_t>(take_uint(bytes)) % (span + 1);
  }
  // Up to n bytes from the front.
  std::span<const uint8_t> bytes(size_t n) {
    if (n > left_) n = left_;
    std::span<const uint8_t> out(data_, n);
    data_ += n;
    left_ -= n;
    return out;
  }
  std::span<const uint8_t> rest() { return bytes(left_); }

 private:
  uint64_t take_uint(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n && left_ > 0; ++i, ++data_, --left_) v = v << 8 | *data_;
    return v;
  }
  const uint8_t* data_;
  size_t left_;
};

}  // namespace ndmp::fuzz

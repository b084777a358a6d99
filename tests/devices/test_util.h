// Shared helpers for the device tests: a temporary directory that cleans up
// after itself, a small emulated library, record patterns, raw CDB helpers.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "devices/emulated/library.h"
#include "devices/sense.h"
#include "devices/transport.h"

namespace ndmp::dev::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ndmp-devices-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline emu::LibrarySpec small_spec() {
  emu::LibrarySpec s;
  s.drives = 2;
  s.slots = 6;
  s.import_export = 1;
  s.tape_capacity = 8ull << 20;
  s.early_warning = 1ull << 20;
  s.barcodes = {"TST001L6", "TST002L6", "TST003L6"};
  return s;
}

// Deterministic, record-specific content, so a record read from the wrong
// place never compares equal.
inline std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = uint8_t(x);
  }
  return v;
}

// Raw CDB execution for the emulator-semantics tests.
struct Raw {
  CdbResult result;
  Sense sense;
};
inline Raw run(Transport& t, std::vector<uint8_t> cdb, Direction dir = Direction::none, std::span<uint8_t> in = {},
               std::span<const uint8_t> out = {}) {
  CdbCommand c{cdb, dir, in, out};
  Raw r;
  r.result = t.execute(c);
  r.sense = decode_sense(r.result.sense_bytes());
  return r;
}

}  // namespace ndmp::dev::test

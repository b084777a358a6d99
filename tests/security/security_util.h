// Helpers for the security suite: the smallest well-formed request body for
// any message (found by asking our own decoder, so it follows the .x files
// rather than a list kept here), the process's resident memory, and a
// capture of the operator log so a test can check that a refusal was logged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/test_server.h"

namespace ndmp::security {

// All-zero XDR bodies of growing length until xdr::decode(version) accepts
// one as a request of `code` (zero = empty strings and arrays, first enum
// value and union arm). nullopt if none up to 1 KiB decodes.
std::optional<std::vector<uint8_t>> zero_body(int version, uint32_t code);

// VmRSS of this process in KiB, from /proc/self/status.
size_t rss_kib();

// Sends the operator log to a temporary file for the object's lifetime
// (process-wide: tests using it must not run concurrently, which gtest
// guarantees within one binary), then back to stderr.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  std::string text() const;  // everything logged so far
  bool contains(const std::string& needle) const { return text().find(needle) != std::string::npos; }

 private:
  test::TempDir dir_;
  std::string path_;
};

// A connected client that has read the greeting.
std::unique_ptr<client::Client> connect_to(test::TestServer& s);

// An emulated library for the server under test (2 drives, 4 slots).
void with_library(server::Config& c);

}  // namespace ndmp::security

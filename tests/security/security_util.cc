#include "tests/security/security_util.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/log.h"
#include "xdr/codec.h"

namespace ndmp::security {

std::optional<std::vector<uint8_t>> zero_body(int version, uint32_t code) {
  std::vector<uint8_t> rec(xdr::kHeaderSize, 0);
  rec[15] = static_cast<uint8_t>(code);  // header word 3 (message code), big-endian
  rec[14] = static_cast<uint8_t>(code >> 8);
  rec[13] = static_cast<uint8_t>(code >> 16);
  rec[3] = 1;  // sequence 1
  for (size_t n = 0; n <= 1024; n += 4) {
    std::vector<uint8_t> r = rec;
    r.resize(xdr::kHeaderSize + n, 0);
    if (xdr::decode(version, r).status == xdr::DecodeStatus::ok) return std::vector<uint8_t>(n, 0);
  }
  return std::nullopt;
}

size_t rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

LogCapture::LogCapture() : path_((dir_.path() / "ndmpd.log").string()) {
  if (!log::set_file(path_)) ADD_FAILURE() << "cannot capture the log in " << path_;
}

LogCapture::~LogCapture() { log::set_file("/dev/stderr"); }

std::string LogCapture::text() const {
  std::ifstream f(path_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::unique_ptr<client::Client> connect_to(test::TestServer& s) {
  auto c = std::make_unique<client::Client>();
  EXPECT_EQ(c->connect("127.0.0.1", s.port()), "");
  return c;
}

void with_library(server::Config& c) {
  c.library_dir = (std::filesystem::path(c.state_dir).parent_path() / "library").string();
  c.library_drives = 2;
  c.library_slots = 4;
  c.library_tape_mib = 4;
}

}  // namespace ndmp::security

// A user name or an archive entry name with a newline in it must not forge
// a line in the operator log or in the DMA's LOG messages (issue 15, item
// 9): strings from peers and tapes arrive with control characters as \xNN
// (common/escape.h).
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

#include "common/escape.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace code = msg::code;
using msg::Error;
constexpr uint64_t kAll = ~uint64_t{0};

const std::string kForged = "authenticated as \"backup-admin\"";

// True if a line of `text` starts with the forged text: the line the
// attacker wanted (every real log line starts with a time stamp).
bool has_forged_line(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(kForged, 0) == 0) return true;
  return false;
}

TEST(LogEscape, HelperEscapesControlsAndBackslash) {
  EXPECT_EQ(log::escape("a\nb\\c\x1b[2J\x7f" "é"), "a\\x0ab\\x5cc\\x1b[2J\\x7f" "é");
  EXPECT_EQ(log::escape_controls("a\nb\\x0a"), "a\\x0ab\\x0a");
}

class LogEscape : public ::testing::TestWithParam<int> {};

TEST_P(LogEscape, UserNameCannotForgeALogLine) {
  test::TestServer server{with_library};
  const std::string user = "x\n" + kForged;
  LogCapture log;
  {
    auto c = connect_to(server);
    ASSERT_EQ(c->open(GetParam()), "");
    EXPECT_NE(c->auth_text(user, "wrong"), "") << "the login fails";
  }
  {
    auto c = connect_to(server);
    ASSERT_EQ(c->open(GetParam()), "");
    EXPECT_NE(c->auth_md5(user, "wrong"), "");
  }
  const std::string text = log.text();
  EXPECT_FALSE(has_forged_line(text)) << text;
  EXPECT_NE(text.find("user \"x\\x0a" + kForged), std::string::npos) << "the name is logged, escaped:\n" << text;
}

INSTANTIATE_TEST_SUITE_P(Versions, LogEscape, ::testing::Values(2, 3, 4),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

// One ustar header for a regular empty file named `name`, then the end of
// the archive, padded to one 10240-byte record.
std::vector<uint8_t> tar_with_entry(const std::string& name) {
  std::vector<uint8_t> t(10240, 0);
  auto put = [&](size_t off, const std::string& s) { std::memcpy(t.data() + off, s.data(), s.size()); };
  put(0, name);
  put(100, "0000644");
  put(108, "0000000");
  put(116, "0000000");
  put(124, "00000000000");
  put(136, "00000000000");
  put(148, "        ");
  t[156] = '0';
  put(257, "ustar");
  put(263, "00");
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += t[i];
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  std::memcpy(t.data() + 148, chk, 7);
  return t;
}

// A tape whose archive holds an entry named "../forged\n<forged line>":
// restoring it refuses the entry and says so in the log and to the DMA.
TEST_P(LogEscape, ArchiveEntryNameCannotForgeALogLineOrLogMessage) {
  if (GetParam() < 3) GTEST_SKIP() << "v2 carries the mover address in START; v3 and v4 cover the path";
  test::TestServer server{with_library};
  auto c = server.login(GetParam());
  ASSERT_TRUE(c);
  // Load slot 1000 into drive 500 and write the hostile archive.
  msg::ScsiOpenRequest so;
  so.device = "emu-changer";
  ASSERT_EQ(c->call(code::SCSI_OPEN, so).error(), Error::no_err);
  msg::ExecuteCdbRequest mv;
  mv.cdb = {0xA5, 0, 0, 1, 0x03, 0xE8, 0x01, 0xF4, 0, 0, 0, 0};
  ASSERT_EQ(c->call(code::SCSI_EXECUTE_CDB, mv).as<msg::ExecuteCdbReply>().status, 0);
  ASSERT_EQ(c->call(code::SCSI_CLOSE).error(), Error::no_err);
  msg::TapeOpenRequest o;
  o.device = "emu-drive0";
  o.mode = msg::TapeOpenMode::rdwr;
  ASSERT_EQ(c->call(code::TAPE_OPEN, o).error(), Error::no_err);
  msg::TapeWriteRequest w;
  w.data = tar_with_entry("../forged\n" + kForged);
  ASSERT_EQ(c->call(code::TAPE_WRITE, w).error(), Error::no_err);
  msg::TapeMtioRequest m;
  m.op = msg::MtioOp::eof;
  m.count = 1;
  ASSERT_EQ(c->call(code::TAPE_MTIO, m).error(), Error::no_err);
  m.op = msg::MtioOp::rew;
  ASSERT_EQ(c->call(code::TAPE_MTIO, m).error(), Error::no_err);

  LogCapture log;
  msg::MoverSetRecordSizeRequest rs;
  rs.len = 10240;
  ASSERT_EQ(c->call(code::MOVER_SET_RECORD_SIZE, rs).error(), Error::no_err);
  msg::MoverSetWindowRequest win;
  win.offset = 0;
  win.length = kAll;
  if (GetParam() >= 4) {
    ASSERT_EQ(c->call(code::MOVER_SET_WINDOW, win).error(), Error::no_err);
  }
  msg::MoverListenRequest l;
  l.mode = msg::MoverMode::write;
  l.type = msg::AddrType::local;
  ASSERT_EQ(c->call(code::MOVER_LISTEN, l).error(), Error::no_err);
  if (GetParam() < 4) {
    ASSERT_EQ(c->call(code::MOVER_SET_WINDOW, win).error(), Error::no_err);  // v3 sets it in LISTEN
  }
  msg::DataConnectRequest dc;
  dc.addr.type = msg::AddrType::local;
  ASSERT_EQ(c->call(code::DATA_CONNECT, dc).error(), Error::no_err);
  msg::DataStartRecoverRequest r;
  r.butype = "tar";
  r.env = {{"PREFIX", (server.dir() / "export").string()}, {"TYPE", "tar"}};
  ASSERT_EQ(c->call(code::DATA_START_RECOVER, r).error(), Error::no_err);
  auto dr = c->next_post(code::NOTIFY_DATA_READ, std::chrono::seconds(10));
  ASSERT_TRUE(dr);
  const auto& read = static_cast<const msg::NotifyDataReadPost&>(*dr->body);
  msg::MoverReadRequest mr;
  mr.offset = read.offset;
  mr.length = read.length;
  ASSERT_EQ(c->call(code::MOVER_READ, mr).error(), Error::no_err);
  if (c->next_post(code::NOTIFY_MOVER_PAUSED, std::chrono::seconds(10))) {
    ASSERT_EQ(c->call(code::MOVER_CLOSE).error(), Error::no_err);
  }
  ASSERT_TRUE(c->next_post(code::NOTIFY_DATA_HALTED, std::chrono::seconds(30)));

  const std::string text = log.text();
  EXPECT_FALSE(has_forged_line(text)) << text;
  EXPECT_NE(text.find("forged\\x0a" + kForged), std::string::npos) << "the refusal names the entry, escaped:\n"
                                                                    << text;
  bool named = false;
  for (const auto& p : c->queued_posts()) {
    if (p.header.code != code::LOG_MESSAGE) continue;
    const std::string& entry = static_cast<const msg::LogMessagePost&>(*p.body).entry;
    EXPECT_EQ(entry.find('\n'), std::string::npos) << "a LOG message with a raw newline: " << entry;
    named = named || entry.find("forged\\x0a" + kForged) != std::string::npos;
  }
  EXPECT_TRUE(named) << "the DMA is told about the refused entry, escaped";
}

}  // namespace
}  // namespace ndmp::security

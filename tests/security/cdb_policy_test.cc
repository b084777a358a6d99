// SCSI_EXECUTE_CDB and TAPE_EXECUTE_CDB pass only what a DMA needs for the
// device type (server/context/cdb_policy.h): firmware download, formatting,
// diagnostics, persistent reservations, vendor commands and commands of the
// other device type are NDMP_ILLEGAL_ARGS_ERR before they reach the device,
// logged with the opcode's name; timeouts are capped (issue 15, item 7).
// ndmjob's robot still inventories and loads through the safe set.
#include <gtest/gtest.h>

#include <fstream>

#include "fmt/format.h"
#include "server/context/cdb_policy.h"
#include "tests/interop/ndmjob_runner.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace code = msg::code;
using msg::Error;

struct Cdb {
  std::vector<uint8_t> bytes;
  const char* logged;  // what the refusal's log line names
  uint32_t timeout_ms = 0;
};

// Refused on either kind of device.
const std::vector<Cdb> kRefusedEverywhere = {
    {{0x3b, 0x05, 0, 0, 0, 0, 0, 0x10, 0, 0}, "WRITE BUFFER (0x3b)"},  // download microcode and save
    {{0x04, 0, 0, 0, 0, 0}, "FORMAT MEDIUM (0x04)"},
    {{0x1d, 0x04, 0, 0, 0, 0}, "SEND DIAGNOSTIC (0x1d)"},
    {{0x5f, 0x03, 0, 0, 0, 0, 0, 0, 0x18, 0}, "PERSISTENT RESERVE OUT (0x5f)"},  // CLEAR
    {{0xa4, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "MAINTENANCE OUT (0xa4)"},
    {{0xc0, 0, 0, 0, 0, 0}, "vendor-specific (0xc0)"},
    {{0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "vendor-specific (0xff)"},
    {{0x12, 0, 0}, "INQUIRY (0x12) needs a 6-byte CDB"},
    {{0x12, 0, 0, 0, 0x60, 0}, "INQUIRY (0x12) with a timeout of 4233600000 ms", 4'233'600'000u},  // 49 days
};

const std::vector<Cdb> kRefusedOnChanger = {
    {{0x15, 0x10, 0, 0, 0x0c, 0}, "opcode 0x15"},          // MODE SELECT: the changer's settings
    {{0x19, 0x01, 0, 0, 0, 0}, "opcode 0x19"},             // ERASE is for tapes
    {{0x08, 0, 0, 0x01, 0, 0}, "opcode 0x08"},             // READ(6) is for tapes
    {{0xb6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "SEND VOLUME TAG (0xb6)"},
    {{0xa5, 0, 0, 1, 0x03, 0xe8, 0x01, 0xf4, 0, 0, 0, 0}, "MOVE MEDIUM (0xa5) with a timeout of 7200000 ms",
     7'200'000u},  // two hours: above the one-hour cap
};

const std::vector<Cdb> kRefusedOnTape = {
    {{0xa5, 0, 0, 1, 0x03, 0xe8, 0x01, 0xf4, 0, 0, 0, 0}, "opcode 0xa5"},  // MOVE MEDIUM is the changer's
    {{0xb8, 0x10, 0, 0, 0, 1, 0, 0, 0x04, 0, 0, 0}, "opcode 0xb8"},
    {{0x8d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0}, "WRITE ATTRIBUTE (0x8d)"},
    {{0x0b, 0, 0, 0, 0x10, 0}, "SET CAPACITY (0x0b)"},
    {{0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "READ POSITION (0x34) with a timeout of 7200000 ms", 7'200'000u},
};

msg::ExecuteCdbRequest request(const Cdb& c) {
  msg::ExecuteCdbRequest r;
  r.cdb = c.bytes;
  r.timeout_ms = c.timeout_ms;
  return r;
}

msg::ExecuteCdbRequest read_request(std::vector<uint8_t> cdb, uint32_t len, uint32_t timeout_ms = 0) {
  msg::ExecuteCdbRequest r;
  r.flags = 1;  // data in
  r.datain_len = len;
  r.cdb = std::move(cdb);
  r.timeout_ms = timeout_ms;
  return r;
}

void open_changer(client::Client& c) {
  msg::ScsiOpenRequest o;
  o.device = "emu-changer";
  ASSERT_EQ(c.call(code::SCSI_OPEN, o).error(), Error::no_err);
}

// Raw: v3/v4 open a drive without a tape, enough for pass-through.
void open_drive_raw(client::Client& c) {
  msg::TapeOpenRequest o;
  o.device = "emu-drive0";
  o.mode = msg::TapeOpenMode::raw;
  ASSERT_EQ(c.call(code::TAPE_OPEN, o).error(), Error::no_err);
}

void expect_refused(client::Client& c, uint32_t op, const char* device, const std::vector<Cdb>& list) {
  const char* op_name = op == code::SCSI_EXECUTE_CDB ? "SCSI_EXECUTE_CDB" : "TAPE_EXECUTE_CDB";
  for (const auto& cdb : list) {
    LogCapture log;
    auto r = c.call(op, request(cdb));
    ASSERT_TRUE(r.ok) << r.failure;
    EXPECT_EQ(r.error(), Error::illegal_args) << op_name << " " << cdb.logged;
    EXPECT_TRUE(log.contains(fmt::format("{} on {} refused: {}", op_name, device, cdb.logged)))
        << "the refusal names the opcode:\n" << log.text();
  }
}

class CdbPolicy : public ::testing::TestWithParam<int> {
 protected:
  test::TestServer server{with_library};
  std::unique_ptr<client::Client> c = server.login(GetParam());
};

TEST_P(CdbPolicy, ChangerRefusesWhatADmaDoesNotNeed) {
  ASSERT_TRUE(c);
  open_changer(*c);
  expect_refused(*c, code::SCSI_EXECUTE_CDB, "emu-changer", kRefusedEverywhere);
  expect_refused(*c, code::SCSI_EXECUTE_CDB, "emu-changer", kRefusedOnChanger);
}

TEST_P(CdbPolicy, ChangerPassesInventoryAndMoves) {
  ASSERT_TRUE(c);
  open_changer(*c);
  const std::vector<msg::ExecuteCdbRequest> allowed = {
      request({{0x00, 0, 0, 0, 0, 0}, ""}),                                       // TEST UNIT READY
      read_request({0x12, 0, 0, 0, 0x60, 0}, 0x60),                               // INQUIRY
      read_request({0x1a, 0x08, 0x1d, 0, 0xff, 0}, 0xff),                         // MODE SENSE, element addresses
      request({{0x07, 0, 0, 0, 0, 0}, "", 3'600'000u}),                           // INITIALIZE ELEMENT STATUS, 1 h
      read_request({0xb8, 0x10, 0, 0, 0, 8, 0, 0x04, 0, 0, 0, 0}, 0x400),         // READ ELEMENT STATUS
      request({{0xa5, 0, 0, 1, 0x03, 0xe8, 0x01, 0xf4, 0, 0, 0, 0}, "", 300'000}),  // MOVE MEDIUM 1000 -> 500
  };
  for (const auto& r : allowed) {
    auto x = c->call(code::SCSI_EXECUTE_CDB, r);
    EXPECT_EQ(x.error(), Error::no_err) << fmt::format("opcode 0x{:02x}", r.cdb[0]);
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, CdbPolicy, ::testing::Values(2, 3, 4),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

class TapeCdbPolicy : public CdbPolicy {};

TEST_P(TapeCdbPolicy, TapeRefusesWhatADmaDoesNotNeed) {
  ASSERT_TRUE(c);
  open_drive_raw(*c);
  expect_refused(*c, code::TAPE_EXECUTE_CDB, "emu-drive0", kRefusedEverywhere);
  expect_refused(*c, code::TAPE_EXECUTE_CDB, "emu-drive0", kRefusedOnTape);
  // A tape opened through SCSI_OPEN is judged as a tape.
  ASSERT_EQ(c->call(code::TAPE_CLOSE).error(), Error::no_err);
  msg::ScsiOpenRequest o;
  o.device = "emu-drive1";
  ASSERT_EQ(c->call(code::SCSI_OPEN, o).error(), Error::no_err);
  expect_refused(*c, code::SCSI_EXECUTE_CDB, "emu-drive1", kRefusedOnTape);
}

TEST_P(TapeCdbPolicy, TapePassesPositioningStatusAndLongErase) {
  ASSERT_TRUE(c);
  open_drive_raw(*c);
  const std::vector<msg::ExecuteCdbRequest> allowed = {
      request({{0x00, 0, 0, 0, 0, 0}, ""}),                                // TEST UNIT READY
      read_request({0x12, 0, 0, 0, 0x60, 0}, 0x60),                        // INQUIRY
      read_request({0x05, 0, 0, 0, 0, 0}, 6),                              // READ BLOCK LIMITS
      read_request({0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 20),                 // READ POSITION
      read_request({0x1a, 0, 0x3f, 0, 0xff, 0}, 0xff),                     // MODE SENSE
      request({{0x01, 0, 0, 0, 0, 0}, "", 3'600'000u}),                    // REWIND, 1 h
      request({{0x19, 0x01, 0, 0, 0, 0}, "", 13 * 3'600'000u}),            // long ERASE, 13 h
  };
  for (const auto& r : allowed) {
    auto x = c->call(code::TAPE_EXECUTE_CDB, r);
    EXPECT_EQ(x.error(), Error::no_err) << fmt::format("opcode 0x{:02x}", r.cdb[0]);
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, TapeCdbPolicy, ::testing::Values(3, 4),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

// scsi-passthrough = all for one device lets its commands through (an
// operator's choice for a DMA that needs vendor commands); the cap stays,
// and the other devices keep the safe set.
TEST(CdbPolicyConfig, AllForOneDeviceOnly) {
  test::TestServer server{[](server::Config& c) {
    with_library(c);
    c.scsi_passthrough_by_device["emu-changer"] = server::ScsiPassthrough::all;
  }};
  auto c = server.login(4);
  ASSERT_TRUE(c);
  open_changer(*c);
  EXPECT_EQ(c->call(code::SCSI_EXECUTE_CDB, request({{0xc0, 0, 0, 0, 0, 0}, ""})).error(), Error::no_err)
      << "reaches the device, which answers with its own status";
  EXPECT_EQ(c->call(code::SCSI_EXECUTE_CDB, request({{0x12, 0, 0, 0, 0x60, 0}, "", 4'233'600'000u})).error(),
            Error::illegal_args)
      << "49 days is above the cap even with all";
  ASSERT_EQ(c->call(code::SCSI_CLOSE).error(), Error::no_err);
  open_drive_raw(*c);
  EXPECT_EQ(c->call(code::TAPE_EXECUTE_CDB, request({{0xc0, 0, 0, 0, 0, 0}, ""})).error(), Error::illegal_args);
}

TEST(CdbPolicyConfig, ConfigurationKey) {
  test::TempDir dir;
  const auto file = dir.path() / "ndmpd.conf";
  std::ofstream(file) << "scsi-passthrough = safe\nscsi-passthrough = changer0=all\n";
  const std::string f = file.string();
  const char* argv[] = {"ndmpd", "--config", f.c_str()};
  server::Config c;
  ASSERT_EQ(server::parse_config(3, argv, c), server::ParseOutcome::run);
  EXPECT_EQ(c.passthrough_for("changer0"), server::ScsiPassthrough::all);
  EXPECT_EQ(c.passthrough_for("tape0"), server::ScsiPassthrough::safe);
  std::ofstream(file) << "scsi-passthrough = some\n";
  server::Config bad;
  EXPECT_EQ(server::parse_config(3, argv, bad), server::ParseOutcome::exit_error);
}

// What ndmjob's robot sends for an inventory and a load is inside the safe
// set: nothing it does is refused.
TEST(CdbPolicyNdmjob, InventoryAndLoadStillWork) {
  if (!test::ndmjob_available()) GTEST_SKIP() << "SKIPPED: ndmjob is not installed";
  test::TestServer server{with_library};
  LogCapture log;
  for (int v : {3, 4}) {
    const std::string a = fmt::format("127.0.0.1:{}/{}m,{},{}", server.port(), v, test::kUser, test::kPassword);
    auto with = [&](std::vector<std::string> args) {
      for (const char* s : {"-R", a.c_str(), "-r", "emu-changer"}) args.push_back(s);
      return test::run_ndmjob(args);
    };
    auto init = with({"-v", "-o", "init-elem-status"});
    EXPECT_TRUE(init.has("Operation complete")) << init.output;
    auto q = with({"-q"});
    EXPECT_TRUE(q.has("NDM001L6")) << q.output;
    auto load = with({"-v", "-o", "load=1000"});
    EXPECT_TRUE(load.has("Operation complete")) << load.output;
    EXPECT_FALSE(load.has("had problems")) << load.output;
    auto unload = with({"-v", "-o", "unload"});
    EXPECT_TRUE(unload.has("Operation complete")) << unload.output;
  }
  EXPECT_FALSE(log.contains("EXECUTE_CDB on")) << "nothing ndmjob sent was refused:\n" << log.text();
}

}  // namespace
}  // namespace ndmp::security

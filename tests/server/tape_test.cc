// TAPE and SCSI interfaces over loopback against the emulated library: each
// message and each error case the protocol names.
#include <gtest/gtest.h>

#include "tests/support/test_server.h"

namespace ndmp {
namespace {

using msg::Error;
namespace code = msg::code;

void with_library(server::Config& c) {
  c.library_dir = (std::filesystem::path(c.state_dir).parent_path() / "library").string();
  c.library_drives = 2;
  c.library_slots = 4;
  c.library_tape_mib = 4;
}

class TapeTest : public ::testing::TestWithParam<int> {
 protected:
  test::TestServer server{with_library};
  std::unique_ptr<client::Client> c = server.login(GetParam());

  // Moves the tape in slot 0 into drive 0 through the SCSI interface (MOVE MEDIUM).
  void load_drive0() {
    auto r = open_scsi("emu-changer");
    ASSERT_EQ(r, Error::no_err);
    msg::ExecuteCdbRequest cdb;
    cdb.cdb = {0xA5, 0, 0, 1, 0x03, 0xE8, 0x01, 0xF4, 0, 0, 0, 0};  // MOVE MEDIUM 1000 -> 500
    auto x = c->call(code::SCSI_EXECUTE_CDB, cdb);
    ASSERT_EQ(x.error(), Error::no_err);
    ASSERT_EQ(x.as<msg::ExecuteCdbReply>().status, 0) << "MOVE MEDIUM failed";
    ASSERT_EQ(c->call(code::SCSI_CLOSE).error(), Error::no_err);
  }
  Error open_scsi(const std::string& name) {
    msg::ScsiOpenRequest o;
    o.device = name;
    return c->call(code::SCSI_OPEN, o).error();
  }
  Error open_tape(const std::string& name, msg::TapeOpenMode mode) {
    msg::TapeOpenRequest o;
    o.device = name;
    o.mode = mode;
    return c->call(code::TAPE_OPEN, o).error();
  }
  std::pair<Error, uint32_t> write(const std::vector<uint8_t>& data) {
    msg::TapeWriteRequest w;
    w.data = data;
    auto r = c->call(code::TAPE_WRITE, w);
    return {r.error(), r.ok ? r.as<msg::TapeWriteReply>().count : 0};
  }
  std::pair<Error, std::vector<uint8_t>> read(uint32_t n) {
    msg::TapeReadRequest q;
    q.count = n;
    auto r = c->call(code::TAPE_READ, q);
    return {r.error(), r.ok && r.header.error == Error::no_err ? r.as<msg::TapeReadReply>().data : std::vector<uint8_t>{}};
  }
  std::pair<Error, uint32_t> mtio(msg::MtioOp op, uint32_t count) {
    msg::TapeMtioRequest m;
    m.op = op;
    m.count = count;
    auto r = c->call(code::TAPE_MTIO, m);
    return {r.error(), r.ok ? r.as<msg::TapeMtioReply>().resid_count : 0};
  }
  msg::TapeGetStateReply state() {
    auto r = c->call(code::TAPE_GET_STATE);
    return r.as<msg::TapeGetStateReply>();
  }
};

TEST_P(TapeTest, InventoryListsEmulatedDrivesAndChanger) {
  if (GetParam() == 2) GTEST_SKIP() << "v2 has no CONFIG_GET_TAPE_INFO";
  auto t = c->call(code::CONFIG_GET_TAPE_INFO);
  ASSERT_EQ(t.error(), Error::no_err);
  std::vector<std::string> names;
  for (const auto& d : t.as<msg::ConfigGetTapeInfoReply>().devices)
    for (const auto& cap : d.caplist) names.push_back(cap.device);
  EXPECT_EQ(names, (std::vector<std::string>{"emu-drive0", "emu-drive1"}));
  auto s = c->call(code::CONFIG_GET_SCSI_INFO);
  ASSERT_EQ(s.as<msg::ConfigGetScsiInfoReply>().devices.size(), 1u);
  EXPECT_EQ(s.as<msg::ConfigGetScsiInfoReply>().devices[0].caplist.at(0).device, "emu-changer");
}

TEST_P(TapeTest, OpenErrors) {
  EXPECT_EQ(open_tape("bogus", msg::TapeOpenMode::read), Error::no_device);
  EXPECT_EQ(open_tape("/dev/sda", msg::TapeOpenMode::read), Error::no_device);
  EXPECT_EQ(open_tape("../../etc/passwd", msg::TapeOpenMode::read), Error::no_device);
  EXPECT_EQ(open_tape("emu-drive0", static_cast<msg::TapeOpenMode>(77)), Error::illegal_args);
  EXPECT_EQ(open_tape("emu-drive0", msg::TapeOpenMode::read), Error::no_tape_loaded);
  EXPECT_EQ(c->call(code::TAPE_CLOSE).error(), Error::dev_not_open);
  load_drive0();
  ASSERT_EQ(open_tape("emu-drive0", msg::TapeOpenMode::rdwr), Error::no_err);
  EXPECT_EQ(open_tape("emu-drive0", msg::TapeOpenMode::rdwr), Error::device_opened);
  EXPECT_EQ(open_scsi("emu-changer"), Error::device_opened);
  // Another session cannot take the same drive.
  auto other = server.login(GetParam());
  msg::TapeOpenRequest o;
  o.device = "emu-drive0";
  o.mode = msg::TapeOpenMode::read;
  EXPECT_EQ(other->call(code::TAPE_OPEN, o).error(), Error::device_busy);
  EXPECT_EQ(c->call(code::TAPE_CLOSE).error(), Error::no_err);
  EXPECT_EQ(other->call(code::TAPE_OPEN, o).error(), Error::no_err);
}

TEST_P(TapeTest, DroppedSessionReleasesItsDrive) {
  load_drive0();
  ASSERT_EQ(open_tape("emu-drive0", msg::TapeOpenMode::rdwr), Error::no_err);
  c->close();  // the DMA crashes
  server.wait_until_no_sessions();  // its session's thread notices the drop asynchronously
  auto other = server.login(GetParam());
  msg::TapeOpenRequest o;
  o.device = "emu-drive0";
  o.mode = msg::TapeOpenMode::read;
  EXPECT_EQ(other->call(code::TAPE_OPEN, o).error(), Error::no_err) << "the dropped session must release its drive";
}

TEST_P(TapeTest, WriteReadFilemarksAndResiduals) {
  load_drive0();
  ASSERT_EQ(open_tape("emu-drive0", msg::TapeOpenMode::rdwr), Error::no_err);
  std::vector<uint8_t> rec(1000);
  for (size_t i = 0; i < rec.size(); ++i) rec[i] = static_cast<uint8_t>(i * 7);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(write(rec), std::make_pair(Error::no_err, 1000u));
  EXPECT_EQ(write({}), std::make_pair(Error::no_err, 0u)) << "zero-length write is a no-op";
  EXPECT_EQ(mtio(msg::MtioOp::eof, 1).first, Error::no_err);
  EXPECT_EQ(write(rec).first, Error::no_err);
  EXPECT_EQ(mtio(msg::MtioOp::eof, 1).first, Error::no_err);
  auto st = state();
  EXPECT_EQ(st.file_num, 2u);
  EXPECT_EQ(st.blockno, 0u);
  EXPECT_EQ(mtio(msg::MtioOp::rew, 0).first, Error::no_err);
  EXPECT_EQ(state().file_num, 0u);

  auto [e1, d1] = read(4096);
  EXPECT_EQ(e1, Error::no_err);
  EXPECT_EQ(d1, rec);
  auto [e2, d2] = read(10);  // a shorter read returns the start of the record
  EXPECT_EQ(e2, Error::no_err);
  EXPECT_EQ(d2, std::vector<uint8_t>(rec.begin(), rec.begin() + 10));
  EXPECT_EQ(read(4096).first, Error::no_err);
  EXPECT_EQ(read(4096).first, Error::eof) << "file mark";
  if (GetParam() >= 4) {
    EXPECT_EQ(read(4096).first, Error::eof) << "v4: the mark stays ahead until spaced over";
    EXPECT_EQ(mtio(msg::MtioOp::fsf, 1), std::make_pair(Error::no_err, 0u));
  } else {
    EXPECT_EQ(state().file_num, 1u) << "v2/v3: the read crossed the mark";
  }
  EXPECT_EQ(read(4096).first, Error::no_err);
  EXPECT_EQ(mtio(msg::MtioOp::fsf, 1), std::make_pair(Error::no_err, 0u));
  auto end = read(4096).first;
  EXPECT_EQ(end, GetParam() >= 4 ? Error::eom : Error::eof) << "end of data: EOM in v4, EOF in v2/v3";

  // Residuals: spacing further than there is.
  EXPECT_EQ(mtio(msg::MtioOp::rew, 0).first, Error::no_err);
  EXPECT_EQ(mtio(msg::MtioOp::fsr, 5), std::make_pair(Error::no_err, 2u)) << "3 records then a mark";
  if (GetParam() >= 4) {
    EXPECT_EQ(read(4096).first, Error::eof) << "v4: FSR stops before the mark";
    EXPECT_EQ(mtio(msg::MtioOp::bsr, 5), std::make_pair(Error::no_err, 2u));
    EXPECT_EQ(state().file_num, 0u);
  } else {
    EXPECT_EQ(state().file_num, 1u) << "v2/v3: FSR crossed the mark";
    EXPECT_EQ(mtio(msg::MtioOp::rew, 0).first, Error::no_err);
  }
  EXPECT_EQ(mtio(msg::MtioOp::fsf, 5), std::make_pair(Error::no_err, 3u));
  EXPECT_EQ(mtio(msg::MtioOp::bsf, 5).second, 3u) << "two marks, then BOT";
  EXPECT_EQ(mtio(msg::MtioOp::fsf, 0), std::make_pair(Error::no_err, 0u));
}

TEST_P(TapeTest, ReadOnlyOpenRefusesWrites) {
  load_drive0();
  ASSERT_EQ(open_tape("emu-drive0", msg::TapeOpenMode::read), Error::no_err);
  EXPECT_EQ(write({1, 2, 3}).first, Error::permission);
  EXPECT_EQ(mtio(msg::MtioOp::eof, 1).first, Error::permission);
  EXPECT_EQ(read(0x80000000u).first, Error::illegal_args);
}

TEST_P(TapeTest, CloseWritesTheImplicitFilemark) {
  load_drive0();
  ASSERT_EQ(open_tape("emu-drive0", msg::TapeOpenMode::rdwr), Error::no_err);
  EXPECT_EQ(write({1, 2, 3}).first, Error::no_err);
  EXPECT_EQ(c->call(code::TAPE_CLOSE).error(), Error::no_err);
  ASSERT_EQ(open_tape("emu-drive0", msg::TapeOpenMode::read), Error::no_err);
  EXPECT_EQ(mtio(msg::MtioOp::rew, 0).first, Error::no_err);
  EXPECT_EQ(read(100).first, Error::no_err);
  EXPECT_EQ(read(100).first, Error::eof) << "close left a file mark after the data";
}

TEST_P(TapeTest, EarlyWarningThenEomThenWritesAgain) {
  load_drive0();
  ASSERT_EQ(open_tape("emu-drive0", msg::TapeOpenMode::rdwr), Error::no_err);
  std::vector<uint8_t> rec(64 * 1024, 0x5a);
  int written = 0;
  Error e = Error::no_err;
  for (; written < 200; ++written) {
    e = write(rec).first;
    if (e != Error::no_err) break;
  }
  EXPECT_EQ(e, Error::eom) << "4 MiB tape must report EOM before 200 x 64 KiB";
  EXPECT_GT(written, 50);
  EXPECT_EQ(write(rec).first, Error::no_err) << "after EOM was reported, writes continue into the zone";
  auto st = state();
  EXPECT_EQ(st.invalid & 0x10, 0u) << "emulated tapes know their capacity";
  EXPECT_EQ(st.total_space, 4u << 20);
  EXPECT_LT(st.space_remain, 256u * 1024);
}

TEST_P(TapeTest, ScsiExecuteCdbReadElementStatusSeesTheMove) {
  load_drive0();
  ASSERT_EQ(open_scsi("emu-changer"), Error::no_err);
  msg::ExecuteCdbRequest cdb;
  cdb.flags = 0x1;
  cdb.datain_len = 4096;
  // READ ELEMENT STATUS, data transfer elements (type 4), from 500, 2 elements, volume tags.
  cdb.cdb = {0xB8, 0x14, 0x01, 0xF4, 0, 2, 0, 0x00, 0x10, 0x00, 0, 0};
  auto r = c->call(code::SCSI_EXECUTE_CDB, cdb);
  ASSERT_EQ(r.error(), Error::no_err);
  const auto& x = r.as<msg::ExecuteCdbReply>();
  ASSERT_EQ(x.status, 0);
  ASSERT_GT(x.datain.size(), 16u);
  std::string data(x.datain.begin(), x.datain.end());
  EXPECT_NE(data.find("NDM001L6"), std::string::npos) << "drive 0 holds the first tape";
  // A command the policy passes but the device does not implement (the
  // emulated changer has no REPORT LUNS) comes back as CHECK CONDITION with
  // sense, still NO_ERR. A vendor opcode never reaches the device
  // (tests/security/cdb_policy_test.cc).
  msg::ExecuteCdbRequest bad;
  bad.cdb = {0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0};
  auto b = c->call(code::SCSI_EXECUTE_CDB, bad);
  ASSERT_EQ(b.error(), Error::no_err);
  EXPECT_EQ(b.as<msg::ExecuteCdbReply>().status, 2);
  ASSERT_GE(b.as<msg::ExecuteCdbReply>().ext_sense.size(), 14u);
  EXPECT_EQ(b.as<msg::ExecuteCdbReply>().ext_sense[2] & 0x0f, 5) << "ILLEGAL REQUEST";
  EXPECT_EQ(b.as<msg::ExecuteCdbReply>().ext_sense[12], 0x20) << "INVALID COMMAND OPERATION CODE";
  EXPECT_EQ(c->call(code::SCSI_GET_STATE).error(), Error::no_err);
  EXPECT_EQ(c->call(code::SCSI_RESET_DEVICE).error(), Error::no_err);
}

TEST_P(TapeTest, ScsiWithoutOpenDevice) {
  EXPECT_EQ(c->call(code::SCSI_CLOSE).error(), Error::dev_not_open);
  EXPECT_EQ(c->call(code::SCSI_GET_STATE).error(), Error::dev_not_open);
  msg::ExecuteCdbRequest cdb;
  cdb.cdb = {0, 0, 0, 0, 0, 0};
  EXPECT_EQ(c->call(code::SCSI_EXECUTE_CDB, cdb).error(), Error::dev_not_open);
  EXPECT_EQ(open_scsi("/dev/sg0"), Error::no_device);
}

INSTANTIATE_TEST_SUITE_P(Versions, TapeTest, ::testing::Values(2, 3, 4),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

}  // namespace
}  // namespace ndmp

namespace ndmp {
namespace {

// ndmjob test-tape T-BWR: a lone file mark at BOT, then spacing both ways.
TEST(TapeResiduals, LoneFilemarkAtBot) {
  test::TestServer server{with_library};
  auto c = server.login(4);
  msg::ScsiOpenRequest so;
  so.device = "emu-changer";
  ASSERT_EQ(c->call(code::SCSI_OPEN, so).error(), Error::no_err);
  msg::ExecuteCdbRequest cdb;
  cdb.cdb = {0xA5, 0, 0, 1, 0x03, 0xE8, 0x01, 0xF4, 0, 0, 0, 0};
  ASSERT_EQ(c->call(code::SCSI_EXECUTE_CDB, cdb).as<msg::ExecuteCdbReply>().status, 0);
  ASSERT_EQ(c->call(code::SCSI_CLOSE).error(), Error::no_err);
  msg::TapeOpenRequest o;
  o.device = "emu-drive0";
  o.mode = msg::TapeOpenMode::rdwr;
  ASSERT_EQ(c->call(code::TAPE_OPEN, o).error(), Error::no_err);
  auto mt = [&](msg::MtioOp op, uint32_t n) {
    msg::TapeMtioRequest m;
    m.op = op;
    m.count = n;
    auto r = c->call(code::TAPE_MTIO, m);
    EXPECT_EQ(r.error(), Error::no_err);
    return r.as<msg::TapeMtioReply>().resid_count;
  };
  msg::TapeWriteRequest w;
  w.data.assign(1024, 7);
  EXPECT_EQ(c->call(code::TAPE_WRITE, w).error(), Error::no_err);
  EXPECT_EQ(mt(msg::MtioOp::eof, 1), 0u);
  EXPECT_EQ(mt(msg::MtioOp::rew, 1), 0u);
  EXPECT_EQ(mt(msg::MtioOp::bsr, 100), 100u);
  EXPECT_EQ(mt(msg::MtioOp::bsf, 100), 100u);
  EXPECT_EQ(mt(msg::MtioOp::eof, 1), 0u);
  EXPECT_EQ(mt(msg::MtioOp::bsf, 100), 99u);
  EXPECT_EQ(mt(msg::MtioOp::fsf, 100), 99u);
  // A record written and spaced over at once: no implicit mark in between.
  EXPECT_EQ(mt(msg::MtioOp::rew, 1), 0u);
  EXPECT_EQ(c->call(code::TAPE_WRITE, w).error(), Error::no_err);
  EXPECT_EQ(mt(msg::MtioOp::bsr, 100), 99u);
  EXPECT_EQ(mt(msg::MtioOp::fsr, 100), 99u);
  EXPECT_EQ(mt(msg::MtioOp::fsr, 100), 100u);
  EXPECT_EQ(mt(msg::MtioOp::fsf, 100), 100u);
  EXPECT_EQ(c->call(code::TAPE_CLOSE).error(), Error::no_err);
  // Label-style processing: write one record and a mark at BOT, read it back.
  for (int pass = 0; pass < 2; ++pass) {
    ASSERT_EQ(c->call(code::TAPE_OPEN, o).error(), Error::no_err);
    EXPECT_EQ(mt(msg::MtioOp::rew, 1), 0u);
    msg::TapeWriteRequest lw;
    for (int i = 0; i < 1024; ++i) lw.data.push_back(static_cast<uint8_t>((i - 4) & 0xff));
    EXPECT_EQ(c->call(code::TAPE_WRITE, lw).error(), Error::no_err);
    EXPECT_EQ(mt(msg::MtioOp::eof, 1), 0u);
    ASSERT_EQ(c->call(code::TAPE_CLOSE).error(), Error::no_err);
    ASSERT_EQ(c->call(code::TAPE_OPEN, o).error(), Error::no_err);
    EXPECT_EQ(mt(msg::MtioOp::rew, 1), 0u);
    msg::TapeReadRequest rq;
    rq.count = pass == 1 ? 65536 : 1024;
    auto rr = c->call(code::TAPE_READ, rq);
    ASSERT_EQ(rr.error(), Error::no_err);
    EXPECT_EQ(rr.as<msg::TapeReadReply>().data, lw.data) << "pass " << pass;
    rq.count = 1024;
    EXPECT_EQ(c->call(code::TAPE_READ, rq).error(), Error::eof);
    ASSERT_EQ(c->call(code::TAPE_CLOSE).error(), Error::no_err);
  }
}

}  // namespace
}  // namespace ndmp

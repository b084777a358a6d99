// The emulated SSC drive and SMC changer checked CDB by CDB against the SSC-4
// and SMC-3 rules, with the sense codes named. (sg3-utils, mtx and mt-st
// cannot reach an in-process target, so the rules are written here.)
#include <gtest/gtest.h>

#include "devices/emulated/library.h"
#include "devices/scsi_cdb.h"
#include "test_util.h"

namespace ndmp::dev::test {
namespace {

using emu::kFirstDrive;
using emu::kFirstSlot;

class EmulatorSemantics : public testing::Test {
 protected:
  void SetUp() override {
    spec_ = small_spec();
    spec_.tape_capacity = 1ull << 20;  // 1 MiB tape,
    spec_.early_warning = 256 * 1024;  // early warning from 768 KiB
    spec_.write_protected = {"TST003L6"};
    ASSERT_TRUE(emu::create_library(dir_.path(), spec_));
    auto lib = emu::Library::open(dir_.path());
    ASSERT_TRUE(lib.ok()) << lib.status().to_string();
    lib_ = *lib;
    drive_ = lib_->drive_transport(0);
    changer_ = lib_->changer_transport();
  }
  // MOVE MEDIUM through the changer's CDB interface.
  Raw move(uint16_t from, uint16_t to) {
    std::vector<uint8_t> cdb(12, 0);
    cdb[0] = op::move_medium;
    be::put16(cdb, 4, from);
    be::put16(cdb, 6, to);
    return run(*changer_, cdb);
  }
  void load(uint16_t slot = kFirstSlot) {
    ASSERT_TRUE(move(slot, kFirstDrive).result.good());
    Raw ua = run(*drive_, {op::test_unit_ready, 0, 0, 0, 0, 0});
    ASSERT_TRUE(ua.sense.is(0x6, 0x28, 0x00)) << "UNIT ATTENTION, NOT READY TO READY CHANGE after load";
    ASSERT_TRUE(run(*drive_, {op::test_unit_ready, 0, 0, 0, 0, 0}).result.good());
  }
  Raw write(std::span<const uint8_t> rec) {
    std::vector<uint8_t> cdb{op::write6, 0, 0, 0, 0, 0};
    be::put24(cdb, 2, uint32_t(rec.size()));
    return run(*drive_, cdb, Direction::out, {}, rec);
  }
  Raw read(std::vector<uint8_t>& buf) {
    std::vector<uint8_t> cdb{op::read6, 0, 0, 0, 0, 0};
    be::put24(cdb, 2, uint32_t(buf.size()));
    return run(*drive_, cdb, Direction::in, buf);
  }
  Raw filemarks(uint32_t n) {
    std::vector<uint8_t> cdb{op::write_filemarks6, 0, 0, 0, 0, 0};
    be::put24(cdb, 2, n);
    return run(*drive_, cdb);
  }
  Raw space(uint8_t code, int32_t n) {
    std::vector<uint8_t> cdb{op::space6, code, 0, 0, 0, 0};
    be::put24(cdb, 2, uint32_t(n) & 0xffffff);
    return run(*drive_, cdb);
  }
  Raw rewind() { return run(*drive_, {op::rewind, 0, 0, 0, 0, 0}); }

  TempDir dir_;
  emu::LibrarySpec spec_;
  std::shared_ptr<emu::Library> lib_;
  std::unique_ptr<Transport> drive_, changer_;
};

TEST_F(EmulatorSemantics, UnknownOpcodeIsInvalidCommandOperationCode) {
  Raw r = run(*drive_, {0x19 /* ERASE: not emulated */, 0, 0, 0, 0, 0});
  EXPECT_TRUE(r.sense.is(0x5, 0x20, 0x00)) << to_string(r.sense);
  r = run(*changer_, {0xa6 /* EXCHANGE MEDIUM */, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(r.sense.is(0x5, 0x20, 0x00)) << to_string(r.sense);
}

TEST_F(EmulatorSemantics, BadCdbFieldIsInvalidFieldInCdb) {
  std::vector<uint8_t> buf(64);
  Raw r = run(*drive_, {op::mode_sense6, 0, 0x22, 0, 64, 0}, Direction::in, buf);
  EXPECT_TRUE(r.sense.is(0x5, 0x24, 0x00)) << "unsupported mode page: " << to_string(r.sense);
  r = run(*drive_, {op::inquiry, 0x01, 0x99, 0, 64, 0}, Direction::in, buf);
  EXPECT_TRUE(r.sense.is(0x5, 0x24, 0x00)) << "unsupported VPD page";
}

TEST_F(EmulatorSemantics, EmptyDriveIsNotReadyMediumNotPresent) {
  Raw r = run(*drive_, {op::test_unit_ready, 0, 0, 0, 0, 0});
  EXPECT_TRUE(r.sense.is(0x2, 0x3a, 0x00)) << to_string(r.sense);
  std::vector<uint8_t> buf(512);
  EXPECT_TRUE(read(buf).sense.is(0x2, 0x3a, 0x00));
}

TEST_F(EmulatorSemantics, InquiryIsNotBlockedByUnitAttention) {
  ASSERT_TRUE(move(kFirstSlot, kFirstDrive).result.good());
  std::vector<uint8_t> buf(96);
  Raw r = run(*drive_, {op::inquiry, 0, 0, 0, 96, 0}, Direction::in, buf);
  EXPECT_TRUE(r.result.good()) << "INQUIRY never reports UNIT ATTENTION (SPC-4)";
  EXPECT_EQ(buf[0], 0x01);
  r = run(*drive_, {op::test_unit_ready, 0, 0, 0, 0, 0});
  EXPECT_TRUE(r.sense.is(0x6, 0x28, 0x00)) << "the attention is still pending for TUR";
}

TEST_F(EmulatorSemantics, ReadAtFilemarkReportsFilemarkWithResidual) {
  ASSERT_NO_FATAL_FAILURE(load());
  ASSERT_TRUE(write(pattern(1000, 1)).result.good());
  ASSERT_TRUE(filemarks(1).result.good());
  ASSERT_TRUE(write(pattern(1000, 2)).result.good());
  ASSERT_TRUE(rewind().result.good());
  std::vector<uint8_t> buf(1000);
  ASSERT_TRUE(read(buf).result.good());
  Raw fm = read(buf);
  EXPECT_TRUE(fm.sense.is(0x0, 0x00, 0x01)) << "NO SENSE, FILEMARK DETECTED: " << to_string(fm.sense);
  EXPECT_TRUE(fm.sense.filemark);
  EXPECT_TRUE(fm.sense.info_valid);
  EXPECT_EQ(fm.sense.info, 1000) << "INFORMATION = requested length not transferred";
  Raw next = read(buf);
  EXPECT_TRUE(next.result.good()) << "positioned after the filemark";
  EXPECT_EQ(buf, pattern(1000, 2));
}

TEST_F(EmulatorSemantics, ReadAtEndOfDataIsBlankCheck) {
  ASSERT_NO_FATAL_FAILURE(load());
  std::vector<uint8_t> buf(4096);
  Raw r = read(buf);
  EXPECT_TRUE(r.sense.is(0x8, 0x00, 0x05)) << "BLANK CHECK, END-OF-DATA DETECTED: " << to_string(r.sense);
  EXPECT_EQ(r.sense.info, 4096);
  EXPECT_TRUE(space(0, 1).sense.is(0x8, 0x00, 0x05)) << "SPACE blocks into EOD too";
}

TEST_F(EmulatorSemantics, ShortAndLongRecordsReportIli) {
  ASSERT_NO_FATAL_FAILURE(load());
  ASSERT_TRUE(write(pattern(100, 1)).result.good());
  ASSERT_TRUE(write(pattern(300, 2)).result.good());
  ASSERT_TRUE(rewind().result.good());
  std::vector<uint8_t> buf(200);
  Raw r = read(buf);
  EXPECT_TRUE(r.sense.ili);
  EXPECT_EQ(r.sense.info, 100) << "requested 200 - actual 100";
  EXPECT_EQ(r.result.resid, 100);
  r = read(buf);
  EXPECT_TRUE(r.sense.ili);
  EXPECT_EQ(r.sense.info, -100) << "requested 200 - actual 300 (negative, SSC-4)";
  auto whole = pattern(300, 2);
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), whole.begin())) << "first 200 bytes of the longer record";
}

TEST_F(EmulatorSemantics, EarlyWarningThenVolumeOverflowAtCapacity) {
  ASSERT_NO_FATAL_FAILURE(load());
  const size_t rec = 64 * 1024;
  int written = 0, warned_at = -1;
  Raw r;
  for (int i = 0; i < 32; ++i) {
    r = write(pattern(rec, uint32_t(i)));
    if (r.result.good()) {
      ++written;
      continue;
    }
    if (r.sense.is(0x0, 0x00, 0x02) && r.sense.eom) {  // early warning: written
      if (warned_at < 0) warned_at = i;
      ++written;
      continue;
    }
    break;
  }
  EXPECT_EQ(warned_at, 12) << "13th 64 KiB record ends beyond 768 KiB: first early warning";
  EXPECT_TRUE(r.sense.is(0xd, 0x00, 0x02)) << "VOLUME OVERFLOW at 1 MiB: " << to_string(r.sense);
  EXPECT_TRUE(r.sense.eom);
  EXPECT_EQ(r.sense.info, int64_t(rec)) << "nothing of the refused record was written";
  EXPECT_EQ(written, 16) << "exactly capacity / record size records fit";
  // What was acknowledged is all on tape.
  ASSERT_TRUE(rewind().result.good());
  std::vector<uint8_t> buf(rec);
  for (int i = 0; i < written; ++i) {
    ASSERT_TRUE(read(buf).result.good()) << "record " << i;
    EXPECT_EQ(buf, pattern(rec, uint32_t(i)));
  }
  EXPECT_TRUE(read(buf).sense.is(0x8, 0x00, 0x05));
}

TEST_F(EmulatorSemantics, WriteProtectedTapeRefusesWritesAndSaysSo) {
  ASSERT_NO_FATAL_FAILURE(load(kFirstSlot + 2));  // TST003L6 was created write-protected
  std::vector<uint8_t> buf(12);
  ASSERT_TRUE(run(*drive_, {op::mode_sense6, 0, 0, 0, 12, 0}, Direction::in, buf).result.good());
  EXPECT_TRUE(buf[2] & 0x80) << "MODE SENSE device-specific parameter WP bit";
  EXPECT_TRUE(write(pattern(512, 1)).sense.is(0x7, 0x27, 0x00)) << "DATA PROTECT, WRITE PROTECTED";
  EXPECT_TRUE(filemarks(1).sense.is(0x7, 0x27, 0x00));
}

TEST_F(EmulatorSemantics, SpaceBackPastBotReportsBeginningOfMedium) {
  ASSERT_NO_FATAL_FAILURE(load());
  ASSERT_TRUE(write(pattern(512, 1)).result.good());
  Raw r = space(0, -3);
  EXPECT_TRUE(r.sense.is(0x0, 0x00, 0x04)) << "BEGINNING-OF-PARTITION/MEDIUM DETECTED: " << to_string(r.sense);
  EXPECT_TRUE(r.sense.eom);
  EXPECT_EQ(r.sense.info, -2) << "requested -3, spaced -1";
}

TEST_F(EmulatorSemantics, ReadPositionLongFormGivesObjectAndFile) {
  ASSERT_NO_FATAL_FAILURE(load());
  ASSERT_TRUE(write(pattern(512, 1)).result.good());
  ASSERT_TRUE(filemarks(2).result.good());
  ASSERT_TRUE(write(pattern(512, 2)).result.good());
  std::vector<uint8_t> buf(32);
  ASSERT_TRUE(run(*drive_, {op::read_position, 0x06, 0, 0, 0, 0, 0, 0, 0, 0}, Direction::in, buf).result.good());
  EXPECT_EQ(be::get64(buf, 8), 4u) << "logical object number";
  EXPECT_EQ(be::get64(buf, 16), 2u) << "logical file identifier";
  EXPECT_FALSE(buf[0] & 0x80) << "not at BOP";
}

TEST_F(EmulatorSemantics, MoveMediumErrorsAreNamed) {
  EXPECT_TRUE(move(kFirstSlot + 5, kFirstDrive).sense.is(0x5, 0x3b, 0x0e)) << "MEDIUM SOURCE ELEMENT EMPTY";
  EXPECT_TRUE(move(kFirstSlot, kFirstSlot + 1).sense.is(0x5, 0x3b, 0x0d)) << "MEDIUM DESTINATION ELEMENT FULL";
  EXPECT_TRUE(move(kFirstSlot, 4242).sense.is(0x5, 0x21, 0x01)) << "INVALID ELEMENT ADDRESS";
  ASSERT_NO_FATAL_FAILURE(load());
  ASSERT_TRUE(run(*drive_, {op::prevent_allow, 0, 0, 0, 1, 0}).result.good());
  EXPECT_TRUE(move(kFirstDrive, kFirstSlot).sense.is(0x5, 0x53, 0x02)) << "MEDIUM REMOVAL PREVENTED";
  ASSERT_TRUE(run(*drive_, {op::prevent_allow, 0, 0, 0, 0, 0}).result.good());
  EXPECT_TRUE(move(kFirstDrive, kFirstSlot).result.good());
}

TEST_F(EmulatorSemantics, ReadElementStatusShowsBarcodesAndSource) {
  ASSERT_TRUE(move(kFirstSlot + 1, kFirstDrive + 1).result.good());
  std::vector<uint8_t> buf(8192);
  std::vector<uint8_t> cdb(12, 0);
  cdb[0] = op::read_element_status;
  cdb[1] = 0x10 | 4;  // VOLTAG, data transfer elements
  be::put16(cdb, 4, 100);
  cdb[6] = 0x01;  // DVCID
  be::put24(cdb, 7, uint32_t(buf.size()));
  ASSERT_TRUE(run(*changer_, cdb, Direction::in, buf).result.good());
  EXPECT_EQ(be::get16(buf, 0), kFirstDrive) << "first element reported";
  EXPECT_EQ(be::get16(buf, 2), 2u) << "two drives";
  EXPECT_EQ(buf[8], 4) << "page: data transfer";
  EXPECT_EQ(buf[9] & 0x80, 0x80) << "PVOLTAG";
  const size_t desc = be::get16(buf, 10);
  const uint8_t* d1 = &buf[16 + desc];  // second drive
  EXPECT_EQ(d1[2] & 0x01, 1) << "FULL";
  EXPECT_EQ(d1[9] & 0x80, 0x80) << "SVALID";
  EXPECT_EQ(be::get16(std::span<const uint8_t>(d1, desc), 10), kFirstSlot + 1) << "came from slot 1001";
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(d1 + 12), 8), "TST002L6");
  const std::string id(reinterpret_cast<const char*>(d1 + 12 + 36 + 4), d1[12 + 36 + 3]);
  EXPECT_NE(id.find(lib_->drive_serial(1)), std::string::npos) << "DVCID carries the drive serial: " << id;
}

}  // namespace
}  // namespace ndmp::dev::test

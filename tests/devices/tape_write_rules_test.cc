// The two writer's rules every user of a drive shares (devices/tape_write_rules.h),
// checked on the emulated drive: the record that reaches early warning is
// written, the next write reports end of medium once and writes nothing,
// the one after goes on; and settle() ends written data with one file mark.
#include <gtest/gtest.h>

#include "devices/emulated/library.h"
#include "devices/media_changer.h"
#include "devices/tape_drive.h"
#include "devices/tape_write_rules.h"
#include "test_util.h"

namespace ndmp::dev::test {
namespace {

class TapeWriteRulesTest : public testing::Test {
 protected:
  void SetUp() override {
    auto spec = small_spec();
    spec.tape_capacity = 1ull << 20;
    spec.early_warning = 256 * 1024;  // early warning from 768 KiB
    ASSERT_TRUE(emu::create_library(dir_.path(), spec));
    auto lib = emu::Library::open(dir_.path());
    ASSERT_TRUE(lib.ok()) << lib.status().to_string();
    lib_ = *lib;
    auto changer_t = lib_->changer_transport();
    MediaChanger changer(*changer_t);
    ASSERT_TRUE(changer.move_medium(emu::kFirstSlot, emu::kFirstDrive).ok());
    transport_ = lib_->drive_transport(0);
    drive_ = std::make_unique<TapeDrive>(*transport_);
    (void)drive_->test_unit_ready();  // consumes the UNIT ATTENTION of the load
    ASSERT_TRUE(drive_->test_unit_ready().ok());
    ASSERT_TRUE(drive_->set_block_size(0).ok());
  }

  TempDir dir_;
  std::shared_ptr<emu::Library> lib_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<TapeDrive> drive_;
};

TEST_F(TapeWriteRulesTest, EarlyWarningIsReportedOnceAsEndOfMedium) {
  TapeWriteRules rules(*drive_);
  const auto rec = pattern(64 * 1024, 1);
  int written = 0;
  Status st;
  while ((st = rules.write(rec)).ok()) {
    ++written;
    ASSERT_LT(written, 16) << "a 1 MiB tape cannot take 16 records of 64 KiB";
  }
  EXPECT_TRUE(st.is(Category::eom)) << st.to_string();
  EXPECT_EQ(written, 13) << "records up to and including the one that crossed 768 KiB are written";
  EXPECT_TRUE(rules.write(rec).ok()) << "end of medium is reported once; the writer may go on to close the file";
  EXPECT_TRUE(rules.owes_filemark());
  EXPECT_TRUE(rules.settle().ok());
  EXPECT_FALSE(rules.owes_filemark());

  // What is on the tape: 14 records, then the file mark settle() wrote.
  ASSERT_TRUE(drive_->rewind().ok());
  std::vector<uint8_t> buf(128 * 1024);
  int records = 0;
  for (;;) {
    auto r = drive_->read(buf);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    if (r->filemark) break;
    ASSERT_EQ(r->bytes, rec.size());
    ++records;
  }
  EXPECT_EQ(records, 14);
}

TEST_F(TapeWriteRulesTest, SettleWritesOneMarkOnlyWhenDataIsOwed) {
  TapeWriteRules rules(*drive_);
  EXPECT_TRUE(rules.settle().ok());  // nothing written: no mark
  ASSERT_TRUE(rules.write(pattern(1000, 2)).ok());
  ASSERT_TRUE(rules.write_filemarks(1).ok());
  EXPECT_FALSE(rules.owes_filemark()) << "an explicit mark pays what was owed";
  EXPECT_TRUE(rules.settle().ok());
  ASSERT_TRUE(rules.write(pattern(1000, 3)).ok());
  EXPECT_TRUE(rules.settle().ok());
  EXPECT_TRUE(rules.settle().ok());  // paid already: no second mark

  ASSERT_TRUE(drive_->rewind().ok());
  std::vector<uint8_t> buf(4096);
  std::string seen;
  for (;;) {
    auto r = drive_->read(buf);
    if (!r.ok()) break;  // blank check: end of data
    if (r->end_of_data) break;
    seen += r->filemark ? 'M' : 'R';
  }
  EXPECT_EQ(seen, "RMRM");
}

}  // namespace
}  // namespace ndmp::dev::test

// Fault injection through the decorator, and how the tape driver reacts.
#include "devices/fault_transport.h"

#include <gtest/gtest.h>

#include "devices/media_changer.h"
#include "devices/scsi_cdb.h"
#include "devices/tape_drive.h"
#include "test_util.h"

namespace ndmp::dev::test {
namespace {

class FaultInjection : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(emu::create_library(dir_.path(), small_spec()));
    auto lib = emu::Library::open(dir_.path());
    ASSERT_TRUE(lib.ok());
    lib_ = *lib;
    auto ct = lib_->changer_transport();
    ASSERT_TRUE(MediaChanger(*ct).move_medium(emu::kFirstSlot, emu::kFirstDrive));
    inner_ = lib_->drive_transport(0);
    faults_ = std::make_unique<FaultTransport>(*inner_);
    drive_ = std::make_unique<TapeDrive>(*faults_);
    ASSERT_TRUE(drive_->test_unit_ready());
  }
  std::vector<std::vector<uint8_t>> read_all() {
    std::vector<std::vector<uint8_t>> out;
    EXPECT_TRUE(drive_->rewind());
    std::vector<uint8_t> buf(65536);
    for (;;) {
      auto r = drive_->read(buf);
      if (!r.ok() || r->end_of_data || r->filemark) break;
      out.emplace_back(buf.begin(), buf.begin() + ptrdiff_t(r->bytes));
    }
    return out;
  }
  TempDir dir_;
  std::shared_ptr<emu::Library> lib_;
  std::unique_ptr<Transport> inner_;
  std::unique_ptr<FaultTransport> faults_;
  std::unique_ptr<TapeDrive> drive_;
};

TEST_F(FaultInjection, MediumErrorOnThirdWriteFailsThatWriteOnly) {
  faults_->add(Fault::on_nth(op::write6, 3).answer(sense_key::medium_error, 0x0c, 0x00));
  EXPECT_TRUE(drive_->write(pattern(1000, 1)));
  EXPECT_TRUE(drive_->write(pattern(1000, 2)));
  Status s = drive_->write(pattern(1000, 3));
  EXPECT_TRUE(s.is(Category::medium_error)) << s.to_string();
  ASSERT_TRUE(drive_->last_sense().has_value());
  EXPECT_TRUE(drive_->last_sense()->is(0x3, 0x0c, 0x00));
  EXPECT_TRUE(drive_->write(pattern(1000, 4)));
  EXPECT_EQ(faults_->pending(), 0u);
  auto recs = read_all();
  ASSERT_EQ(recs.size(), 3u) << "the failed record never reached the tape";
  EXPECT_EQ(recs[2], pattern(1000, 4));
}

TEST_F(FaultInjection, EarlyEomAfterTheWriteIsEarlyWarningWithDataKept) {
  faults_->add(Fault::on_nth(op::write6, 2).after_inner().eom().with_info(0));
  EXPECT_TRUE(drive_->write(pattern(500, 1)));
  Status s = drive_->write(pattern(500, 2));
  EXPECT_TRUE(s.is(Category::early_warning)) << s.to_string();
  EXPECT_EQ(drive_->tracked().block, 2u) << "the warned record counts as written";
  EXPECT_EQ(read_all().size(), 2u);
}

TEST_F(FaultInjection, UnitAttentionIsConsumedByTestUnitReadyAndResetsPosition) {
  ASSERT_TRUE(drive_->write(pattern(500, 1)));
  faults_->add(Fault::on_nth(op::test_unit_ready, 1).answer(sense_key::unit_attention, 0x28, 0x00));
  EXPECT_TRUE(drive_->test_unit_ready());
  EXPECT_TRUE(drive_->tracked().at_bot) << "medium may have changed: position is BOT";
}

TEST_F(FaultInjection, UnitAttentionOnWriteIsReportedNotRetried) {
  faults_->add(Fault::on_nth(op::write6, 1).answer(sense_key::unit_attention, 0x28, 0x00));
  Status s = drive_->write(pattern(500, 1));
  EXPECT_TRUE(s.is(Category::unit_attention)) << "a retried WRITE after a medium change could land on another tape";
  EXPECT_EQ(read_all().size(), 0u);
}

}  // namespace
}  // namespace ndmp::dev::test

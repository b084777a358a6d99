// Driver test bodies (see driver_conformance.h). Instantiated by
// emulated_rig.cc and sg_rig.cc.
#include "driver_conformance.h"

#include <algorithm>
#include <vector>

#include "test_util.h"

namespace ndmp::dev::test {

namespace {
// tgt corrupts a record read into a buffer under twice its size; set per test.
bool g_double_read_buffer = false;
}  // namespace

void DriverConformance::SetUp() {
  rig_ = GetParam().make();
  const std::string why = rig_->setup();
  if (!why.empty()) {
    std::fprintf(stderr, "\n*** SKIPPED %s driver suite: %s ***\n\n", GetParam().name.c_str(), why.c_str());
    GTEST_SKIP() << why;
  }
  g_double_read_buffer = rig_->is_tgt();
  drive_ = std::make_unique<TapeDrive>(rig_->tape());
  if (rig_->changer()) changer_ = std::make_unique<MediaChanger>(*rig_->changer());
}

void DriverConformance::TearDown() {
  if (drive_) (void)drive_->prevent_removal(false);
}

void DriverConformance::load_scratch_tape() {
  auto inq = drive_->inquiry();
  ASSERT_TRUE(inq.ok()) << inq.status().to_string();
  if (changer_) {
    ASSERT_TRUE(changer_->test_unit_ready()) << "changer not ready";
    auto all = changer_->read_element_status();
    ASSERT_TRUE(all.ok()) << all.status().to_string();
    // Which drive element is our drive: DVCID carries its serial (as real
    // libraries and tgt report it); otherwise the first drive.
    const ElementStatus* drive_el = nullptr;
    for (const auto& e : *all)
      if (e.type == ElementType::data_transfer && !inq->serial.empty() &&
          e.device_id.find(inq->serial) != std::string::npos)
        drive_el = &e;
    for (const auto& e : *all)
      if (!drive_el && e.type == ElementType::data_transfer) drive_el = &e;
    ASSERT_NE(drive_el, nullptr) << "changer reports no drive element";
    drive_element_ = drive_el->address;
    if (!drive_el->full) {
      auto slot = std::find_if(all->begin(), all->end(),
                               [](const ElementStatus& e) { return e.type == ElementType::storage && e.full; });
      ASSERT_NE(slot, all->end()) << "no tape in any slot to load";
      home_slot_ = slot->address;
      Status m = changer_->move_medium(slot->address, drive_element_);
      ASSERT_TRUE(m) << m.to_string();
    } else {
      home_slot_ = drive_el->source_valid ? drive_el->source : 0;
    }
  }
  Status ready = drive_->test_unit_ready();
  if (ready.is(Category::no_medium) || ready.is(Category::not_ready)) {
    ASSERT_TRUE(drive_->load()) << "LOAD failed";
    ready = drive_->test_unit_ready();
  }
  ASSERT_TRUE(ready) << ready.to_string();
  ASSERT_TRUE(drive_->rewind());
  ASSERT_TRUE(drive_->set_block_size(0));
}

namespace {
// Reads one record with a buffer larger than it (on tgt 2x + slack, to stay
// clear of its short-read bug in every test but the one about it; elsewhere
// only slack: a real host adapter caps one transfer, mhvtl's at 512 KiB).
ReadResult read_record(TapeDrive& d, std::vector<uint8_t>& into, size_t expect) {
  std::vector<uint8_t> buf(std::max<size_t>((g_double_read_buffer ? 2 * expect : expect) + 512, 1024));
  auto r = d.read(buf);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return {};
  into.assign(buf.begin(), buf.begin() + ptrdiff_t(r->bytes));
  return *r;
}
}  // namespace

TEST_P(DriverConformance, InquiryReportsTapeDriveWithSerial) {
  auto inq = drive_->inquiry();
  ASSERT_TRUE(inq.ok()) << inq.status().to_string();
  EXPECT_EQ(inq->peripheral_type, 1) << "SSC device type";
  EXPECT_TRUE(inq->removable);
  EXPECT_FALSE(inq->vendor.empty());
  EXPECT_FALSE(inq->product.empty());
  EXPECT_FALSE(inq->serial.empty()) << "VPD page 80h serial number";
}

TEST_P(DriverConformance, ChangerElementMapMatchesElementStatus) {
  if (!changer_) GTEST_SKIP() << "rig has no changer";
  auto inq = changer_->inquiry();
  ASSERT_TRUE(inq.ok()) << inq.status().to_string();
  EXPECT_EQ(inq->peripheral_type, 8) << "SMC device type";
  auto map = changer_->element_address_assignment();
  ASSERT_TRUE(map.ok()) << map.status().to_string();
  EXPECT_GE(map->transport_count, 1);
  EXPECT_GE(map->storage_count, 1);
  EXPECT_GE(map->data_transfer_count, 1);
  auto all = changer_->read_element_status();
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  auto count = [&](ElementType t) { return std::count_if(all->begin(), all->end(), [&](auto& e) { return e.type == t; }); };
  EXPECT_EQ(count(ElementType::storage), map->storage_count);
  EXPECT_EQ(count(ElementType::data_transfer), map->data_transfer_count);
  EXPECT_EQ(count(ElementType::import_export), map->import_export_count);
  for (const auto& e : *all)
    if (e.full && e.type == ElementType::storage) {
      EXPECT_FALSE(e.volume_tag.empty()) << "barcode of slot " << e.address;
    }
  auto drives = changer_->read_element_status(ElementType::data_transfer);
  ASSERT_TRUE(drives.ok());
  EXPECT_EQ(drives->size(), size_t(map->data_transfer_count));
}

TEST_P(DriverConformance, MoveTapeToDriveAndBackShowsInElementStatus) {
  if (!changer_) GTEST_SKIP() << "rig has no changer";
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  auto find = [&](uint16_t addr) -> ElementStatus {
    auto all = changer_->read_element_status();
    EXPECT_TRUE(all.ok());
    for (auto& e : *all)
      if (e.address == addr) return e;
    ADD_FAILURE() << "element " << addr << " missing";
    return {};
  };
  ElementStatus in_drive = find(drive_element_);
  ASSERT_TRUE(in_drive.full);
  const std::string tag = in_drive.volume_tag;
  // Back to an empty slot.
  auto all = changer_->read_element_status(ElementType::storage);
  ASSERT_TRUE(all.ok());
  auto empty = std::find_if(all->begin(), all->end(), [](auto& e) { return !e.full; });
  ASSERT_NE(empty, all->end()) << "no empty slot";
  ASSERT_TRUE(drive_->unload()) << "unload before the robot takes the tape";
  Status m = changer_->move_medium(drive_element_, empty->address);
  ASSERT_TRUE(m) << m.to_string();
  EXPECT_FALSE(find(drive_element_).full);
  ElementStatus slot = find(empty->address);
  EXPECT_TRUE(slot.full);
  EXPECT_EQ(slot.volume_tag, tag);
  EXPECT_TRUE(drive_->test_unit_ready().is(Category::no_medium)) << "drive empty -> NOT READY, MEDIUM NOT PRESENT";
  ASSERT_TRUE(changer_->move_medium(empty->address, drive_element_));
  EXPECT_TRUE(find(drive_element_).full);
  EXPECT_EQ(find(drive_element_).volume_tag, tag);
  EXPECT_TRUE(drive_->test_unit_ready()) << "ready again after the UNIT ATTENTION";
}

TEST_P(DriverConformance, WriteRecordsAndFilemarksReadBackByteExact) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  const std::vector<size_t> file0{65536, 10240, 32768}, file1{262144, 512};
  uint32_t seed = 1;
  for (size_t n : file0) ASSERT_TRUE(drive_->write(pattern(n, seed++)));
  ASSERT_TRUE(drive_->write_filemarks(1));
  for (size_t n : file1) ASSERT_TRUE(drive_->write(pattern(n, seed++)));
  ASSERT_TRUE(drive_->write_filemarks(1));
  EXPECT_EQ(drive_->tracked().file, 2u);
  EXPECT_EQ(drive_->tracked().block, 0u);

  ASSERT_TRUE(drive_->rewind());
  EXPECT_TRUE(drive_->tracked().at_bot);
  std::vector<uint8_t> got;
  seed = 1;
  for (size_t n : file0) {
    ReadResult r = read_record(*drive_, got, n);
    EXPECT_FALSE(r.filemark);
    EXPECT_EQ(got, pattern(n, seed++)) << "record of " << n << " bytes";
  }
  EXPECT_EQ(drive_->tracked().block, 3u);
  ReadResult fm = read_record(*drive_, got, 1024);
  EXPECT_TRUE(fm.filemark) << "filemark after file 0";
  EXPECT_EQ(fm.bytes, 0u);
  EXPECT_EQ(drive_->tracked().file, 1u);
  EXPECT_EQ(drive_->tracked().block, 0u);
  for (size_t n : file1) {
    read_record(*drive_, got, n);
    EXPECT_EQ(got, pattern(n, seed++));
  }
  EXPECT_TRUE(read_record(*drive_, got, 1024).filemark);
  ReadResult eod = read_record(*drive_, got, 1024);
  EXPECT_TRUE(eod.end_of_data) << "BLANK CHECK after the last filemark";
  EXPECT_EQ(eod.bytes, 0u);
}

// file 0: r0 r1 | file 1: r2 r3 r4 | file 2: r5   (records of 4096 bytes, seeds 100..105)
void write_three_files(TapeDrive& d) {
  uint32_t seed = 100;
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(d.write(pattern(4096, seed++)));
  ASSERT_TRUE(d.write_filemarks(1));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(d.write(pattern(4096, seed++)));
  ASSERT_TRUE(d.write_filemarks(1));
  ASSERT_TRUE(d.write(pattern(4096, seed++)));
  ASSERT_TRUE(d.rewind());
}

TEST_P(DriverConformance, SpaceFilemarksForwardAndBlocksBackward) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  ASSERT_NO_FATAL_FAILURE(write_three_files(*drive_));
  std::vector<uint8_t> got;
  auto sp = drive_->space(SpaceCode::filemarks, 1);
  ASSERT_TRUE(sp.ok()) << sp.status().to_string();
  EXPECT_EQ(sp->resid, 0);
  EXPECT_EQ(drive_->tracked().file, 1u);
  EXPECT_EQ(drive_->tracked().block, 0u);
  read_record(*drive_, got, 4096);
  EXPECT_EQ(got, pattern(4096, 102)) << "first record of file 1";
  sp = drive_->space(SpaceCode::blocks, -1);
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(sp->resid, 0);
  read_record(*drive_, got, 4096);
  EXPECT_EQ(got, pattern(4096, 102)) << "backspaced one record and re-read it";
  sp = drive_->space(SpaceCode::blocks, 2);
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(sp->resid, 0);
  EXPECT_EQ(drive_->tracked().block, 3u);
}

TEST_P(DriverConformance, SpaceBlocksStopsAtAFilemarkWithResidual) {
  if (rig_->is_tgt())
    GTEST_SKIP() << "tgt gap: SPACE blocks counts filemarks as blocks and reports no residual";
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  ASSERT_NO_FATAL_FAILURE(write_three_files(*drive_));
  ASSERT_TRUE(drive_->space(SpaceCode::filemarks, 1).ok());
  // From r2, 5 blocks forward: r2 r3 r4 spaced, stopped by the mark: resid 2.
  auto sp = drive_->space(SpaceCode::blocks, 5);
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(sp->stopped, Category::filemark);
  if (rig_->is_mhvtl() && sp->resid == 6)
    GTEST_SKIP() << "mhvtl gap: SPACE blocks stopped by a filemark reports INFORMATION = count - start + 1 "
                    "(6 here; usr/vtlcart.c position_blocks_forw), SSC wants count - blocks spaced (2)";
  EXPECT_EQ(sp->resid, 2);
  EXPECT_EQ(drive_->tracked().file, 2u);
  std::vector<uint8_t> got;
  read_record(*drive_, got, 4096);
  EXPECT_EQ(got, pattern(4096, 105)) << "after the filemark: file 2";
}

TEST_P(DriverConformance, SpaceFilemarksBackwardEndsBeforeTheMark) {
  if (rig_->is_tgt())
    GTEST_SKIP() << "tgt gap: reverse SPACE filemarks looks at the object after the position (off by one)";
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  ASSERT_NO_FATAL_FAILURE(write_three_files(*drive_));
  ASSERT_TRUE(drive_->space(SpaceCode::filemarks, 2).ok());
  EXPECT_EQ(drive_->tracked().file, 2u);
  // Back over two filemarks: BOT side of the first mark, i.e. end of file 0.
  auto sp = drive_->space(SpaceCode::filemarks, -2);
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(sp->resid, 0);
  EXPECT_EQ(drive_->tracked().file, 0u);
  EXPECT_FALSE(drive_->tracked().block.has_value()) << "block within file 0 is unknown after spacing back";
  ASSERT_TRUE(drive_->space(SpaceCode::blocks, -1).ok());
  std::vector<uint8_t> got;
  read_record(*drive_, got, 4096);
  EXPECT_EQ(got, pattern(4096, 101)) << "last record of file 0";
}

TEST_P(DriverConformance, SpacingPastTheEndsReportsResidual) {
  if (rig_->is_tgt())
    GTEST_SKIP() << "tgt gap: SPACE stopped at BOT or end of data carries no INFORMATION (residual)";
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  ASSERT_NO_FATAL_FAILURE(write_three_files(*drive_));
  ASSERT_TRUE(drive_->space(SpaceCode::blocks, 2).ok());
  auto sp = drive_->space(SpaceCode::blocks, -10);
  ASSERT_TRUE(sp.ok());
  if (rig_->is_mhvtl() && sp->resid == 0 && !drive_->tracked().at_bot)
    GTEST_SKIP() << "mhvtl gap: SPACE blocks backward past BOT neither stops at BOT nor reports a residual "
                    "(usr/vtlcart.c position_blocks_back: its target block is unsigned, so the `< 0` branch "
                    "never runs)";
  EXPECT_EQ(sp->resid, 8) << "2 records before BOT, 8 not spaced";
  EXPECT_TRUE(drive_->tracked().at_bot);
  sp = drive_->space(SpaceCode::filemarks, 5);
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(sp->stopped, Category::blank_check);
  EXPECT_EQ(sp->resid, 3) << "2 marks crossed, 3 not";
}

TEST_P(DriverConformance, SpaceToEndOfDataThenAppend) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  ASSERT_TRUE(drive_->write(pattern(2048, 1)));
  ASSERT_TRUE(drive_->write_filemarks(1));
  ASSERT_TRUE(drive_->rewind());
  auto sp = drive_->space(SpaceCode::end_of_data, 0);
  ASSERT_TRUE(sp.ok()) << sp.status().to_string();
  EXPECT_FALSE(drive_->tracked().file.has_value()) << "file number is unknown after SPACE EOD";
  ASSERT_TRUE(drive_->write(pattern(2048, 2)));
  ASSERT_TRUE(drive_->write_filemarks(1));
  ASSERT_TRUE(drive_->rewind());
  std::vector<uint8_t> got;
  read_record(*drive_, got, 2048);
  EXPECT_EQ(got, pattern(2048, 1));
  EXPECT_TRUE(read_record(*drive_, got, 2048).filemark);
  read_record(*drive_, got, 2048);
  EXPECT_EQ(got, pattern(2048, 2)) << "appended after end of data";
}

TEST_P(DriverConformance, WritingInTheMiddleTruncatesWhatFollowed) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  for (uint32_t i = 1; i <= 3; ++i) ASSERT_TRUE(drive_->write(pattern(8192, i)));
  ASSERT_TRUE(drive_->write_filemarks(1));
  ASSERT_TRUE(drive_->rewind());
  ASSERT_TRUE(drive_->space(SpaceCode::blocks, 1).ok());
  ASSERT_TRUE(drive_->write(pattern(8192, 9)));
  ASSERT_TRUE(drive_->rewind());
  std::vector<uint8_t> got;
  read_record(*drive_, got, 8192);
  EXPECT_EQ(got, pattern(8192, 1));
  read_record(*drive_, got, 8192);
  EXPECT_EQ(got, pattern(8192, 9));
  ReadResult end = read_record(*drive_, got, 8192);
  EXPECT_TRUE(end.end_of_data || end.filemark) << "records 3 and the filemark are gone";
  if (end.filemark) ADD_FAILURE() << "target kept data after an overwrite (SSC-4 4.2.? says it is lost)";
}

TEST_P(DriverConformance, BlockLimitsAndModeSenseReportVariableMode) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  auto lim = drive_->read_block_limits();
  ASSERT_TRUE(lim.ok()) << lim.status().to_string();
  EXPECT_GE(lim->max_block, 256u * 1024) << "NDMP records up to 256 KiB must fit";
  EXPECT_LE(lim->min_block, 512u) << "records are multiples of 512 bytes (tgt says 4, LTO 1)";
  auto mode = drive_->mode_sense();
  ASSERT_TRUE(mode.ok()) << mode.status().to_string();
  EXPECT_EQ(mode->block_size, 0u) << "variable-block mode after set_block_size(0)";
  EXPECT_FALSE(mode->write_protected);
  EXPECT_TRUE(drive_->check_writable());
}

TEST_P(DriverConformance, FixedBlockModeRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  ASSERT_TRUE(drive_->set_block_size(512));
  auto mode = drive_->mode_sense();
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(mode->block_size, 512u);
  auto data = pattern(8 * 512, 77);
  ASSERT_TRUE(drive_->write(data));
  EXPECT_EQ(drive_->tracked().block, 8u) << "fixed mode counts blocks";
  ASSERT_TRUE(drive_->write_filemarks(1));
  ASSERT_TRUE(drive_->rewind());
  std::vector<uint8_t> buf(8 * 512);
  auto r = drive_->read(buf);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->bytes, buf.size());
  if (rig_->is_mhvtl() && buf != data) {
    bool first_block_repeated = true;
    for (size_t at = 0; at < buf.size(); at += 512)
      first_block_repeated &= std::equal(buf.begin() + ptrdiff_t(at), buf.begin() + ptrdiff_t(at + 512), data.begin());
    if (first_block_repeated) {
      (void)drive_->set_block_size(0);
      GTEST_SKIP() << "mhvtl gap: a fixed-block WRITE of 8 blocks stored the first block 8 times "
                      "(usr/ssc.c ssc_write_6 calls writeBlock(cmd, sz) per block without moving the source)";
    }
  }
  EXPECT_EQ(buf, data);
  ASSERT_TRUE(drive_->set_block_size(0));
}

TEST_P(DriverConformance, LocateReturnsToALogicalObject) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(drive_->write(pattern(1024, 50 + i)));
  ASSERT_TRUE(drive_->write_filemarks(1));
  ASSERT_TRUE(drive_->write(pattern(1024, 60)));
  // Object 5 is the record after the filemark (objects: r0 r1 r2 r3 FM r4).
  Status s = drive_->locate(5);
  ASSERT_TRUE(s) << s.to_string();
  std::vector<uint8_t> got;
  read_record(*drive_, got, 1024);
  EXPECT_EQ(got, pattern(1024, 60));
  ASSERT_TRUE(drive_->locate(2));
  read_record(*drive_, got, 1024);
  EXPECT_EQ(got, pattern(1024, 52));
  if (rig_->is_tgt())
    std::fprintf(stderr, "note: tgt has no LOCATE; the driver used REWIND + SPACE (named gap)\n");
}

TEST_P(DriverConformance, ReadPositionAgreesWithTracking) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(drive_->write(pattern(1024, i)));
  ASSERT_TRUE(drive_->write_filemarks(1));
  ASSERT_TRUE(drive_->write(pattern(1024, 9)));
  auto p = drive_->read_position();
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->object, 5u);
  EXPECT_EQ(p->file, 1u);
  EXPECT_EQ(p->block, 1u);
  if (rig_->is_mhvtl()) {
    EXPECT_TRUE(p->from_device) << "mhvtl implements READ POSITION: the device's answer is used";
  }
  if (!p->from_device) {
    std::fprintf(stderr, "note: %s READ POSITION not credible%s; the tracked position was used\n",
                 GetParam().name.c_str(), rig_->is_tgt() ? " (tgt bug: always reports 0)" : "");
  }
}

TEST_P(DriverConformance, TapeAlertOrNamedGap) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  auto a = drive_->tape_alert();
  if (!a.ok() && a.status().sense() && a.status().sense()->invalid_opcode())
    GTEST_SKIP() << "device has no LOG SENSE (5/20-00)" << (rig_->is_tgt() ? ": known tgt gap" : "");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->flags, 0u) << "a healthy scratch drive raises no TapeAlert flags";
  Capacity c = drive_->capacity();
  if (c.total_bytes) {
    ASSERT_TRUE(c.remaining_bytes.has_value());
    EXPECT_LE(*c.remaining_bytes, *c.total_bytes);
  }
}

TEST_P(DriverConformance, ShortAndLongRecordsReportIncorrectLength) {
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  ASSERT_TRUE(drive_->write(pattern(1000, 1)));
  ASSERT_TRUE(drive_->write(pattern(4000, 2)));
  ASSERT_TRUE(drive_->write(pattern(3000, 3)));
  ASSERT_TRUE(drive_->rewind());
  // Longer than the record: ILI, record length, data intact when the buffer
  // is at least twice the record (tgt corrupts it otherwise; tested below).
  std::vector<uint8_t> buf(2048);
  auto r = drive_->read(buf);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->ili);
  EXPECT_EQ(r->record_length, 1000);
  EXPECT_EQ(r->bytes, 1000u);
  EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + 1000, pattern(1000, 1).begin()));
  // Shorter than the record: ILI with the true length; the rest is lost and
  // the tape is positioned after the record.
  std::vector<uint8_t> small(1000);
  r = drive_->read(small);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->ili);
  EXPECT_EQ(r->record_length, 4000);
  EXPECT_EQ(r->bytes, 1000u);
  if (rig_->is_tgt())
    GTEST_SKIP() << "tgt bug: data of a record read with a buffer that is not >= twice its size (or is smaller "
                    "than the record) is corrupt; lengths and ILI above were checked";
  auto full = pattern(4000, 2);
  EXPECT_TRUE(std::equal(small.begin(), small.end(), full.begin()));
  std::vector<uint8_t> mid(4000);  // 3000-byte record into 4000 < 2 x 3000
  r = drive_->read(mid);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->record_length, 3000);
  EXPECT_TRUE(std::equal(mid.begin(), mid.begin() + 3000, pattern(3000, 3).begin()));
}

TEST_P(DriverConformance, UnloadMakesDriveNotReadyUntilLoad) {
  if (rig_->is_tgt()) GTEST_SKIP() << "tgt gap: LOAD UNLOAD(unload) leaves the drive ready";
  ASSERT_NO_FATAL_FAILURE(load_scratch_tape());
  ASSERT_TRUE(drive_->unload());
  Status s = drive_->test_unit_ready();
  EXPECT_TRUE(s.is(Category::no_medium) || s.is(Category::not_ready)) << s.to_string();
  Status l = drive_->load();
  if (rig_->is_mhvtl() && !l) {
    // leave the drive as the robot expects it: the tape goes back by MOVE MEDIUM
    GTEST_SKIP() << "mhvtl gap: LOAD after LOAD UNLOAD(unload) is refused (" << l.to_string()
                 << "); a real drive reloads the cartridge still in it, mhvtl waits for the robot";
  }
  ASSERT_TRUE(l);
  EXPECT_TRUE(drive_->test_unit_ready());
  EXPECT_TRUE(drive_->tracked().at_bot);
}

}  // namespace ndmp::dev::test

// The emulated library as a whole: creation rules, state surviving a
// restart, and several drives used at once.
#include <gtest/gtest.h>

#include <thread>

#include "devices/emulated/library.h"
#include "devices/media_changer.h"
#include "devices/tape_alert.h"
#include "devices/tape_drive.h"
#include "test_util.h"

namespace ndmp::dev::test {
namespace {

using emu::kFirstDrive;
using emu::kFirstSlot;

TEST(Library, CreateRejectsBadSpecs) {
  TempDir dir;
  auto spec = small_spec();
  spec.drives = 0;
  EXPECT_TRUE(emu::create_library(dir.path(), spec).is(Category::illegal_request));
  spec = small_spec();
  spec.barcodes = {"A", "A"};
  EXPECT_TRUE(emu::create_library(dir.path(), spec).is(Category::illegal_request)) << "duplicate barcode";
  spec = small_spec();
  spec.slots = 2;
  EXPECT_TRUE(emu::create_library(dir.path(), spec).is(Category::illegal_request)) << "3 tapes in 2 slots";
  spec = small_spec();
  spec.barcodes = {"HAS SPACE"};
  EXPECT_TRUE(emu::create_library(dir.path(), spec).is(Category::illegal_request));
  ASSERT_TRUE(emu::create_library(dir.path(), small_spec()));
  EXPECT_TRUE(emu::create_library(dir.path(), small_spec()).is(Category::illegal_request))
      << "never overwrite an existing library";
}

TEST(Library, OpenOfAPlainDirectoryFails) {
  TempDir dir;
  auto lib = emu::Library::open(dir.path());
  EXPECT_FALSE(lib.ok());
}

TEST(Library, StateSurvivesReopen) {
  TempDir dir;
  ASSERT_TRUE(emu::create_library(dir.path(), small_spec()));
  {
    auto lib = emu::Library::open(dir.path());
    ASSERT_TRUE(lib.ok());
    auto ct = (*lib)->changer_transport();
    MediaChanger ch(*ct);
    ASSERT_TRUE(ch.move_medium(kFirstSlot + 2, kFirstDrive + 1));
    ASSERT_TRUE(ch.move_medium(kFirstSlot, kFirstSlot + 4));
    auto t = (*lib)->drive_transport(1);
    TapeDrive d(*t);
    ASSERT_TRUE(d.test_unit_ready());
    ASSERT_TRUE(d.write(pattern(4096, 1)));
    ASSERT_TRUE(d.write_filemarks(1));
    ASSERT_TRUE(d.write(pattern(4096, 2)));  // position: object 3
  }  // library closed (a clean restart)
  auto lib = emu::Library::open(dir.path());
  ASSERT_TRUE(lib.ok()) << lib.status().to_string();
  auto ct = (*lib)->changer_transport();
  MediaChanger ch(*ct);
  auto els = ch.read_element_status();
  ASSERT_TRUE(els.ok());
  auto at = [&](uint16_t a) {
    for (auto& e : *els)
      if (e.address == a) return e;
    return ElementStatus{};
  };
  EXPECT_EQ(at(kFirstDrive + 1).volume_tag, "TST003L6");
  EXPECT_EQ(at(kFirstSlot + 4).volume_tag, "TST001L6");
  EXPECT_FALSE(at(kFirstSlot).full);
  EXPECT_FALSE(at(kFirstSlot + 2).full);
  auto t = (*lib)->drive_transport(1);
  TapeDrive d(*t);
  Status s = d.test_unit_ready();
  ASSERT_TRUE(s) << s.to_string();
  auto p = d.read_position();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->object, 3u) << "the drive kept its position across the restart";
  EXPECT_EQ(p->file, 1u);
  ASSERT_TRUE(d.rewind());
  std::vector<uint8_t> buf(8192);
  auto r = d.read(buf);
  ASSERT_TRUE(r.ok());
  buf.resize(r->bytes);
  EXPECT_EQ(buf, pattern(4096, 1));
}

TEST(Library, DrivesWriteConcurrentlyWithoutMixingData) {
  TempDir dir;
  auto spec = small_spec();
  spec.tape_capacity = 64ull << 20;
  ASSERT_TRUE(emu::create_library(dir.path(), spec));
  auto lib = emu::Library::open(dir.path());
  ASSERT_TRUE(lib.ok());
  {
    auto ct = (*lib)->changer_transport();
    MediaChanger ch(*ct);
    ASSERT_TRUE(ch.move_medium(kFirstSlot, kFirstDrive));
    ASSERT_TRUE(ch.move_medium(kFirstSlot + 1, kFirstDrive + 1));
  }
  constexpr int kRecords = 200;
  auto worker = [&](unsigned i, bool* ok) {
    auto t = (*lib)->drive_transport(i);
    TapeDrive d(*t);
    *ok = bool(d.test_unit_ready());
    for (int k = 0; k < kRecords && *ok; ++k) *ok = bool(d.write(pattern(32768, i * 1000 + k)));
    *ok = *ok && d.write_filemarks(1) && d.rewind();
    std::vector<uint8_t> buf(65536);
    for (int k = 0; k < kRecords && *ok; ++k) {
      auto r = d.read(buf);
      *ok = r.ok() && r->bytes == 32768 && std::equal(buf.begin(), buf.begin() + 32768, pattern(32768, i * 1000 + k).begin());
    }
  };
  bool ok0 = false, ok1 = false;
  // Meanwhile the robot moves tapes between other slots.
  std::thread a(worker, 0, &ok0), b(worker, 1, &ok1);
  {
    auto ct = (*lib)->changer_transport();
    MediaChanger ch(*ct);
    for (int k = 0; k < 20; ++k) {
      ASSERT_TRUE(ch.move_medium(kFirstSlot + 2, kFirstSlot + 5));
      ASSERT_TRUE(ch.move_medium(kFirstSlot + 5, kFirstSlot + 2));
    }
  }
  a.join();
  b.join();
  EXPECT_TRUE(ok0) << "drive 0 read back what it wrote";
  EXPECT_TRUE(ok1) << "drive 1 read back what it wrote";
}

TEST(Library, WriteProtectTakesEffectAtNextLoad) {
  TempDir dir;
  ASSERT_TRUE(emu::create_library(dir.path(), small_spec()));
  auto lib = emu::Library::open(dir.path());
  ASSERT_TRUE(lib.ok());
  ASSERT_TRUE((*lib)->set_write_protect("TST001L6", true));
  EXPECT_TRUE((*lib)->set_write_protect("NOSUCH", true).is(Category::illegal_request));
  auto ct = (*lib)->changer_transport();
  MediaChanger ch(*ct);
  ASSERT_TRUE(ch.move_medium(kFirstSlot, kFirstDrive));
  auto t = (*lib)->drive_transport(0);
  TapeDrive d(*t);
  ASSERT_TRUE(d.test_unit_ready());
  EXPECT_TRUE(d.check_writable().is(Category::write_protected));
  EXPECT_TRUE(d.write(pattern(100, 1)).is(Category::write_protected));
}

// What a backup application sees of a drive fault: the flags raised are in
// LOG SENSE page 2Eh with their names, once (the page clears when read).
TEST(Library, RaisedTapeAlertFlagsAreReportedOnceByName) {
  TempDir dir;
  ASSERT_TRUE(emu::create_library(dir.path(), small_spec()));
  auto lib = emu::Library::open(dir.path());
  ASSERT_TRUE(lib.ok());
  EXPECT_TRUE((*lib)->raise_tape_alert(0, 0).is(Category::illegal_request));
  EXPECT_TRUE((*lib)->raise_tape_alert(0, 65).is(Category::illegal_request));
  EXPECT_TRUE((*lib)->raise_tape_alert(99, 3).is(Category::illegal_request));
  auto ct = (*lib)->changer_transport();
  MediaChanger ch(*ct);
  ASSERT_TRUE(ch.move_medium(kFirstSlot, kFirstDrive));
  auto t = (*lib)->drive_transport(0);
  TapeDrive d(*t);
  ASSERT_TRUE(d.test_unit_ready());
  ASSERT_TRUE((*lib)->raise_tape_alert(0, 3));
  ASSERT_TRUE((*lib)->raise_tape_alert(0, 20));
  ASSERT_TRUE((*lib)->raise_tape_alert(0, 64));
  auto a = d.tape_alert();
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(set_flags(*a), (std::vector<uint8_t>{3, 20, 64}));
  EXPECT_EQ(describe_tape_alert(3), "TapeAlert 3 (Hard error)");
  EXPECT_EQ(describe_tape_alert(20), "TapeAlert 20 (Clean now)");
  EXPECT_EQ(tape_alert_info(20).severity, AlertSeverity::critical);
  auto again = d.tape_alert();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->flags, 0u) << "reading the page clears it";
  // The other drive is untouched.
  auto t1 = (*lib)->drive_transport(1);
  ASSERT_TRUE((*lib)->raise_tape_alert(0, 5));
  TapeDrive d1(*t1);
  auto other = d1.tape_alert();
  ASSERT_TRUE(other.ok()) << other.status().to_string();
  EXPECT_EQ(other->flags, 0u);
}

}  // namespace
}  // namespace ndmp::dev::test

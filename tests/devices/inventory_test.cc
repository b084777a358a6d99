// Inventory: sysfs discovery on a fake tree, names, exclusivity.
#include "devices/inventory.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

#include "devices/tape_drive.h"
#include "test_util.h"

namespace ndmp::dev::test {
namespace {

namespace fs = std::filesystem;

void fake_sg(const fs::path& sys, int n, const std::string& type, const std::string& vendor, const std::string& model,
             const std::string& serial, const std::string& nst = {}) {
  const fs::path dev = sys / "class" / "scsi_generic" / ("sg" + std::to_string(n)) / "device";
  fs::create_directories(dev);
  std::ofstream(dev / "type") << type << "\n";
  std::ofstream(dev / "vendor") << vendor << "\n";
  std::ofstream(dev / "model") << model << "\n";
  std::ofstream(dev / "rev") << "B170\n";
  if (!serial.empty()) {
    std::string vpd{char(type == "1" ? 1 : 8), char(0x80), 0, char(serial.size())};
    std::ofstream(dev / "vpd_pg80", std::ios::binary) << vpd << serial;
  }
  if (!nst.empty()) {
    fs::create_directories(dev / "scsi_tape" / nst);
    fs::create_directories(dev / "scsi_tape" / (nst.substr(1)));  // st0 beside nst0
  }
}

class InventoryTest : public testing::Test {
 protected:
  void SetUp() override {
    // tgt-like: controller LUN, two drives, a changer; sg10 sorts after sg2.
    fake_sg(sys_.path(), 0, "12", "IET", "Controller", "");
    fake_sg(sys_.path(), 1, "1", "IBM", "ULT3580-TD6", "VTLDRV0000", "nst0");
    fake_sg(sys_.path(), 10, "1", "IBM", "ULT3580-TD6", "VTLDRV0001", "nst1");
    fake_sg(sys_.path(), 2, "8", "STK", "L700", "VTLCHG");
    fake_sg(sys_.path(), 3, "0", "ATA", "Disk", "DISK1");
    ASSERT_TRUE(emu::create_library(lib_dir_.path(), small_spec()));
    auto lib = emu::Library::open(lib_dir_.path());
    ASSERT_TRUE(lib.ok());
    lib_ = *lib;
  }
  TempDir sys_, lib_dir_;
  std::shared_ptr<emu::Library> lib_;
};

TEST_F(InventoryTest, DiscoversOnlyTapesAndChangersInSgOrder) {
  auto list = Inventory::discover_sg(sys_.path(), "/dev");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "tape0");
  EXPECT_EQ(list[0].sg_path, "/dev/sg1");
  EXPECT_EQ(list[0].st_path, "/dev/nst0");
  EXPECT_EQ(list[0].serial, "VTLDRV0000");
  EXPECT_EQ(list[0].vendor, "IBM");
  EXPECT_EQ(list[1].name, "changer0");
  EXPECT_EQ(list[1].kind, DeviceKind::changer);
  EXPECT_EQ(list[1].sg_path, "/dev/sg2");
  EXPECT_EQ(list[2].name, "tape1");
  EXPECT_EQ(list[2].sg_path, "/dev/sg10") << "numeric order: sg10 after sg2";
}

TEST_F(InventoryTest, MergesEmulatedDevicesFirst) {
  Inventory inv({true, sys_.path(), "/dev", lib_});
  auto list = inv.devices();
  ASSERT_EQ(list.size(), 6u);
  EXPECT_EQ(list[0].name, "emu-drive0");
  EXPECT_EQ(list[0].serial, lib_->drive_serial(0));
  EXPECT_EQ(list[1].name, "emu-drive1");
  EXPECT_EQ(list[2].name, "emu-changer");
  EXPECT_EQ(list[2].origin, DeviceOrigin::emulated);
  EXPECT_EQ(list[3].name, "tape0");
  EXPECT_EQ(list[3].origin, DeviceOrigin::sg);
}

TEST_F(InventoryTest, UnknownNamesAndRawPathsAreNoSuchDevice) {
  Inventory inv({true, sys_.path(), "/dev", lib_});
  for (const char* name : {"nosuch", "/dev/sg1", "/dev/nst0", "/dev/sda", "emu-drive9"}) {
    auto t = inv.open(name);
    ASSERT_FALSE(t.ok()) << name;
    EXPECT_TRUE(t.status().is(Category::no_device)) << name << ": " << t.status().to_string();
  }
}

TEST_F(InventoryTest, SecondOpenIsBusyUntilTheFirstCloses) {
  Inventory inv({false, sys_.path(), "/dev", lib_});
  auto first = inv.open("emu-drive0");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  auto second = inv.open("emu-drive0");
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().is(Category::busy));
  auto other = inv.open("emu-drive1");
  EXPECT_TRUE(other.ok()) << "another drive is independent";
  first.value().reset();
  EXPECT_TRUE(inv.open("emu-drive0").ok()) << "free again after close";
}

// A holder on its way out (its DMA closed the connection) is waited for; one
// that stays is reported busy at once. The waiter is released by the close
// itself, not by a timer.
struct FlagHolder : DeviceHolder {
  std::atomic<bool> going{false};
  bool leaving() const override { return going.load(); }
};

TEST_F(InventoryTest, OpenWaitsForALeavingHolderOnly) {
  Inventory inv({false, sys_.path(), "/dev", lib_});
  auto holder = std::make_shared<FlagHolder>();
  auto first = inv.open("emu-drive0", holder);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(inv.open("emu-drive0").status().is(Category::busy)) << "a holder that stays: busy at once";
  holder->going = true;
  std::atomic<bool> closed{false};
  {
    // The second open blocks until the holder closes; the closer runs only
    // once the opener is known to be inside open() or past it.
    std::promise<void> opening;
    auto opened = std::async(std::launch::async, [&] {
      opening.set_value();
      auto t = inv.open("emu-drive0");
      return t.ok() && closed.load();
    });
    opening.get_future().wait();
    closed = true;
    first.value().reset();
    EXPECT_TRUE(opened.get()) << "the open succeeds, and only after the leaving holder closed";
  }
}

TEST_F(InventoryTest, OpenedEmulatedChangerAnswersInquiry) {
  Inventory inv({false, sys_.path(), "/dev", lib_});
  auto t = inv.open("emu-changer");
  ASSERT_TRUE(t.ok());
  auto inq = inquire(**t);
  ASSERT_TRUE(inq.ok());
  EXPECT_EQ(inq->peripheral_type, 8);
  EXPECT_EQ(inq->serial, lib_->changer_serial());
}

}  // namespace
}  // namespace ndmp::dev::test

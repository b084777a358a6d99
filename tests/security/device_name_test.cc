// A DMA names devices and paths; only what the configuration lists may be
// opened. Devices are looked up by inventory name (devices/inventory.h), so a
// path — however it is spelled — is just an unknown name: NDMP_NO_DEVICE_ERR
// (SPEC4 TAPE_OPEN/SCSI_OPEN), logged with the name the DMA sent.
#include <gtest/gtest.h>

#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace code = msg::code;
using msg::Error;

const std::vector<std::string> kHostile = {
    "/dev/sda", "../../etc/passwd", "/dev/sg0", "/dev/nst0", "/etc/shadow",
    "emu-drive0/../../../etc/passwd", "./emu-drive0", "emu-drive0\n", "EMU-DRIVE0", "",
};

class DeviceNames : public ::testing::TestWithParam<int> {
 protected:
  test::TestServer server{with_library};
  std::unique_ptr<client::Client> c = server.login(GetParam());
};

TEST_P(DeviceNames, TapeOpenOfAnythingNotConfiguredIsNoDevice) {
  ASSERT_TRUE(c);
  LogCapture log;
  for (const auto& name : kHostile) {
    msg::TapeOpenRequest o;
    o.device = name;
    o.mode = msg::TapeOpenMode::read;
    auto r = c->call(code::TAPE_OPEN, o);
    ASSERT_TRUE(r.ok) << r.failure;
    EXPECT_EQ(r.error(), Error::no_device) << "TAPE_OPEN \"" << name << "\"";
  }
  for (const char* logged : {"/dev/sda", "../../etc/passwd", "/dev/sg0"})
    EXPECT_TRUE(log.contains(logged)) << "the refusal of " << logged << " is in the operator log:\n" << log.text();
  // Nothing was left open by the refusals.
  msg::TapeOpenRequest ok;
  ok.device = "emu-drive0";
  ok.mode = msg::TapeOpenMode::read;
  EXPECT_NE(c->call(code::TAPE_OPEN, ok).error(), Error::device_opened);
}

TEST_P(DeviceNames, ScsiOpenOfAnythingNotConfiguredIsNoDevice) {
  ASSERT_TRUE(c);
  LogCapture log;
  for (const auto& name : kHostile) {
    msg::ScsiOpenRequest o;
    o.device = name;
    auto r = c->call(code::SCSI_OPEN, o);
    ASSERT_TRUE(r.ok) << r.failure;
    EXPECT_EQ(r.error(), Error::no_device) << "SCSI_OPEN \"" << name << "\"";
  }
  for (const char* logged : {"/dev/sda", "../../etc/passwd", "/dev/sg0"})
    EXPECT_TRUE(log.contains(logged)) << "the refusal of " << logged << " is in the operator log:\n" << log.text();
  msg::ScsiOpenRequest ok;
  ok.device = "emu-changer";
  EXPECT_EQ(c->call(code::SCSI_OPEN, ok).error(), Error::no_err) << "the configured changer still opens";
}

INSTANTIATE_TEST_SUITE_P(Versions, DeviceNames, ::testing::Values(2, 3, 4),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

}  // namespace
}  // namespace ndmp::security

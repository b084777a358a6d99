// A drive failure reaches the Cloud Manager, end to end: ndmpd (the fault
// rig's in-process server, tests/faults) with its bridge pointed at the
// simulator, a drive whose TEST UNIT READY answers HARDWARE ERROR, and the
// DMA's TAPE_OPEN. The Cloud Manager must get a ReportJobException saying
// DRIVE_OFFLINE with the protocol summary's StreamerPoolDisabled and
// FileOpenFailed, read with the simulator's own decoder.
//
// TapeAlert flags and a silent changer are mapped by the bridge from the
// events ndmpd publishes (bridge_test.cc, synthesized events): the emulated
// library has no TapeAlert log page and its changer cannot be made silent.
#include <gtest/gtest.h>

#include "cloudmanager/proto/cm_streamer.pb.h"
#include "devices/scsi_cdb.h"
#include "devices/sense.h"
#include "tests/faults/fault_rig.h"
#include "tools/cmsim/simulator.h"

namespace ndmp {
namespace {

using namespace std::chrono_literals;

TEST(CmDeviceFailure, DriveThatDoesNotAnswerIsReportedOffline) {
  test::TempDir dir;
  cmsim::SimConfig sc;
  sc.record_path = (dir.path() / "received.jsonl").string();
  cmsim::Simulator sim(sc);
  ASSERT_TRUE(sim.start().ok());
  faults::Rig rig({.drives = 1, .slots = 2, .tape_mib = 64}, [&](server::Config& c) {
    c.cm_address = "127.0.0.1";
    c.cm_port = sim.port();
    c.cm_uuid = "5f0c1c9e-0d7b-4b1e-9a57-device-fail";
    c.cm_journal = (dir.path() / "cloudmanager.journal").string();
    c.cm_reconnect_min = 20ms;
    c.cm_reconnect_max = 100ms;
  });
  auto c = rig.login(4);
  ASSERT_TRUE(c);
  faults::load_tape(*c, 1);
  rig.drive(0).add(dev::Fault::on_nth(dev::op::test_unit_ready, 1).answer(dev::sense_key::hardware_error, 0x44, 0x00));
  EXPECT_NE(faults::open_tape(*c, msg::TapeOpenMode::rdwr), msg::Error::no_err) << "the drive failed TAPE_OPEN";

  ASSERT_TRUE(sim.wait_until([](const cmsim::Simulator& s) { return !s.events().empty(); }, 30s));
  const auto ev = sim.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].command, cm::wire::Command_ReportJobException);
  EXPECT_EQ(ev[0].str("reason"), "DRIVE_OFFLINE");
  EXPECT_EQ(ev[0].num("exception"), cm::wire::Exception_StreamerPoolDisabled);
  EXPECT_EQ(ev[0].num("error_code"), cm::wire::ErrorCode_FileOpenFailed);
  EXPECT_EQ(ev[0].str("device"), "emu-drive0");
  EXPECT_EQ(ev[0].str("job_uuid"), "") << "no job was running";
  EXPECT_NE(ev[0].str("text").find("tape drive emu-drive0 does not answer"), std::string::npos) << ev[0].str("text");
}

}  // namespace
}  // namespace ndmp

// TapeAlert (issue 16): the drive raises TapeAlert flags (here through the
// emulated library's raise_tape_alert, as a real drive does on a fault);
// ndmpd reads LOG SENSE page 2Eh after the job and after a tape error and
// tells the DMA each flag by number and name, and the Cloud Manager through
// the job's events (events::JobEvent::tape_alert_flags).
//
// What must hold:
//  - flags set during a job: one LOG message per flag to the DMA ("TapeAlert 3
//    (Hard error) after the job"), the halted event carries them; the job's
//    result is unchanged (a flag is a warning, not a failure);
//  - a tape error: the flags are read right then, the MEDIA_ERROR exception
//    and the halted event carry them, the DMA's log names them;
//  - no flag: no TapeAlert message, empty tape_alert_flags.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <optional>

#include "devices/emulated/library.h"
#include "devices/scsi_cdb.h"
#include "devices/sense.h"
#include "events/job_events.h"
#include "server/context/context.h"
#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;
namespace sk = dev::sense_key;
using events::JobEvent;
using events::JobEventType;

// The Cloud Manager's side of the contract: what the server published.
class RecordingSink final : public events::JobEventSink {
 public:
  void publish(const JobEvent& e) override {
    std::lock_guard lock(mu_);
    events_.push_back(e);
  }
  events::SpaceAnswer space_check(const std::string&, uint64_t, std::chrono::milliseconds) override {
    return events::space_not_asked();
  }
  // The first event of `type`, if published (the job's events are published
  // before the posts the DMA acts on, so they are all here once DATA halted).
  std::optional<JobEvent> first(JobEventType type) const {
    std::lock_guard lock(mu_);
    for (const auto& e : events_)
      if (e.type == type) return e;
    return std::nullopt;
  }

 private:
  mutable std::mutex mu_;
  std::vector<JobEvent> events_;
};

bool has_message(const JobEnd& end, const std::string& text) {
  return std::any_of(end.log_messages.begin(), end.log_messages.end(),
                     [&](const std::string& m) { return m.find(text) != std::string::npos; });
}

class TapeAlert : public ::testing::TestWithParam<int> {
 protected:
  fs::path log_file = fs::temp_directory_path() / ("ndmpd-tapealert-log-" + std::to_string(::getpid()));
  LogCapture log{log_file};
  Rig rig{{.drives = 1, .slots = 2, .tape_mib = 64}};
  RecordingSink sink;
  fs::path src = rig.export_dir() / "src";
  int v() const { return GetParam(); }

  void SetUp() override {
    make_tree(src, 20, 50'000);
    // Before any DMA connects, as the rig's transport seam.
    rig.server().server().context().jobs = &sink;
  }
  void TearDown() override {
    rig.server().server().context().jobs = nullptr;
    if (HasFailure()) std::cout << "ndmpd log:\n" << log.text();
    fs::remove(log_file);
  }
  void raise_flag(unsigned flag) { ASSERT_TRUE(rig.server().server().context().library->raise_tape_alert(0, flag)); }
};

TEST_P(TapeAlert, FlagsRaisedDuringABackupReachTheDmaAndTheJobStatus) {
  auto c = rig.login(v());
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  raise_flag(3);
  raise_flag(20);
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  auto end = drive_job(*c);
  ASSERT_TRUE(end.halted);
  EXPECT_EQ(end.data, msg::DataHaltReason::successful) << "a TapeAlert flag warns; it does not fail the job";
  EXPECT_TRUE(has_message(end, "TapeAlert 3 (Hard error) after the job")) << ::testing::PrintToString(end.log_messages);
  EXPECT_TRUE(has_message(end, "TapeAlert 20 (Clean now) after the job")) << ::testing::PrintToString(end.log_messages);
  EXPECT_TRUE(log.contains("emu-drive0: TapeAlert 20 (Clean now)")) << "the operator log names drive and flag";
  auto halted = sink.first(JobEventType::halted);
  ASSERT_TRUE(halted);
  EXPECT_EQ(halted->reason, "SUCCESSFUL");
  EXPECT_EQ(halted->tape_alert_flags, (std::vector<uint8_t>{3, 20}));
  auto started = sink.first(JobEventType::started);
  ASSERT_TRUE(started);
  EXPECT_TRUE(started->tape_alert_flags.empty()) << "flags belong to the halted and exception events";
  finish_job(*c);
}

TEST_P(TapeAlert, FlagsAreReadAtATapeError) {
  auto c = rig.login(v());
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  raise_flag(6);
  // The 4th WRITE fails: the drive reports a medium error and Write failure.
  rig.drive().add(dev::Fault::on_nth(dev::op::write6, 4).answer(sk::medium_error, 0x0c, 0x00));
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  auto end = drive_job(*c, [](client::Client& cl, msg::MoverPauseReason) { cl.call(msg::code::MOVER_ABORT); });
  ASSERT_TRUE(end.halted);
  EXPECT_NE(end.data, msg::DataHaltReason::successful);
  EXPECT_TRUE(has_message(end, "TapeAlert 6 (Write failure) after a tape error"))
      << ::testing::PrintToString(end.log_messages);
  auto exception = sink.first(JobEventType::exception);
  ASSERT_TRUE(exception);
  EXPECT_EQ(exception->reason, "MEDIA_ERROR");
  EXPECT_EQ(exception->tape_alert_flags, (std::vector<uint8_t>{6}));
  auto halted = sink.first(JobEventType::halted);
  ASSERT_TRUE(halted);
  EXPECT_EQ(halted->tape_alert_flags, (std::vector<uint8_t>{6})) << "the job's status keeps the flags it met";
  finish_job(*c);
}

TEST_P(TapeAlert, NoFlagNoMessage) {
  auto c = rig.login(v());
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  auto end = drive_job(*c);
  ASSERT_TRUE(end.halted);
  EXPECT_EQ(end.data, msg::DataHaltReason::successful);
  EXPECT_FALSE(has_message(end, "TapeAlert")) << ::testing::PrintToString(end.log_messages);
  auto halted = sink.first(JobEventType::halted);
  ASSERT_TRUE(halted);
  EXPECT_TRUE(halted->tape_alert_flags.empty());
  finish_job(*c);
}

INSTANTIATE_TEST_SUITE_P(Versions, TapeAlert, ::testing::Values(2, 3, 4),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

}  // namespace
}  // namespace ndmp::faults

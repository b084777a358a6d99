// Reload of the Cloud Manager connection while jobs run (issue 20), against
// two simulators (tools/cmsim): what a Cloud Manager operator would check.
//  - cloudmanager.address moved to another Cloud Manager in the middle of a
//    backup (held at the drive gate: no timing): the job completes, the new
//    Cloud Manager gets a StreamerHello and every report the old one had not
//    acknowledged, the job's halt included; across the two, the event ids
//    run without a gap.
//  - A server started without a Cloud Manager gets one by reload; an empty
//    address turns it off again (reports wait in the journal, nobody is
//    asked about space); naming it once more delivers what waited.
// Outcomes are waited for with Simulator::wait_until's generous deadline,
// never for a fixed time.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "cloudmanager/bridge.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "tests/ops/service_rig.h"
#include "tools/cmsim/simulator.h"

namespace ndmp {
namespace {

using namespace std::chrono_literals;
using faults::fs::path;
using test::scrape;
using test::Service;

constexpr auto kWait = 60s;
constexpr const char* kStreamer = "0b6f3c52-8a43-4d0e-9c1e-ndmpd-ops-reload";

std::unique_ptr<cmsim::Simulator> start_sim() {
  auto s = std::make_unique<cmsim::Simulator>(cmsim::SimConfig{});
  cm::Status st = s->start();
  EXPECT_TRUE(st.ok()) << st.text();
  return s;
}

// The [cloudmanager] keys of ndmpd.conf pointing at `port` (0: off).
std::string cm_keys(uint16_t port) {
  if (port == 0) return "cloudmanager.uuid = " + std::string(kStreamer) + "\n";
  return "cloudmanager.address = 127.0.0.1\ncloudmanager.port = " + std::to_string(port) +
         "\ncloudmanager.uuid = " + kStreamer +
         "\ncloudmanager.progress_interval = 1\ncloudmanager.space_policy = warn\n"
         "cloudmanager.reconnect_min = 20\ncloudmanager.reconnect_max = 200\n";
}

void point_at(server::Config& c, uint16_t port) {
  c.cm_address = "127.0.0.1";
  c.cm_port = port;
  c.cm_uuid = kStreamer;
  c.cm_space_policy = "warn";
  c.cm_reconnect_min = 20ms;
  c.cm_reconnect_max = 200ms;
}

std::optional<cm::wire::JobState> state_of(const cmsim::Received& r) {
  if (r.command != cm::wire::Command_ReportJobState) return std::nullopt;
  cm::wire::ReportJobStateRequest m;
  EXPECT_TRUE(m.ParseFromString(r.body));
  return m.state();
}

// How many jobs the Cloud Manager has seen reach `state`.
size_t count_state(const cmsim::Simulator& s, cm::wire::JobState state) {
  size_t n = 0;
  for (const auto& r : s.events()) n += state_of(r) == state;
  return n;
}

bool wait_state(const cmsim::Simulator& s, cm::wire::JobState state, size_t n) {
  return s.wait_until([&](const cmsim::Simulator& x) { return count_state(x, state) >= n; }, kWait);
}

std::set<int64_t> event_ids(const cmsim::Simulator& s) {
  std::set<int64_t> ids;
  for (const auto& r : s.events()) ids.insert(r.event_id);
  return ids;
}

bool got(const cmsim::Simulator& s, cm::wire::Command c) {
  for (const auto& r : s.received())
    if (r.command == c) return true;
  return false;
}

TEST(CloudManagerReload, AMovedAddressTakesTheRestOfARunningBackupToTheNewCloudManager) {
  auto old_cm = start_sim();
  auto new_cm = start_sim();
  Service svc([&](server::Config& c) { point_at(c, old_cm->port()); });
  faults::LogCapture log(svc.dir / "ndmpd.log");
  const path src = svc.rig.export_dir() / "src";
  faults::make_tree(src, 48, 250'000);  // 12 MB: mid-stream at the gate (ops_service_test says why)
  auto c = svc.rig.login();
  ASSERT_TRUE(c);
  faults::load_tape(*c, 1);
  svc.rig.drive().hold_writes_after(80);
  ASSERT_EQ(faults::start_local_backup(*c, src), msg::Error::no_err);
  ASSERT_TRUE(svc.rig.drive().wait_held());
  svc.drain();
  ASSERT_TRUE(wait_state(*old_cm, cm::wire::JobState_Started, 1)) << "the old Cloud Manager saw the job start";

  svc.write_conf("", cm_keys(new_cm->port()));
  const auto outcome = svc.reload();
  ASSERT_TRUE(outcome.applied) << outcome.error;
  for (const auto& key : outcome.restart_only)
    EXPECT_EQ(key.find("cloudmanager."), std::string::npos) << key << " should have reloaded";

  svc.rig.drive().release();
  const auto end = faults::drive_job(*c);
  ASSERT_TRUE(end.halted);
  EXPECT_EQ(end.data, msg::DataHaltReason::successful) << "the move did not disturb the job";
  faults::finish_job(*c);
  svc.drain();
  ASSERT_TRUE(wait_state(*new_cm, cm::wire::JobState_Halted, 1)) << "the halt went to the new Cloud Manager";

  EXPECT_TRUE(got(*new_cm, cm::wire::Command_StreamerHello));
  EXPECT_EQ(count_state(*old_cm, cm::wire::JobState_Halted), 0u) << "nothing after the move went to the old one";
  // Nothing lost: the ids the two acknowledged run from the job's start to
  // its halt without a gap (a report in flight at the move may reach both).
  std::set<int64_t> all = event_ids(*old_cm);
  const std::set<int64_t> moved = event_ids(*new_cm);
  ASSERT_FALSE(moved.empty());
  all.insert(moved.begin(), moved.end());
  EXPECT_EQ(static_cast<int64_t>(all.size()), *all.rbegin() - *all.begin() + 1)
      << "event ids " << ::testing::PrintToString(all);
  EXPECT_LE(*moved.begin(), *event_ids(*old_cm).rbegin() + 1) << "the new one starts where the old one stopped";
  EXPECT_EQ(*moved.rbegin(), *all.rbegin()) << "the last report went to the new one";

  EXPECT_TRUE(log.contains("cloud manager settings reloaded: moving from 127.0.0.1:" +
                           std::to_string(old_cm->port()) + " to 127.0.0.1:" + std::to_string(new_cm->port())))
      << log.text();
  EXPECT_TRUE(log.contains("Cloud Manager 127.0.0.1:" + std::to_string(new_cm->port()))) << log.text();
}

TEST(CloudManagerReload, TurnedOnOffAndOnAgainWithoutARestartAndNothingWaitingIsLost) {
  auto cm = start_sim();
  Service svc;  // started without a Cloud Manager
  ASSERT_EQ(svc.rig.server().server().bridge(), nullptr);
  const path src = svc.rig.export_dir() / "src";
  faults::make_tree(src, 6, 20'000);
  auto c = svc.rig.login();
  ASSERT_TRUE(c);
  faults::load_tape(*c, 1);
  auto backup = [&] {
    ASSERT_EQ(faults::start_local_backup(*c, src), msg::Error::no_err);
    EXPECT_EQ(faults::drive_job(*c).data, msg::DataHaltReason::successful);
    faults::finish_job(*c);
    svc.drain();
  };

  svc.write_conf("", cm_keys(cm->port()));
  auto outcome = svc.reload();
  ASSERT_TRUE(outcome.applied) << outcome.error;
  ASSERT_NE(svc.rig.server().server().bridge(), nullptr) << "the reload started the bridge";
  backup();
  ASSERT_TRUE(wait_state(*cm, cm::wire::JobState_Halted, 1)) << "the first job reported";
  EXPECT_TRUE(got(*cm, cm::wire::Command_QueryBackupSpaceEnough)) << "asked about room (space_policy warn)";

  // Off: the second job's reports wait in the journal; nobody is asked.
  svc.write_conf("", cm_keys(0));
  outcome = svc.reload();
  ASSERT_TRUE(outcome.applied) << outcome.error;
  const size_t queries = [&] {
    size_t n = 0;
    for (const auto& r : cm->received()) n += r.command == cm::wire::Command_QueryBackupSpaceEnough;
    return n;
  }();
  backup();
  const auto off = scrape(svc.metrics.port());
  EXPECT_GE(off.value("ndmpd_cloudmanager_journal_backlog_events"), 2) << "the second job's start and halt wait";
  EXPECT_EQ(count_state(*cm, cm::wire::JobState_Started), 1u) << "nothing was sent while off";
  size_t queries_now = 0;
  for (const auto& r : cm->received()) queries_now += r.command == cm::wire::Command_QueryBackupSpaceEnough;
  EXPECT_EQ(queries_now, queries) << "no space query while off";

  // On again: what waited is delivered.
  svc.write_conf("", cm_keys(cm->port()));
  outcome = svc.reload();
  ASSERT_TRUE(outcome.applied) << outcome.error;
  ASSERT_TRUE(wait_state(*cm, cm::wire::JobState_Halted, 2)) << "the second job's reports arrived";
  EXPECT_EQ(count_state(*cm, cm::wire::JobState_Started), 2u);
  const auto ids = event_ids(*cm);
  EXPECT_EQ(static_cast<int64_t>(ids.size()), *ids.rbegin() - *ids.begin() + 1) << ::testing::PrintToString(ids);
}

TEST(CloudManagerReload, AnUnusableConnectionIsRefusedAndTheRunningOneStays) {
  auto cm = start_sim();
  Service svc([&](server::Config& c) { point_at(c, cm->port()); });
  svc.write_conf("", cm_keys(cm->port()) + "cloudmanager.reconnect_min = 500\n");  // twice: does not parse
  EXPECT_FALSE(svc.reload().applied);
  svc.write_conf("", "cloudmanager.address = 127.0.0.1\n");  // no port
  const auto bad = svc.reload();
  EXPECT_FALSE(bad.applied);
  EXPECT_NE(bad.error.find("cloudmanager.port"), std::string::npos) << bad.error;
  // Still reporting where it did.
  const path src = svc.rig.export_dir() / "src";
  faults::make_tree(src, 3, 10'000);
  auto c = svc.rig.login();
  ASSERT_TRUE(c);
  faults::load_tape(*c, 1);
  ASSERT_EQ(faults::start_local_backup(*c, src), msg::Error::no_err);
  EXPECT_EQ(faults::drive_job(*c).data, msg::DataHaltReason::successful);
  faults::finish_job(*c);
  svc.drain();
  EXPECT_TRUE(wait_state(*cm, cm::wire::JobState_Halted, 1));
}

}  // namespace
}  // namespace ndmp

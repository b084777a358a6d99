// What every session shares: configuration, users, the login brake, the front door, the
// device registry and the job event sink. Built once by the composition root
// (server.cc) and outliving every session.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "server/context/auth.h"
#include "server/context/config.h"
#include "server/context/exports.h"
#include "server/context/front_door.h"
#include "server/context/settings.h"
#include "devices/device_stats.h"
#include "devices/emulated/library.h"
#include "devices/inventory.h"
#include "events/job_events.h"

namespace ndmp::server {

// The server speaks the job-event contract's names as its own.
using events::JobEvent;
using events::JobEventSink;
using events::JobEventType;
using events::JobKind;
using events::SpaceAnswer;
using events::SpaceOutcome;

struct HostIdentity {
  std::string hostname;
  std::string os_type;   // "Linux"
  std::string os_vers;   // kernel release
  std::string hostid;    // stable across restarts: from /etc/machine-id
};
HostIdentity read_host_identity();

struct ServerContext {
  // The configuration as started. Keys a reload may change (settings.h) are
  // read from settings() instead: users, auth methods, exports, DMA access
  // policy, Cloud Manager timings.
  Config config;
  // The snapshot in effect: load it once per request and keep the pointer
  // for the request; a reload publishes a new one and never changes this one.
  std::shared_ptr<const Settings> settings() const { return settings_.load(); }
  void publish(std::shared_ptr<const Settings> s) { settings_.store(std::move(s)); }
  LoginBrake brake;          // per source; configured from config by Server::start
  FrontDoor front_door;      // connections before and after login (front_door.h)
  HostIdentity host;
  // The only devices a DMA can open: the emulated library's and (when
  // enabled) those discovered in sysfs. Opening is exclusive across sessions.
  std::shared_ptr<dev::emu::Library> library;
  std::unique_ptr<dev::Inventory> inventory;
  // What each device did and is doing, for metrics (devices/device_stats.h):
  // every device a session opens is counted through it (Session::open_device).
  dev::DeviceStats device_stats;
  JobEventSink* jobs = nullptr;        // optional observer (Cloud Manager bridge)
  // Test seam (tests/faults): when set, every transport a session opens
  // (open_device) is passed through it, so a test can put a fault-injecting
  // decorator (devices/fault_transport.h) between the server and an emulated
  // drive. Given the device name and the opened transport, returns the
  // transport the session uses; the result must own the one it was given, so
  // the device stays exclusively open exactly as long as before. Called on
  // session threads; set it before the first DMA connects and never change it
  // afterwards. Production code leaves it empty.
  std::function<std::unique_ptr<dev::Transport>(const std::string& name, std::unique_ptr<dev::Transport>)>
      wrap_transport;
  std::atomic<uint64_t> next_session_id{1};
  std::atomic<uint32_t> live_sessions{0};
  // Logins since start, for metrics (ops/metrics): a password checked and
  // accepted, or refused (unknown user, wrong password or digest).
  std::atomic<uint64_t> logins_succeeded{0};
  std::atomic<uint64_t> logins_failed{0};

 private:
  std::atomic<std::shared_ptr<const Settings>> settings_;
};

}  // namespace ndmp::server

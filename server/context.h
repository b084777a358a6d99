// What every session shares: configuration, users, the login brake, the front door, the
// device registry and the job event sink. Built once by the composition root
// (server.cc) and outliving every session.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "server/auth.h"
#include "server/config.h"
#include "server/exports.h"
#include "server/front_door.h"
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
  Config config;
  Exports exports;  // config.exports, opened by descriptor at start
  UserTable users;
  LoginBrake brake;          // per source; configured from config by Server::start
  FrontDoor front_door;      // connections before and after login (front_door.h)
  HostIdentity host;
  // The only devices a DMA can open: the emulated library's and (when
  // enabled) those discovered in sysfs. Opening is exclusive across sessions.
  std::shared_ptr<dev::emu::Library> library;
  std::unique_ptr<dev::Inventory> inventory;
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
};

}  // namespace ndmp::server

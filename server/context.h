// What every session shares: configuration, users, the failure brake, the
// device registry and the job event sink. Built once by the composition root
// (server.cc) and outliving every session.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "server/auth.h"
#include "server/config.h"
#include "server/device_registry.h"
#include "server/job_events.h"

namespace ndmp::server {

struct HostIdentity {
  std::string hostname;
  std::string os_type;   // "Linux"
  std::string os_vers;   // kernel release
  std::string hostid;    // stable across restarts: from /etc/machine-id
};
HostIdentity read_host_identity();

struct ServerContext {
  Config config;
  UserTable users;
  FailureBrake brake;
  HostIdentity host;
  DeviceRegistry devices;
  JobEventSink* jobs = nullptr;        // optional observer (Cloud Manager bridge)
  std::atomic<uint64_t> next_session_id{1};
  std::atomic<uint32_t> live_sessions{0};
};

}  // namespace ndmp::server

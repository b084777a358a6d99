// The bridge's configuration: a plain struct the composition root fills from
// ndmpd.conf (keys in ndmpd-cloudmanager(5)). No parsing of files here.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloudmanager/header.h"

namespace ndmp::cm {

// What "not enough space" or no answer to QueryBackupSpaceEnough does.
enum class SpacePolicy {
  refuse,  // the backup is refused (space_check answers not_enough / no_answer)
  warn,    // a warning in the log, and the backup goes on (answers enough)
  skip,    // no question is asked (answers enough at once)
};

// "refuse", "warn", "skip"; false for anything else.
bool parse_space_policy(std::string_view text, SpacePolicy& out);
const char* to_string(SpacePolicy policy);

struct BridgeConfig {
  std::string address;                 // cloudmanager.address: host name or IP
  uint16_t port = 0;                   // cloudmanager.port
  std::string streamer_uuid;           // cloudmanager.uuid: our identity, required
  std::string streamer_name;           // cloudmanager.name: shown by the console; host name if empty
  std::string journal_path;            // cloudmanager.journal: file, required
  uint64_t journal_max_bytes = 16u << 20;  // cloudmanager.journal_max_bytes
  std::chrono::milliseconds progress_interval{10'000};  // cloudmanager.progress_interval (s in the conf)
  SpacePolicy space_policy = SpacePolicy::refuse;        // cloudmanager.space_policy
  std::chrono::milliseconds space_timeout{5'000};       // cloudmanager.space_timeout, the deadline the server passes
  std::chrono::milliseconds reconnect_min{500};         // cloudmanager.reconnect_min
  std::chrono::milliseconds reconnect_max{30'000};      // cloudmanager.reconnect_max
  // cloudmanager.reply_timeout: connecting, and waiting for the reply to a
  // StreamerHello or a report. Space queries wait space_timeout instead.
  std::chrono::milliseconds io_timeout{10'000};
  int32_t max_body = kDefaultMaxBody;                   // frames from the Cloud Manager
};

// The part of BridgeConfig a reload may change while the bridge runs
// (Bridge::reconfigure; ndmpd.conf(5) RELOAD): where the Cloud Manager is and
// how the bridge talks to it. The rest (streamer_uuid, the journal and its
// bound, progress_interval's home in the bridge) is fixed at start: the
// identity and the journal are what make delivery survive the change.
struct BridgeConnection {
  std::string address;  // empty: the bridge is off; reports wait in the journal
  uint16_t port = 0;
  std::string streamer_name;
  SpacePolicy space_policy = SpacePolicy::refuse;
  std::chrono::milliseconds io_timeout{10'000};
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{30'000};
  bool operator==(const BridgeConnection&) const = default;
};
BridgeConnection connection_of(const BridgeConfig& c);
// What is wrong with `c`, in the key names of ndmpd.conf; empty when usable.
// An empty address (off) needs nothing else.
std::string check_connection(const BridgeConnection& c);

}  // namespace ndmp::cm

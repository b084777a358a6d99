#include "cloudmanager/config.h"

#include <array>
#include <utility>

namespace ndmp::cm {
namespace {

constexpr std::array<std::pair<std::string_view, SpacePolicy>, 3> kPolicies{{
    {"refuse", SpacePolicy::refuse},
    {"warn", SpacePolicy::warn},
    {"skip", SpacePolicy::skip},
}};

}  // namespace

bool parse_space_policy(std::string_view text, SpacePolicy& out) {
  for (const auto& [name, value] : kPolicies)
    if (name == text) {
      out = value;
      return true;
    }
  return false;
}

const char* to_string(SpacePolicy policy) {
  for (const auto& [name, value] : kPolicies)
    if (value == policy) return name.data();
  return "?";
}

BridgeConnection connection_of(const BridgeConfig& c) {
  return {c.address, c.port, c.streamer_name, c.space_policy, c.io_timeout, c.reconnect_min, c.reconnect_max};
}

std::string check_connection(const BridgeConnection& c) {
  if (c.address.empty()) return {};
  if (c.port == 0) return "cloudmanager.address is set but cloudmanager.port is not";
  if (c.io_timeout.count() <= 0) return "need 0 < cloudmanager.reply_timeout";
  if (c.reconnect_min.count() <= 0 || c.reconnect_max < c.reconnect_min)
    return "need 0 < cloudmanager.reconnect_min <= cloudmanager.reconnect_max";
  return {};
}

}  // namespace ndmp::cm

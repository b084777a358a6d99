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

}  // namespace ndmp::cm

// Protocol versions as the tables see them.
//
// A table row applies to a set of versions, written as a bit mask with bit N
// for version N. The machines serve v2, v3 and v4; v1 (the 1996 draft) is not
// served, which is why DATA_CONTINUE, its only surviving message, is answered
// NOT_SUPPORTED in every served version (facts 7.4).
#pragma once

#include <cstdint>

namespace ndmp::sm {

using Versions = uint8_t;

inline constexpr Versions kV2 = 1u << 2;
inline constexpr Versions kV3 = 1u << 3;
inline constexpr Versions kV4 = 1u << 4;
inline constexpr Versions kV34 = kV3 | kV4;
inline constexpr Versions kV234 = kV2 | kV3 | kV4;
inline constexpr Versions kNoVersion = 0;

inline constexpr int kMinVersion = 2;
inline constexpr int kMaxVersion = 4;

constexpr bool is_supported_version(int version) {
  return version >= kMinVersion && version <= kMaxVersion;
}

// True when `mask` includes `version`; false for any version not served.
constexpr bool applies(Versions mask, int version) {
  return is_supported_version(version) && (mask & (1u << version)) != 0;
}

}  // namespace ndmp::sm

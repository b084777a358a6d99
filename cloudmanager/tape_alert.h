// TapeAlert flags (SSC-3 annex, flags 1..64): names and severities, so a
// report to the Cloud Manager can say what the drive said, and the bridge can
// pick the protocol's Exception and ErrorCode for them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ndmp::cm {

enum class AlertSeverity { info, warning, critical };

struct TapeAlert {
  uint8_t flag;
  const char* name;
  AlertSeverity severity;
};

// nullptr for a flag the standard leaves reserved or obsolete.
const TapeAlert* tape_alert(uint8_t flag);

bool any_critical(const std::vector<uint8_t>& flags);

// "5 Read failure (critical), 20 Clean now (critical)".
std::string describe_tape_alerts(const std::vector<uint8_t>& flags);

}  // namespace ndmp::cm

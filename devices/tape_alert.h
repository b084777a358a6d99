// TapeAlert flags by name (SSC-4 Annex, "TapeAlert log page parameter
// codes"): what a drive's LOG SENSE page 2Eh means to an operator. One
// table, used by whoever reports the flags (the server's LOG messages, the
// Cloud Manager's job status, tests).
//
// Severity as the annex grades each flag: critical (the job or the medium is
// at risk now), warning (act soon), information.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "devices/tape_drive.h"

namespace ndmp::dev {

enum class AlertSeverity { information, warning, critical };

struct TapeAlertInfo {
  std::string_view name;  // "Hard error"; "Obsolete" / "Reserved" where SSC names none
  AlertSeverity severity = AlertSeverity::information;
};

// Flag 1..64; anything else answers {"Unknown", information}.
TapeAlertInfo tape_alert_info(unsigned flag);

// The set flags, ascending.
std::vector<uint8_t> set_flags(const TapeAlert& a);

// "TapeAlert 3 (Hard error)": how a flag is written to operators and DMAs.
std::string describe_tape_alert(unsigned flag);

}  // namespace ndmp::dev

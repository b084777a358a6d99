#include "devices/tape_alert.h"

#include <fmt/format.h>

#include <array>

namespace ndmp::dev {
namespace {

using S = AlertSeverity;
constexpr S I = S::information, W = S::warning, C = S::critical;

// Index = flag - 1. Flags 40..48 were changer flags in SSC-2 and are
// obsolete since SSC-3; 61..64 are reserved.
constexpr std::array<TapeAlertInfo, 64> kFlags{{
    {"Read warning", W},
    {"Write warning", W},
    {"Hard error", W},
    {"Media", C},
    {"Read failure", C},
    {"Write failure", C},
    {"Media life", W},
    {"Not data grade", W},
    {"Write protect", C},
    {"No removal", I},
    {"Cleaning media", I},
    {"Unsupported format", I},
    {"Recoverable mechanical cartridge failure", C},
    {"Unrecoverable mechanical cartridge failure", C},
    {"Memory chip in cartridge failure", W},
    {"Forced eject", C},
    {"Read only format", W},
    {"Tape directory corrupted on load", W},
    {"Nearing media life", I},
    {"Clean now", C},
    {"Clean periodic", W},
    {"Expired cleaning media", C},
    {"Invalid cleaning tape", C},
    {"Retension requested", W},
    {"Dual-port interface error", W},
    {"Cooling fan failure", W},
    {"Power supply failure", W},
    {"Power consumption", W},
    {"Drive maintenance", W},
    {"Hardware A", C},
    {"Hardware B", C},
    {"Interface", W},
    {"Eject media", C},
    {"Microcode update failure", W},
    {"Drive humidity", W},
    {"Drive temperature", W},
    {"Drive voltage", W},
    {"Predictive failure", C},
    {"Diagnostics required", W},
    {"Obsolete", I},
    {"Obsolete", I},
    {"Obsolete", I},
    {"Obsolete", I},
    {"Obsolete", I},
    {"Obsolete", I},
    {"Obsolete", I},
    {"Obsolete", I},
    {"Obsolete", I},
    {"Diminished native capacity", W},
    {"Lost statistics", W},
    {"Tape directory invalid at unload", W},
    {"Tape system area write failure", C},
    {"Tape system area read failure", C},
    {"No start of data", C},
    {"Loading or threading failure", C},
    {"Unrecoverable unload failure", C},
    {"Automation interface failure", C},
    {"Microcode failure", W},
    {"WORM medium - integrity check failed", W},
    {"WORM medium - overwrite attempted", W},
    {"Reserved", I},
    {"Reserved", I},
    {"Reserved", I},
    {"Reserved", I},
}};

}  // namespace

TapeAlertInfo tape_alert_info(unsigned flag) {
  if (flag < 1 || flag > kFlags.size()) return {"Unknown", I};
  return kFlags[flag - 1];
}

std::vector<uint8_t> set_flags(const TapeAlert& a) {
  std::vector<uint8_t> out;
  for (unsigned f = 1; f <= 64; ++f)
    if (a.set(f)) out.push_back(uint8_t(f));
  return out;
}

std::string describe_tape_alert(unsigned flag) {
  return fmt::format("TapeAlert {} ({})", flag, tape_alert_info(flag).name);
}

}  // namespace ndmp::dev

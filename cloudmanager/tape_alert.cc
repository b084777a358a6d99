#include "cloudmanager/tape_alert.h"

#include <array>

#include <fmt/format.h>

namespace ndmp::cm {
namespace {

using S = AlertSeverity;

// SSC-3 Table A.2; 40..49 (changer flags in old drives) and 61..64 are left out.
constexpr std::array<TapeAlert, 50> kAlerts{{
    {1, "Read warning", S::warning},        {2, "Write warning", S::warning},
    {3, "Hard error", S::warning},          {4, "Media", S::critical},
    {5, "Read failure", S::critical},       {6, "Write failure", S::critical},
    {7, "Media life", S::warning},          {8, "Not data grade", S::warning},
    {9, "Write protect", S::critical},      {10, "No removal", S::info},
    {11, "Cleaning media", S::info},        {12, "Unsupported format", S::info},
    {13, "Recoverable mechanical cartridge failure", S::critical},
    {14, "Unrecoverable mechanical cartridge failure", S::critical},
    {15, "Memory chip in cartridge failure", S::warning},
    {16, "Forced eject", S::critical},      {17, "Read only format", S::warning},
    {18, "Tape directory corrupted on load", S::warning},
    {19, "Nearing media life", S::info},    {20, "Clean now", S::critical},
    {21, "Clean periodic", S::warning},     {22, "Expired cleaning media", S::critical},
    {23, "Invalid cleaning tape", S::critical}, {24, "Retension requested", S::warning},
    {25, "Dual-port interface error", S::warning}, {26, "Cooling fan failure", S::warning},
    {27, "Power supply failure", S::warning}, {28, "Power consumption", S::warning},
    {29, "Drive maintenance", S::warning},  {30, "Hardware A", S::critical},
    {31, "Hardware B", S::critical},        {32, "Interface", S::warning},
    {33, "Eject media", S::critical},       {34, "Download fail", S::warning},
    {35, "Drive humidity", S::warning},     {36, "Drive temperature", S::warning},
    {37, "Drive voltage", S::warning},      {38, "Predictive failure", S::critical},
    {39, "Diagnostics required", S::warning}, {50, "Lost statistics", S::warning},
    {51, "Tape directory invalid at unload", S::warning},
    {52, "Tape system area write failure", S::critical},
    {53, "Tape system area read failure", S::critical},
    {54, "No start of data", S::critical},  {55, "Loading failure", S::critical},
    {56, "Unrecoverable unload failure", S::critical},
    {57, "Automation interface failure", S::critical},
    {58, "Firmware failure", S::warning},   {59, "WORM medium integrity check failed", S::warning},
    {60, "WORM medium overwrite attempted", S::warning},
}};

const char* severity_name(S s) {
  switch (s) {
    case S::info: return "information";
    case S::warning: return "warning";
    case S::critical: return "critical";
  }
  return "?";
}

}  // namespace

const TapeAlert* tape_alert(uint8_t flag) {
  for (const TapeAlert& a : kAlerts)
    if (a.flag == flag) return &a;
  return nullptr;
}

bool any_critical(const std::vector<uint8_t>& flags) {
  for (uint8_t f : flags)
    if (const TapeAlert* a = tape_alert(f); a && a->severity == S::critical) return true;
  return false;
}

std::string describe_tape_alerts(const std::vector<uint8_t>& flags) {
  std::string out;
  for (uint8_t f : flags) {
    if (!out.empty()) out += ", ";
    const TapeAlert* a = tape_alert(f);
    out += a ? fmt::format("{} {} ({})", f, a->name, severity_name(a->severity)) : fmt::format("{} (reserved)", f);
  }
  return out;
}

}  // namespace ndmp::cm

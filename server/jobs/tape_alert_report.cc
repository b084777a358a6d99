#include "server/jobs/tape_alert_report.h"

#include <memory>
#include <mutex>
#include <string>

#include "common/log.h"
#include "devices/tape_alert.h"
#include "server/datapath/tape_service.h"
#include "server/jobs/job_reporter.h"
#include "server/jobs/job_state.h"
#include "server/jobs/job_host.h"

namespace ndmp::server {
namespace {

msg::LogType log_type_of(dev::AlertSeverity sev) {
  switch (sev) {
    case dev::AlertSeverity::critical: return msg::LogType::error;
    case dev::AlertSeverity::warning: return msg::LogType::warning;
    case dev::AlertSeverity::information: break;
  }
  return msg::LogType::normal;
}

}  // namespace

std::vector<uint8_t> report_tape_alerts(JobHost& s, TapeService& tape, std::string_view when) {
  auto a = tape.tape_alerts();
  if (!a.ok()) {
    // No LOG SENSE or no TapeAlert page: the drive cannot tell; say so only in debug.
    if (a.status().is(dev::Category::illegal_request))
      log::debug("{}: tape {}: no TapeAlert page: {}", s.tag(), tape.name(), a.status().to_string());
    else
      log::warn("{}: tape {}: could not read TapeAlert flags {}: {}", s.tag(), tape.name(), when,
                a.status().to_string());
    return {};
  }
  std::vector<uint8_t> flags = dev::set_flags(*a);
  for (uint8_t f : flags) {
    const auto info = dev::tape_alert_info(f);
    const std::string text = fmt::format("tape {}: {} {}", tape.name(), dev::describe_tape_alert(f), when);
    if (info.severity == dev::AlertSeverity::information)
      log::info("{}: {}", s.tag(), text);
    else
      log::warn("{}: {}", s.tag(), text);
    log_to_dma(s, log_type_of(info.severity), text, PostKind::urgent);
  }
  if (!flags.empty()) report::note_tape_alerts(s, flags);
  return flags;
}

void report_tape_alerts_after_job(JobHost& s) {
  std::shared_ptr<TapeService> tape;
  {
    auto& j = s.jobs();
    std::lock_guard lock(j.mu);
    tape = j.mover_tape;
  }
  if (tape) report_tape_alerts(s, *tape, "after the job");
}

}  // namespace ndmp::server

#include "cloudmanager/event_mapping.h"

#include <array>
#include <chrono>
#include <utility>

#include "cloudmanager/tape_alert.h"

namespace ndmp::cm {
namespace {

using events::JobEventType;

template <class E, std::size_t N>
E lookup(const std::array<std::pair<std::string_view, E>, N>& table, std::string_view key, E none) {
  for (const auto& [name, value] : table)
    if (name == key) return value;
  return none;
}

constexpr std::array<std::pair<std::string_view, wire::JobPauseReason>, 4> kPause{{
    {"EOM", wire::JobPauseReason_EndOfMedium},
    {"EOW", wire::JobPauseReason_EndOfWindow},
    {"EOF", wire::JobPauseReason_EndOfFile},
    {"SEEK", wire::JobPauseReason_Seek},
}};

constexpr std::array<std::pair<std::string_view, wire::JobHaltReason>, 4> kHalt{{
    {"SUCCESSFUL", wire::JobHaltReason_Successful},
    {"ABORTED", wire::JobHaltReason_Aborted},
    {"INTERNAL_ERROR", wire::JobHaltReason_InternalError},
    {"CONNECT_ERROR", wire::JobHaltReason_ConnectError},
}};

constexpr std::array<std::pair<std::string_view, wire::Exception>, 8> kException{{
    {"MEDIA_ERROR", wire::Exception_StreamerPoolDisabled},
    {"DEVICE_ERROR", wire::Exception_StreamerPoolDisabled},
    {"DRIVE_OFFLINE", wire::Exception_StreamerPoolDisabled},
    {"CHANGER_NOT_RESPONDING", wire::Exception_StreamerPoolDisabled},
    {"STORAGE_FULL", wire::Exception_StreamerPoolExceededThreshold},
    {"TARGET_LOST", wire::Exception_ClientTargetLost},
    {"SOURCE_LOST", wire::Exception_ClientLocalLost},
    {"PEER_OFFLINE", wire::Exception_ClientOffline},
}};

wire::JobKind kind_of(events::JobKind k) {
  return k == events::JobKind::backup ? wire::JobKind_Backup : wire::JobKind_Restore;
}

int64_t seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

int64_t signed_of(uint64_t v) { return v > INT64_MAX ? INT64_MAX : static_cast<int64_t>(v); }

}  // namespace

wire::Command command_for(JobEventType type) {
  switch (type) {
    case JobEventType::progress: return wire::Command_ReportJobProgress;
    case JobEventType::exception: return wire::Command_ReportJobException;
    case JobEventType::started:
    case JobEventType::paused:
    case JobEventType::continued:
    case JobEventType::halted:
    case JobEventType::refused: return wire::Command_ReportJobState;
  }
  return wire::Command_ReportJobState;
}

EntryClass entry_class_for(JobEventType type) {
  return type == JobEventType::progress ? EntryClass::progress : EntryClass::state;
}

wire::JobPauseReason pause_reason_for(std::string_view r) { return lookup(kPause, r, wire::JobPauseReason_None); }
wire::JobHaltReason halt_reason_for(std::string_view r) { return lookup(kHalt, r, wire::JobHaltReason_None); }
wire::Exception exception_for(std::string_view r) { return lookup(kException, r, wire::Exception_Normal); }

wire::Exception exception_for(const events::JobEvent& e) {
  const wire::Exception by_reason = exception_for(e.reason);
  if (by_reason != wire::Exception_Normal) return by_reason;
  return any_critical(e.tape_alert_flags) ? wire::Exception_StreamerPoolDisabled : wire::Exception_Normal;
}

wire::ErrorCode error_code_for(const events::JobEvent& e) {
  if (e.reason == "DRIVE_OFFLINE") return wire::ErrorCode_FileOpenFailed;
  for (uint8_t f : e.tape_alert_flags) {
    if (f == 5 || f == 53) return wire::ErrorCode_FileReadFailed;    // read failure, system area read failure
    if (f == 6 || f == 52) return wire::ErrorCode_FileWriteFailed;   // write failure, system area write failure
  }
  return wire::ErrorCode_Success;
}

std::string event_body(const events::JobEvent& e, const std::string& streamer_uuid, uint64_t event_id) {
  const int64_t id = signed_of(event_id);
  switch (e.type) {
    case JobEventType::progress: {
      wire::ReportJobProgressRequest m;
      m.set_streamer_uuid(streamer_uuid);
      m.set_event_id(id);
      m.set_time(seconds(e.when));
      m.set_job_uuid(e.job_id);
      m.set_kind(kind_of(e.kind));
      m.set_bytes(signed_of(e.bytes));
      m.set_rate(signed_of(e.rate_bytes_per_sec));
      m.set_remaining_time(e.est_seconds_left);
      m.set_device(e.device);
      m.set_media_label(e.media_label);
      return m.SerializeAsString();
    }
    case JobEventType::exception: {
      wire::ReportJobExceptionRequest m;
      m.set_streamer_uuid(streamer_uuid);
      m.set_event_id(id);
      m.set_time(seconds(e.when));
      m.set_job_uuid(e.job_id);
      m.set_kind(kind_of(e.kind));
      m.set_exception(exception_for(e));
      m.set_error_code(error_code_for(e));
      for (uint8_t f : e.tape_alert_flags) m.add_tape_alert_flags(f);
      m.set_reason(e.reason);
      m.set_text(e.tape_alert_flags.empty() || e.reason != "TAPE_ALERT"
                     ? e.text
                     : (e.text.empty() ? "" : e.text + ": ") + "TapeAlert " + describe_tape_alerts(e.tape_alert_flags));
      m.set_source_path(e.source_path);
      m.set_device(e.device);
      m.set_media_label(e.media_label);
      return m.SerializeAsString();
    }
    case JobEventType::started:
    case JobEventType::paused:
    case JobEventType::continued:
    case JobEventType::halted:
    case JobEventType::refused: break;
  }
  wire::ReportJobStateRequest m;
  m.set_streamer_uuid(streamer_uuid);
  m.set_event_id(id);
  m.set_time(seconds(e.when));
  m.set_job_uuid(e.job_id);
  m.set_kind(kind_of(e.kind));
  switch (e.type) {
    case JobEventType::started: m.set_state(wire::JobState_Started); break;
    case JobEventType::paused:
      m.set_state(wire::JobState_Paused);
      m.set_pause_reason(pause_reason_for(e.reason));
      break;
    case JobEventType::continued: m.set_state(wire::JobState_Continued); break;
    case JobEventType::refused: m.set_state(wire::JobState_Refused); break;
    default:
      m.set_state(wire::JobState_Halted);
      m.set_halt_reason(halt_reason_for(e.reason));
      break;
  }
  m.set_reason(e.reason);
  m.set_text(e.text);
  m.set_source_path(e.source_path);
  m.set_device(e.device);
  m.set_media_label(e.media_label);
  m.set_bytes(signed_of(e.bytes));
  return m.SerializeAsString();
}

}  // namespace ndmp::cm

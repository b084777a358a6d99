// Server job events -> Cloud Manager messages (ndmpd extension, commands
// 2701-2703 in cm_streamer.proto).
//
//   JobEventType   command              body
//   started        ReportJobState       state Started
//   paused         ReportJobState       state Paused, pause_reason from `reason`
//   continued      ReportJobState       state Continued
//   halted         ReportJobState       state Halted, halt_reason from `reason`
//   refused        ReportJobState       state Refused, reason verbatim ("SPACE_CHECK")
//   progress       ReportJobProgress    bytes, rate, remaining_time
//   exception      ReportJobException   exception from `reason` (table below)
//
// Reason names are the NDMP ones the server uses (job_events.h): pause
// "EOM" "EOW" "EOF" "SEEK"; halt "SUCCESSFUL" "ABORTED" "INTERNAL_ERROR"
// "CONNECT_ERROR". Exception reasons the bridge maps onto the spec's
// Exception codes (anything else is sent as Exception_Normal with `reason`
// verbatim, because no spec code fits):
//   "MEDIA_ERROR", "DEVICE_ERROR"  -> StreamerPoolDisabled  (storage pool trouble)
//   "DRIVE_OFFLINE"                -> StreamerPoolDisabled, ErrorCode FileOpenFailed
//   "CHANGER_NOT_RESPONDING"       -> StreamerPoolDisabled
//   "TAPE_ALERT" (or any other reason) with a critical TapeAlert flag set
//                                  -> StreamerPoolDisabled; warnings alone -> Normal
// TapeAlert flags travel in tape_alert_flags, and name the ErrorCode where
// one fits: read failure (5, 53) FileReadFailed, write failure (6, 52)
// FileWriteFailed; text of a TAPE_ALERT report gets the flags' names.
//   "STORAGE_FULL"                 -> StreamerPoolExceededThreshold
//   "TARGET_LOST"                  -> ClientTargetLost      (backup target gone)
//   "SOURCE_LOST"                  -> ClientLocalLost       (source gone)
//   "PEER_OFFLINE"                 -> ClientOffline         (DMA/peer went away)
// Unknown pause/halt reasons map to the enums' None and keep `reason` verbatim.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cloudmanager/journal.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "events/job_events.h"

namespace ndmp::cm {

wire::Command command_for(events::JobEventType type);
EntryClass entry_class_for(events::JobEventType type);  // progress or state

wire::JobPauseReason pause_reason_for(std::string_view reason);
wire::JobHaltReason halt_reason_for(std::string_view reason);
wire::Exception exception_for(std::string_view reason);
// By reason, then by the event's TapeAlert flags.
wire::Exception exception_for(const events::JobEvent& event);
wire::ErrorCode error_code_for(const events::JobEvent& event);

// The serialised body for `event`, stamped with our identity and its journal id.
std::string event_body(const events::JobEvent& event, const std::string& streamer_uuid,
                       uint64_t event_id);

}  // namespace ndmp::cm

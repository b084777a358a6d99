#include "cloudmanager/commands.h"

#include <array>

#include "cloudmanager/proto/cm_streamer.pb.h"

namespace ndmp::cm {
namespace {

const std::array<CommandInfo, 5>& table() {
  static const std::array<CommandInfo, 5> t{{
      {wire::Command_QueryBackupSpaceEnough, &wire::QueryBackupSpaceEnoughRequest::default_instance(),
       &wire::QueryBackupSpaceEnoughResponse::default_instance(),
       wire::ErrorCode_QueryBackupSpaceEnoughFailed, false},
      {wire::Command_StreamerHello, &wire::StreamerHelloRequest::default_instance(), nullptr,
       wire::ErrorCode_StreamerHelloFailed, false},
      {wire::Command_ReportJobState, &wire::ReportJobStateRequest::default_instance(), nullptr,
       wire::ErrorCode_ReportJobStateFailed, true},
      {wire::Command_ReportJobProgress, &wire::ReportJobProgressRequest::default_instance(), nullptr,
       wire::ErrorCode_ReportJobProgressFailed, true},
      {wire::Command_ReportJobException, &wire::ReportJobExceptionRequest::default_instance(),
       nullptr, wire::ErrorCode_ReportJobExceptionFailed, true},
  }};
  return t;
}

}  // namespace

const CommandInfo* find_command(wire::Command command) {
  for (const CommandInfo& c : table())
    if (c.command == command) return &c;
  return nullptr;
}

}  // namespace ndmp::cm

// Which body goes with which command: a table keyed by command number.
//
// Only the commands a Streamer and a Cloud Manager exchange are listed; the
// spec's console/alarm commands have no Streamer meaning. `request` and
// `response` point at the generated default instances (nullptr = the spec's
// "无", no body); `failed` is the command's own error code (10000 + command,
// the spec's rule for operation errors). Used by the bridge to build replies'
// expectations and by the simulator to decode and record bodies.
#pragma once

#include <google/protobuf/message.h>

#include "cloudmanager/proto/cm_enums.pb.h"

namespace ndmp::cm {


struct CommandInfo {
  wire::Command command;
  const google::protobuf::Message* request;   // streamer >>> scmp
  const google::protobuf::Message* response;  // scmp >>> streamer, nullptr = none
  wire::ErrorCode failed;
  bool is_event;  // journalled job status (carries streamer_uuid + event_id)
};

// nullptr when the command is not one a Streamer exchanges.
const CommandInfo* find_command(wire::Command command);

}  // namespace ndmp::cm

// Job events -> wire: the reason tables and the spec Exception mapping.
#include <gtest/gtest.h>

#include "cloudmanager/config.h"
#include "cloudmanager/event_mapping.h"

namespace ndmp::cm {
namespace {

using events::JobEventType;

TEST(CmMapping, EventTypesPickTheirCommandAndJournalClass) {
  EXPECT_EQ(command_for(JobEventType::started), wire::Command_ReportJobState);
  EXPECT_EQ(command_for(JobEventType::paused), wire::Command_ReportJobState);
  EXPECT_EQ(command_for(JobEventType::continued), wire::Command_ReportJobState);
  EXPECT_EQ(command_for(JobEventType::halted), wire::Command_ReportJobState);
  EXPECT_EQ(command_for(JobEventType::progress), wire::Command_ReportJobProgress);
  EXPECT_EQ(command_for(JobEventType::exception), wire::Command_ReportJobException);
  EXPECT_EQ(entry_class_for(JobEventType::progress), EntryClass::progress);
  EXPECT_EQ(entry_class_for(JobEventType::exception), EntryClass::state);
  EXPECT_EQ(entry_class_for(JobEventType::halted), EntryClass::state);
}

TEST(CmMapping, NdmpReasonsMapOntoTheEnums) {
  EXPECT_EQ(pause_reason_for("EOM"), wire::JobPauseReason_EndOfMedium);
  EXPECT_EQ(pause_reason_for("EOW"), wire::JobPauseReason_EndOfWindow);
  EXPECT_EQ(pause_reason_for("EOF"), wire::JobPauseReason_EndOfFile);
  EXPECT_EQ(pause_reason_for("SEEK"), wire::JobPauseReason_Seek);
  EXPECT_EQ(pause_reason_for("something new"), wire::JobPauseReason_None);
  EXPECT_EQ(halt_reason_for("SUCCESSFUL"), wire::JobHaltReason_Successful);
  EXPECT_EQ(halt_reason_for("ABORTED"), wire::JobHaltReason_Aborted);
  EXPECT_EQ(halt_reason_for("INTERNAL_ERROR"), wire::JobHaltReason_InternalError);
  EXPECT_EQ(halt_reason_for("CONNECT_ERROR"), wire::JobHaltReason_ConnectError);
}

TEST(CmMapping, ExceptionsUseTheSpecCodesWhereOneFits) {
  EXPECT_EQ(exception_for("MEDIA_ERROR"), wire::Exception_StreamerPoolDisabled);
  EXPECT_EQ(exception_for("DEVICE_ERROR"), wire::Exception_StreamerPoolDisabled);
  EXPECT_EQ(exception_for("STORAGE_FULL"), wire::Exception_StreamerPoolExceededThreshold);
  EXPECT_EQ(exception_for("TARGET_LOST"), wire::Exception_ClientTargetLost);
  EXPECT_EQ(exception_for("SOURCE_LOST"), wire::Exception_ClientLocalLost);
  EXPECT_EQ(exception_for("PEER_OFFLINE"), wire::Exception_ClientOffline);
  EXPECT_EQ(exception_for("COSMIC_RAY"), wire::Exception_Normal);
}

TEST(CmMapping, ExceptionBodyKeepsTheReasonVerbatim) {
  events::JobEvent e;
  e.job_id = "j";
  e.kind = events::JobKind::restore;
  e.type = JobEventType::exception;
  e.reason = "COSMIC_RAY";
  e.text = "bit flipped";
  wire::ReportJobExceptionRequest m;
  ASSERT_TRUE(m.ParseFromString(event_body(e, "me", 42)));
  EXPECT_EQ(m.streamer_uuid(), "me");
  EXPECT_EQ(m.event_id(), 42);
  EXPECT_EQ(m.kind(), wire::JobKind_Restore);
  EXPECT_EQ(m.exception(), wire::Exception_Normal);
  EXPECT_EQ(m.reason(), "COSMIC_RAY");
  EXPECT_EQ(m.text(), "bit flipped");
}

TEST(CmConfig, SpacePolicyNamesRoundTrip) {
  for (SpacePolicy p : {SpacePolicy::refuse, SpacePolicy::warn, SpacePolicy::skip}) {
    SpacePolicy back = SpacePolicy::skip;
    ASSERT_TRUE(parse_space_policy(to_string(p), back));
    EXPECT_EQ(back, p);
  }
  SpacePolicy x;
  EXPECT_FALSE(parse_space_policy("maybe", x));
}

}  // namespace
}  // namespace ndmp::cm

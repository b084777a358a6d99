// cmsim's own codec (tools/cmsim/own_codec.h) and the bridge's codec
// (cloudmanager/) against byte vectors written by hand from the protocol
// summary's tables (../shared/seeds/000_*.txt, "消息头": offsets 0/1/2/4/8/12/16,
// sizes 1/1/2/4/4/4/8, signed int16/int32/int64; the enum values) and from
// ndmpd-cloudmanager(5) (big-endian; our bodies' field numbers). Each vector
// is checked against both codecs, so a mistake in either shows up as a
// disagreement with the hand-written bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cloudmanager/frame.h"
#include "cloudmanager/header.h"
#include "cloudmanager/proto/cm_streamer.pb.h"
#include "tools/cmsim/own_codec.h"

namespace ndmp {
namespace {

namespace own = cmsim::own;
namespace wire = cm::wire;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

const uint8_t* u8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// QueryBackupSpaceEnough (1606 = 0x0646) request, data type Protobuf, direction
// StreamerToCloudManager (5), 11-byte body, flags1 0x0102030405060708.
const std::string kQueryHeader = bytes({0x01, 0x01, 0x00, 0x05, 0x00, 0x00, 0x06, 0x46, 0x00, 0x00, 0x00, 0x00,
                                        0x00, 0x00, 0x00, 0x0b, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});

// The Cloud Manager's refusal: direction CloudManagerToStreamer (6), data type
// None, error QueryBackupSpaceEnoughFailed (11606 = 0x2d56), no body.
const std::string kRefusalHeader = bytes({0x01, 0x00, 0x00, 0x06, 0x00, 0x00, 0x06, 0x46, 0x00, 0x00, 0x2d, 0x56,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});

// StreamerHello (2700 = 0x0a8c) with flags1 = -1: a signed int64, all ones.
const std::string kHelloHeader = bytes({0x01, 0x01, 0x00, 0x05, 0x00, 0x00, 0x0a, 0x8c, 0x00, 0x00, 0x00, 0x00,
                                        0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});

TEST(CmsimOwnCodec, ReadsTheQueryHeaderAtTheSpecOffsets) {
  own::Header h;
  std::string why;
  ASSERT_TRUE(own::read_header(u8(kQueryHeader), 1 << 20, h, why)) << why;
  EXPECT_EQ(h.version, 1);
  EXPECT_EQ(h.data_type, 1);
  EXPECT_EQ(h.direction, 5);
  EXPECT_EQ(h.command, 1606);
  EXPECT_EQ(h.error_code, 0);
  EXPECT_EQ(h.body_length, 11);
  EXPECT_EQ(h.flags1, 0x0102030405060708);
}

TEST(CmsimOwnCodec, BridgeEncodesTheSameQueryHeader) {
  cm::Header h;
  h.data_type = wire::DataType_Protobuf;
  h.direction = wire::MessageDirection_StreamerToCloudManager;
  h.command = wire::Command_QueryBackupSpaceEnough;
  h.body_length = 11;
  h.flags1 = 0x0102030405060708;
  const auto b = cm::encode_header(h);
  EXPECT_EQ(std::string(b.begin(), b.end()), kQueryHeader);
}

TEST(CmsimOwnCodec, SignedFlagsAndTheExtensionCommand) {
  own::Header h;
  std::string why;
  ASSERT_TRUE(own::read_header(u8(kHelloHeader), 1 << 20, h, why)) << why;
  EXPECT_EQ(h.command, own::ext::kStreamerHello);
  EXPECT_EQ(h.flags1, -1);
  cm::Header b;
  b.data_type = wire::DataType_Protobuf;
  b.direction = wire::MessageDirection_StreamerToCloudManager;
  b.command = wire::Command_StreamerHello;
  b.flags1 = -1;
  const auto e = cm::encode_header(b);
  EXPECT_EQ(std::string(e.begin(), e.end()), kHelloHeader);
}

TEST(CmsimOwnCodec, WritesTheRefusalTheBridgeReads) {
  own::Header h;
  h.version = 1;
  h.data_type = own::seed::kDataTypeNone;
  h.direction = own::seed::kCloudManagerToStreamer;
  h.command = own::seed::kQueryBackupSpaceEnough;
  h.error_code = own::seed::kQueryBackupSpaceEnoughFailed;
  EXPECT_EQ(own::write_header(h), kRefusalHeader);
  cm::Frame f;
  std::size_t used = 0;
  std::string why;
  ASSERT_EQ(cm::decode_frame(kRefusalHeader, cm::FrameRules{}, f, used, why), cm::DecodeStatus::complete) << why;
  EXPECT_EQ(used, 24u);
  EXPECT_EQ(f.header.command, wire::Command_QueryBackupSpaceEnough);
  EXPECT_EQ(f.header.error_code, wire::ErrorCode_QueryBackupSpaceEnoughFailed);
}

TEST(CmsimOwnCodec, RejectsWhatTheSummaryDoesNotAllow) {
  struct Case {
    int offset;
    std::vector<int> value;
    const char* what;
  };
  const std::vector<Case> cases = {
      {0, {0x02}, "version 2"},
      {1, {0x03}, "data type 3"},
      {2, {0x00, 0x06}, "direction CloudManagerToStreamer, to a Cloud Manager"},
      {4, {0x00, 0x00, 0x0a, 0x8b}, "command 2699"},
      {8, {0x00, 0x00, 0x03, 0xe8}, "a request carrying an error code"},
      {12, {0xff, 0xff, 0xff, 0xff}, "body length -1"},
      {12, {0x00, 0x10, 0x00, 0x01}, "body length over the cap"},
  };
  for (const Case& c : cases) {
    std::string v = kQueryHeader;
    for (std::size_t i = 0; i < c.value.size(); ++i) v[c.offset + i] = static_cast<char>(c.value[i]);
    own::Header h;
    std::string why;
    EXPECT_FALSE(own::read_header(u8(v), 1 << 20, h, why)) << c.what;
  }
}

// streamer_uuid "s" (field 1), job_uuid "j" (field 2), backup_size 300 (field 3, varint ac 02).
const std::string kQueryBody = bytes({0x0a, 0x01, 0x73, 0x12, 0x01, 0x6a, 0x18, 0xac, 0x02});

TEST(CmsimOwnCodec, QueryBodyFromTheVectorAndFromTheBridge) {
  own::Body b;
  std::string why;
  ASSERT_TRUE(own::read_body(1606, kQueryBody, b, why)) << why;
  EXPECT_EQ(b["streamer_uuid"].text, "s");
  EXPECT_EQ(b["job_uuid"].text, "j");
  EXPECT_EQ(b["backup_size"].number, 300);
  wire::QueryBackupSpaceEnoughRequest q;
  q.set_streamer_uuid("s");
  q.set_job_uuid("j");
  q.set_backup_size(300);
  EXPECT_EQ(q.SerializeAsString(), kQueryBody);
}

TEST(CmsimOwnCodec, NegativeSizeIsATenByteVarint) {
  const std::string v = bytes({0x18, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  own::Body b;
  std::string why;
  ASSERT_TRUE(own::read_body(1606, v, b, why)) << why;
  EXPECT_EQ(b["backup_size"].number, -2);
  wire::QueryBackupSpaceEnoughRequest q;
  q.set_backup_size(-2);
  EXPECT_EQ(q.SerializeAsString(), v);
}

// enough = true (field 1), free_size = 1000 (field 2, varint e8 07).
TEST(CmsimOwnCodec, SpaceResponseTheBridgeParses) {
  const std::string v = bytes({0x08, 0x01, 0x10, 0xe8, 0x07});
  EXPECT_EQ(own::write_space_response(true, 1000), v);
  EXPECT_EQ(own::write_space_response(false, 0), "") << "proto3 leaves defaults out";
  wire::QueryBackupSpaceEnoughResponse r;
  ASSERT_TRUE(r.ParseFromString(v));
  EXPECT_TRUE(r.enough());
  EXPECT_EQ(r.free_size(), 1000);
}

// event_id 7 (field 2), kind Backup 1 (field 5), state Refused 5 (field 6).
TEST(CmsimOwnCodec, JobStateEnumValues) {
  const std::string v = bytes({0x10, 0x07, 0x28, 0x01, 0x30, 0x05});
  own::Body b;
  std::string why;
  ASSERT_TRUE(own::read_body(own::ext::kReportJobState, v, b, why)) << why;
  EXPECT_EQ(b["event_id"].number, 7);
  EXPECT_EQ(b["kind"].number, 1);
  EXPECT_EQ(b["state"].number, 5);
  wire::ReportJobStateRequest m;
  m.set_event_id(7);
  m.set_kind(wire::JobKind_Backup);
  m.set_state(wire::JobState_Refused);
  EXPECT_EQ(m.SerializeAsString(), v);
}

// exception StreamerPoolDisabled 9 (field 6), error_code FileReadFailed 7
// (field 12), tape_alert_flags [5, 20] packed (field 13).
TEST(CmsimOwnCodec, ExceptionWithTapeAlertFlags) {
  const std::string v = bytes({0x30, 0x09, 0x60, 0x07, 0x6a, 0x02, 0x05, 0x14});
  own::Body b;
  std::string why;
  ASSERT_TRUE(own::read_body(own::ext::kReportJobException, v, b, why)) << why;
  EXPECT_EQ(b["exception"].number, 9);
  EXPECT_EQ(b["error_code"].number, 7);
  EXPECT_EQ(b["tape_alert_flags"].numbers, (std::vector<int64_t>{5, 20}));
  wire::ReportJobExceptionRequest m;
  m.set_exception(wire::Exception_StreamerPoolDisabled);
  m.set_error_code(wire::ErrorCode_FileReadFailed);
  m.add_tape_alert_flags(5);
  m.add_tape_alert_flags(20);
  EXPECT_EQ(m.SerializeAsString(), v);
}

TEST(CmsimOwnCodec, RejectsMalformedBodies) {
  own::Body b;
  std::string why;
  EXPECT_FALSE(own::read_body(1606, bytes({0x0a, 0x05, 0x73}), b, why)) << "string longer than the body";
  EXPECT_FALSE(own::read_body(1606, bytes({0x20, 0x01}), b, why)) << "field 4 is not in the query";
  EXPECT_FALSE(own::read_body(1606, bytes({0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),
                              b, why))
      << "an eleven-byte varint";
}

// The summary's enum values, as the simulator has them, against the bridge's .proto.
TEST(CmsimOwnCodec, EnumValuesAgreeWithTheBridge) {
  EXPECT_EQ(own::seed::kQueryBackupSpaceEnough, wire::Command_QueryBackupSpaceEnough);
  EXPECT_EQ(own::seed::kQueryBackupSpaceEnoughFailed, wire::ErrorCode_QueryBackupSpaceEnoughFailed);
  EXPECT_EQ(own::seed::kUnrecognizedCommand, wire::ErrorCode_UnrecognizedCommand);
  EXPECT_EQ(own::seed::kOperationNotSupported, wire::ErrorCode_OperationNotSupported);
  EXPECT_EQ(own::seed::kDeserializeFailed, wire::ErrorCode_DeserializeFailed);
  EXPECT_EQ(own::seed::kQuotaInsufficient, wire::ErrorCode_QuotaInsufficient);
  EXPECT_EQ(own::seed::kStreamerToCloudManager, wire::MessageDirection_StreamerToCloudManager);
  EXPECT_EQ(own::seed::kCloudManagerToStreamer, wire::MessageDirection_CloudManagerToStreamer);
  EXPECT_EQ(own::ext::kStreamerHello, wire::Command_StreamerHello);
  EXPECT_EQ(own::ext::kReportJobState, wire::Command_ReportJobState);
  EXPECT_EQ(own::ext::kReportJobProgress, wire::Command_ReportJobProgress);
  EXPECT_EQ(own::ext::kReportJobException, wire::Command_ReportJobException);
  for (int c = 0; c <= 6000; ++c) {
    const bool in_proto = wire::Command_IsValid(c) && (c < 2700 || c > 2703);
    EXPECT_EQ(own::seed::is_command(c), in_proto) << "command " << c;
  }
}

}  // namespace
}  // namespace ndmp

// Codec: the 24-byte header and protobuf bodies, pinned by byte vectors both
// ways, every invalid header field rejected, and the spec's enums complete.
#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

#include "cloudmanager/commands.h"
#include "cloudmanager/frame.h"
#include "cloudmanager/header.h"
#include "cloudmanager/proto/cm_streamer.pb.h"

namespace ndmp::cm {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}

// QueryBackupSpaceEnough request header, 11-byte body, flags1 0x0102030405060708:
// version 1, data type Protobuf, direction 5 (StreamerToCloudManager) as
// big-endian int16, command 1606 = 0x646, error 0, length 11, flags1.
const std::string kQueryHeader = bytes({0x01, 0x01, 0x00, 0x05, 0x00, 0x00, 0x06, 0x46,
                                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b,
                                        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});

Header query_header() {
  Header h;
  h.version = wire::Version_V1;
  h.data_type = wire::DataType_Protobuf;
  h.direction = wire::MessageDirection_StreamerToCloudManager;
  h.command = wire::Command_QueryBackupSpaceEnough;
  h.error_code = wire::ErrorCode_Success;
  h.body_length = 11;
  h.flags1 = 0x0102030405060708;
  return h;
}

std::string header_bytes(const Header& h) {
  const auto a = encode_header(h);
  return std::string(reinterpret_cast<const char*>(a.data()), a.size());
}

bool decode(const std::string& b, Header& h, std::string& why, int32_t cap = kDefaultMaxBody) {
  EXPECT_EQ(b.size(), kHeaderSize);
  std::span<const uint8_t, kHeaderSize> s(reinterpret_cast<const uint8_t*>(b.data()), kHeaderSize);
  return decode_header(s, cap, h, why);
}

TEST(CmHeader, EncodesFieldsBigEndianAtSpecOffsets) {
  EXPECT_EQ(header_bytes(query_header()), kQueryHeader);
}

TEST(CmHeader, DecodesTheSameBytesBack) {
  Header h;
  std::string why;
  ASSERT_TRUE(decode(kQueryHeader, h, why)) << why;
  EXPECT_EQ(h.version, wire::Version_V1);
  EXPECT_EQ(h.data_type, wire::DataType_Protobuf);
  EXPECT_EQ(h.direction, wire::MessageDirection_StreamerToCloudManager);
  EXPECT_EQ(h.command, wire::Command_QueryBackupSpaceEnough);
  EXPECT_EQ(h.error_code, wire::ErrorCode_Success);
  EXPECT_EQ(h.body_length, 11);
  EXPECT_EQ(h.flags1, 0x0102030405060708);
}

TEST(CmHeader, ErrorReplyVector) {
  // CloudManagerToStreamer (6), ReportJobState (2701 = 0xa8d),
  // ReportJobStateFailed (12701 = 0x319d), no body, flags1 -1.
  const std::string b = bytes({0x01, 0x01, 0x00, 0x06, 0x00, 0x00, 0x0a, 0x8d,
                               0x00, 0x00, 0x31, 0x9d, 0x00, 0x00, 0x00, 0x00,
                               0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  Header h;
  h.direction = wire::MessageDirection_CloudManagerToStreamer;
  h.command = wire::Command_ReportJobState;
  h.error_code = wire::ErrorCode_ReportJobStateFailed;
  h.flags1 = -1;
  EXPECT_EQ(header_bytes(h), b);
  Header back;
  std::string why;
  ASSERT_TRUE(decode(b, back, why)) << why;
  EXPECT_EQ(back.command, wire::Command_ReportJobState);
  EXPECT_EQ(back.error_code, wire::ErrorCode_ReportJobStateFailed);
  EXPECT_EQ(back.flags1, -1);
}

// One invalid field at a time, over the valid vector; each must be rejected
// with a reason naming the field.
struct BadField {
  const char* name;
  std::size_t offset;
  std::vector<int> value;
  const char* reason_has;
};

class CmHeaderRejects : public ::testing::TestWithParam<BadField> {};

TEST_P(CmHeaderRejects, InvalidField) {
  const BadField& f = GetParam();
  std::string b = kQueryHeader;
  for (std::size_t i = 0; i < f.value.size(); ++i) b[f.offset + i] = static_cast<char>(f.value[i]);
  Header h;
  std::string why;
  EXPECT_FALSE(decode(b, h, why)) << f.name;
  EXPECT_NE(why.find(f.reason_has), std::string::npos) << why;
}

INSTANTIATE_TEST_SUITE_P(
    EveryField, CmHeaderRejects,
    ::testing::Values(
        BadField{"VersionZero", 0, {0x00}, "version 0"},
        BadField{"VersionTwo", 0, {0x02}, "version 2"},
        BadField{"VersionHigh", 0, {0xff}, "version 255"},
        BadField{"DataTypeThree", 1, {0x03}, "data type 3"},
        BadField{"DataTypeNoneWithBody", 1, {0x00}, "data type None with a body"},
        BadField{"DirectionNone", 2, {0x00, 0x00}, "direction 0"},
        BadField{"DirectionSeven", 2, {0x00, 0x07}, "direction 7"},
        BadField{"DirectionNegative", 2, {0xff, 0xff}, "direction -1"},
        BadField{"CommandUnknown", 4, {0x00, 0x00, 0x00, 0x01}, "command 1"},
        BadField{"CommandNegative", 4, {0x80, 0x00, 0x00, 0x00}, "command -2147483648"},
        BadField{"ErrorCodeUnknown", 8, {0x00, 0x00, 0x00, 0x0d}, "error code 13"},
        BadField{"ErrorCodeNegative", 8, {0xff, 0xff, 0xff, 0xff}, "error code -1"},
        BadField{"LengthNegative", 12, {0xff, 0xff, 0xff, 0xfe}, "negative body length -2"},
        BadField{"LengthOverCap", 12, {0x00, 0x10, 0x00, 0x01}, "over the cap"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CmHeader, LengthAtTheCapIsAccepted) {
  Header h = query_header();
  h.body_length = 100;
  Header back;
  std::string why;
  EXPECT_TRUE(decode(header_bytes(h), back, why, 100)) << why;
  h.body_length = 101;
  EXPECT_FALSE(decode(header_bytes(h), back, why, 100));
}

TEST(CmHeader, DataTypeNoneWithoutBodyIsAccepted) {
  Header h = query_header();
  h.data_type = wire::DataType_None;
  h.body_length = 0;
  Header back;
  std::string why;
  EXPECT_TRUE(decode(header_bytes(h), back, why)) << why;
}

TEST(CmHeader, FlagsAreCarriedOpaque) {
  Header h = query_header();
  h.flags1 = INT64_MIN;
  Header back;
  std::string why;
  ASSERT_TRUE(decode(header_bytes(h), back, why)) << why;
  EXPECT_EQ(back.flags1, INT64_MIN);
}

// Body vectors, protobuf wire format: field 1 "s", field 2 "j", field 3 1000.
const std::string kQueryBody = bytes({0x0a, 0x01, 0x73, 0x12, 0x01, 0x6a, 0x18, 0xe8, 0x07});

TEST(CmBody, QueryRequestEncodesToVector) {
  wire::QueryBackupSpaceEnoughRequest r;
  r.set_streamer_uuid("s");
  r.set_job_uuid("j");
  r.set_backup_size(1000);
  Header h = query_header();
  EXPECT_EQ(encode_message(h, r), header_bytes([&] {
              Header x = h;
              x.body_length = 9;
              return x;
            }()) + kQueryBody);
}

TEST(CmBody, QueryResponseDecodesFromVector) {
  Header h;
  h.direction = wire::MessageDirection_CloudManagerToStreamer;
  h.command = wire::Command_QueryBackupSpaceEnough;
  // enough = true (field 1), free_size = 5000 (field 2, varint 0x88 0x27).
  const std::string wire_bytes = encode_frame(h, bytes({0x08, 0x01, 0x10, 0x88, 0x27}));
  Frame f;
  std::size_t used = 0;
  std::string why;
  ASSERT_EQ(decode_frame(wire_bytes, FrameRules{}, f, used, why), DecodeStatus::complete) << why;
  EXPECT_EQ(used, kHeaderSize + 5);
  wire::QueryBackupSpaceEnoughResponse r;
  ASSERT_TRUE(parse_body(f, r));
  EXPECT_TRUE(r.enough());
  EXPECT_EQ(r.free_size(), 5000);
}

TEST(CmBody, NegativeIntegersUseTenByteVarints) {
  wire::ReportJobProgressRequest p;
  p.set_remaining_time(-1);  // field 8
  EXPECT_EQ(p.SerializeAsString(),
            bytes({0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(CmBody, EmptyBodyMeansEveryFieldAtItsDefault) {
  Header h;
  h.direction = wire::MessageDirection_CloudManagerToStreamer;
  h.command = wire::Command_QueryBackupSpaceEnough;
  Frame f;
  std::size_t used = 0;
  std::string why;
  ASSERT_EQ(decode_frame(encode_frame(h, ""), FrameRules{}, f, used, why), DecodeStatus::complete);
  wire::QueryBackupSpaceEnoughResponse r;
  r.set_enough(true);  // stale value must be cleared
  ASSERT_TRUE(parse_body(f, r));
  EXPECT_FALSE(r.enough());
  EXPECT_EQ(r.free_size(), 0);
}

TEST(CmBody, GarbageBodyDoesNotParse) {
  Frame f;
  f.header.data_type = wire::DataType_Protobuf;
  f.body = bytes({0x0a, 0x05, 0x61});  // string of 5 bytes, 1 present
  wire::QueryBackupSpaceEnoughResponse r;
  EXPECT_FALSE(parse_body(f, r));
}

TEST(CmBody, BinaryBodyIsNotAProtobuf) {
  Frame f;
  f.header.data_type = wire::DataType_Binary;
  f.body = bytes({0x08, 0x01});
  wire::QueryBackupSpaceEnoughResponse r;
  EXPECT_FALSE(parse_body(f, r));
}

TEST(CmFrame, NeedsMoreUntilHeaderAndBodyAreWhole) {
  Header h;
  h.direction = wire::MessageDirection_CloudManagerToStreamer;
  h.command = wire::Command_ReportJobState;
  const std::string one = encode_frame(h, "abc");
  FrameBuffer fb{FrameRules{}};
  Frame f;
  std::string why;
  for (std::size_t i = 0; i + 1 < one.size(); ++i) {
    fb.append(&one[i], 1);
    ASSERT_EQ(fb.next(f, why), DecodeStatus::need_more) << "after byte " << i;
  }
  fb.append(&one.back(), 1);
  ASSERT_EQ(fb.next(f, why), DecodeStatus::complete);
  EXPECT_EQ(f.body, "abc");
  EXPECT_EQ(fb.buffered(), 0u);
}

TEST(CmFrame, TwoFramesInOneReadComeOutInOrder) {
  Header h;
  h.direction = wire::MessageDirection_CloudManagerToStreamer;
  h.command = wire::Command_ReportJobState;
  Header g = h;
  g.command = wire::Command_ReportJobProgress;
  const std::string both = encode_frame(h, "1") + encode_frame(g, "22");
  FrameBuffer fb{FrameRules{}};
  fb.append(both.data(), both.size());
  Frame f;
  std::string why;
  ASSERT_EQ(fb.next(f, why), DecodeStatus::complete);
  EXPECT_EQ(f.header.command, wire::Command_ReportJobState);
  ASSERT_EQ(fb.next(f, why), DecodeStatus::complete);
  EXPECT_EQ(f.header.command, wire::Command_ReportJobProgress);
  EXPECT_EQ(f.body, "22");
  EXPECT_EQ(fb.next(f, why), DecodeStatus::need_more);
}

TEST(CmFrame, OversizedLengthIsBadBeforeAnyBodyArrives) {
  Header h;
  h.direction = wire::MessageDirection_CloudManagerToStreamer;
  h.command = wire::Command_ReportJobState;
  h.body_length = 64;
  FrameBuffer fb{FrameRules{wire::MessageDirection_CloudManagerToStreamer, 63}};
  const std::string head = header_bytes(h);
  fb.append(head.data(), head.size());
  Frame f;
  std::string why;
  EXPECT_EQ(fb.next(f, why), DecodeStatus::bad);
  EXPECT_NE(why.find("over the cap"), std::string::npos) << why;
}

TEST(CmFrame, WrongDirectionForThisSideIsBad) {
  FrameBuffer fb{FrameRules{}};  // a Streamer expects CloudManagerToStreamer
  const std::string b = encode_frame(query_header(), std::string(11, 'x'));
  fb.append(b.data(), b.size());
  Frame f;
  std::string why;
  EXPECT_EQ(fb.next(f, why), DecodeStatus::bad);
  EXPECT_NE(why.find("MessageDirection_StreamerToCloudManager"), std::string::npos) << why;
}

// The spec's enums, complete: value counts as in the protocol summary (plus
// our documented extension), and spot checks of edges and odd values.
TEST(CmEnums, CompleteAsInTheSpec) {
  EXPECT_EQ(wire::DataType_descriptor()->value_count(), 3);
  EXPECT_EQ(wire::MessageDirection_descriptor()->value_count(), 7);
  EXPECT_EQ(wire::Command_descriptor()->value_count(), 102 + 4);
  EXPECT_EQ(wire::ErrorCode_descriptor()->value_count(), 153 + 4);
  EXPECT_EQ(wire::Exception_descriptor()->value_count(), 68);
  EXPECT_EQ(wire::ClientType_descriptor()->value_count(), 17);
  EXPECT_EQ(wire::CloudServiceEndpointType_descriptor()->value_count(), 4);
  EXPECT_EQ(wire::DataArkGroupType_descriptor()->value_count(), 3);
  EXPECT_EQ(wire::DataArkRole_descriptor()->value_count(), 3);
  EXPECT_EQ(wire::SnmpVersion_descriptor()->value_count(), 3);
  EXPECT_EQ(wire::SnmpAuthenticationProtocol_descriptor()->value_count(), 2);
  EXPECT_EQ(wire::SnmpPrivacyProtocol_descriptor()->value_count(), 5);
  EXPECT_EQ(wire::UserRole_descriptor()->value_count(), 6);
  EXPECT_EQ(wire::OperationLogResult_descriptor()->value_count(), 2);

  EXPECT_EQ(wire::Command_QueryBackupSpaceEnough, 1606);
  EXPECT_EQ(wire::Command_FakeUpdateRdsEndpoint, 5017);
  EXPECT_EQ(wire::ErrorCode_QueryBackupSpaceEnoughFailed, 11606);
  EXPECT_EQ(wire::ErrorCode_SocketConnectError, 1014);
  EXPECT_EQ(wire::Exception_StreamerPoolDisabled, 9);
  EXPECT_EQ(wire::Exception_EcsbackupServiceOffline, 67);
  EXPECT_EQ(wire::ClientType_None, INT32_MAX);
  EXPECT_EQ(wire::SnmpPrivacyProtocol_3Des, 1);
  EXPECT_EQ(wire::MessageDirection_CloudManagerToStreamer, 6);
}

TEST(CmEnums, ExtensionFollowsTheOperationErrorRule) {
  for (wire::Command c : {wire::Command_QueryBackupSpaceEnough, wire::Command_StreamerHello,
                          wire::Command_ReportJobState, wire::Command_ReportJobProgress,
                          wire::Command_ReportJobException}) {
    const CommandInfo* info = find_command(c);
    ASSERT_NE(info, nullptr) << wire::Command_Name(c);
    EXPECT_EQ(static_cast<int>(info->failed), 10000 + static_cast<int>(c)) << wire::Command_Name(c);
  }
  EXPECT_EQ(find_command(wire::Command_LoginCloudManager), nullptr);
}

}  // namespace
}  // namespace ndmp::cm

// cmsim's own decoder and encoder of the Cloud Manager protocol, written from
// the protocol summary's tables (../shared/seeds/000_*.txt: message header
// offsets and sizes, enum values) and from ndmpd-cloudmanager(5) for the
// byte order and our extension's fields, WITHOUT cloudmanager/'s codec or the
// generated protobuf classes. The simulator decodes what the bridge sends
// with this, so a mistake in either codec shows up as a disagreement (and
// tests/cloudmanager/cmsim_codec_test.cc checks both against byte vectors
// written by hand).
//
// Header (24 bytes, big-endian):
//   offset 0 size 1 version (byte)      offset 1 size 1 data_type (byte)
//   offset 2 size 2 direction (int16)   offset 4 size 4 command (int32)
//   offset 8 size 4 error_code (int32)  offset 12 size 4 body_length (int32, >= 0)
//   offset 16 size 8 flags1 (int64)
//
// Bodies: protobuf wire format (varint, 64-bit, length-delimited, 32-bit),
// read field by field against a hand-written schema per command.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ndmp::cmsim::own {

inline constexpr std::size_t kHeaderBytes = 24;

// Values from the protocol summary's enums.
namespace seed {
inline constexpr int kVersionV1 = 1;  // the summary names the enum but lists no value; V1 per ndmpd-cloudmanager(5)
inline constexpr int kDataTypeNone = 0, kDataTypeProtobuf = 1, kDataTypeBinary = 2;
inline constexpr int kStreamerToCloudManager = 5, kCloudManagerToStreamer = 6;
inline constexpr int32_t kSuccess = 0;
inline constexpr int32_t kUnrecognizedCommand = 1000;
inline constexpr int32_t kOperationNotSupported = 1001;
inline constexpr int32_t kDeserializeFailed = 1005;
inline constexpr int32_t kQuotaInsufficient = 2502;
inline constexpr int32_t kQueryBackupSpaceEnough = 1606;
inline constexpr int32_t kQueryBackupSpaceEnoughFailed = 11606;
// True for a value of the summary's Command enum.
bool is_command(int32_t v);
}  // namespace seed

// ndmpd's extension (ndmpd-cloudmanager(5), "JOB STATUS EXTENSION").
namespace ext {
inline constexpr int32_t kStreamerHello = 2700;
inline constexpr int32_t kReportJobState = 2701;
inline constexpr int32_t kReportJobProgress = 2702;
inline constexpr int32_t kReportJobException = 2703;
}  // namespace ext

struct Header {
  int version = 0;
  int data_type = 0;
  int16_t direction = 0;
  int32_t command = 0;
  int32_t error_code = 0;
  int32_t body_length = 0;
  int64_t flags1 = 0;
};

// Reads kHeaderBytes bytes and checks them as a Cloud Manager receiving from
// a Streamer: version 1, a known data type (None only without a body),
// direction StreamerToCloudManager, a command of the summary or the
// extension, error code Success (a request carries none), 0 <= body_length
// <= max_body. False with `why` otherwise.
bool read_header(const uint8_t* p, int32_t max_body, Header& out, std::string& why);
std::string write_header(const Header& h);

// One decoded field value, by its schema kind.
struct Value {
  enum Kind { string, int64, boolean, enumeration, repeated_int32 } kind = int64;
  std::string text;             // string
  int64_t number = 0;           // int64, boolean (0/1), enumeration
  std::vector<int64_t> numbers; // repeated_int32
};
using Body = std::map<std::string, Value>;

struct CommandSchema {
  int32_t command;
  const char* name;
  bool is_event;  // a journalled job report (streamer_uuid + event_id)
  bool in_seed;   // the summary's own command (a seed-only Cloud Manager knows it)
};

// nullptr for a command no Streamer sends.
const CommandSchema* find_schema(int32_t command);

// Decodes `body` for `command` against its schema: every field present gets
// its value, absent ones their proto3 defaults; unknown field numbers are an
// error (the bridge sends none), as is any malformed byte. False with `why`.
bool read_body(int32_t command, std::string_view body, Body& out, std::string& why);

// The body of a QueryBackupSpaceEnoughResponse (enough = 1 bool, free_size =
// 2 int64), defaults left out as proto3 does.
std::string write_space_response(bool enough, int64_t free_size);

// The body as JSON with the schema's field names.
std::string body_json(const Body& body);
std::string json_string(std::string_view s);

}  // namespace ndmp::cmsim::own

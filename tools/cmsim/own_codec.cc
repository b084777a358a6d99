#include "tools/cmsim/own_codec.h"

#include <array>
#include <utility>

#include <fmt/format.h>

namespace ndmp::cmsim::own {
namespace {

// The summary's Command enum as ranges of values (section "Command").
constexpr std::array<std::pair<int32_t, int32_t>, 19> kSeedCommands{{
    {0, 0},       {1000, 1004}, {1101, 1104}, {1200, 1206}, {1300, 1304}, {1401, 1403}, {1500, 1512},
    {1600, 1606}, {1700, 1702}, {1800, 1805}, {1900, 1906}, {2000, 2007}, {2100, 2102}, {2200, 2201},
    {2300, 2304}, {2400, 2401}, {2500, 2501}, {2601, 2602}, {5001, 5017},
}};

constexpr std::array<CommandSchema, 5> kCommands{{
    {seed::kQueryBackupSpaceEnough, "QueryBackupSpaceEnough", false, true},
    {ext::kStreamerHello, "StreamerHello", false, false},
    {ext::kReportJobState, "ReportJobState", true, false},
    {ext::kReportJobProgress, "ReportJobProgress", true, false},
    {ext::kReportJobException, "ReportJobException", true, false},
}};

struct FieldSchema {
  int32_t command;
  int number;
  const char* name;
  Value::Kind kind;
};

using K = Value::Kind;
// Field numbers and kinds as ndmpd-cloudmanager(5) lists them.
constexpr std::array<FieldSchema, 45> kFields{{
    {1606, 1, "streamer_uuid", K::string}, {1606, 2, "job_uuid", K::string}, {1606, 3, "backup_size", K::int64},
    {2700, 1, "streamer_uuid", K::string}, {2700, 2, "streamer_name", K::string},
    {2700, 3, "software_version", K::string}, {2700, 4, "first_event_id", K::int64},
    {2700, 5, "next_event_id", K::int64},
    {2701, 1, "streamer_uuid", K::string}, {2701, 2, "event_id", K::int64}, {2701, 3, "time", K::int64},
    {2701, 4, "job_uuid", K::string}, {2701, 5, "kind", K::enumeration}, {2701, 6, "state", K::enumeration},
    {2701, 7, "pause_reason", K::enumeration}, {2701, 8, "halt_reason", K::enumeration},
    {2701, 9, "reason", K::string}, {2701, 10, "text", K::string}, {2701, 11, "source_path", K::string},
    {2701, 12, "device", K::string}, {2701, 13, "media_label", K::string}, {2701, 14, "bytes", K::int64},
    {2702, 1, "streamer_uuid", K::string}, {2702, 2, "event_id", K::int64}, {2702, 3, "time", K::int64},
    {2702, 4, "job_uuid", K::string}, {2702, 5, "kind", K::enumeration}, {2702, 6, "bytes", K::int64},
    {2702, 7, "rate", K::int64}, {2702, 8, "remaining_time", K::int64}, {2702, 9, "device", K::string},
    {2702, 10, "media_label", K::string},
    {2703, 1, "streamer_uuid", K::string}, {2703, 2, "event_id", K::int64}, {2703, 3, "time", K::int64},
    {2703, 4, "job_uuid", K::string}, {2703, 5, "kind", K::enumeration}, {2703, 6, "exception", K::enumeration},
    {2703, 7, "reason", K::string}, {2703, 8, "text", K::string}, {2703, 9, "source_path", K::string},
    {2703, 10, "device", K::string}, {2703, 11, "media_label", K::string},
    {2703, 12, "error_code", K::enumeration}, {2703, 13, "tape_alert_flags", K::repeated_int32},
}};

uint64_t be(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

void put_be(std::string& out, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool read_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int i = 0; i < 10; ++i) {
    if (in.empty()) return false;
    const auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return true;
  }
  return false;  // more than 10 bytes: not a varint
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool fail(std::string& why, std::string text) {
  why = std::move(text);
  return false;
}

const FieldSchema* field(int32_t command, int number) {
  for (const FieldSchema& f : kFields)
    if (f.command == command && f.number == number) return &f;
  return nullptr;
}

}  // namespace

bool seed::is_command(int32_t v) {
  for (const auto& [lo, hi] : kSeedCommands)
    if (v >= lo && v <= hi) return true;
  return false;
}

bool read_header(const uint8_t* p, int32_t max_body, Header& h, std::string& why) {
  h.version = p[0];
  h.data_type = p[1];
  h.direction = static_cast<int16_t>(be(p + 2, 2));
  h.command = static_cast<int32_t>(be(p + 4, 4));
  h.error_code = static_cast<int32_t>(be(p + 8, 4));
  h.body_length = static_cast<int32_t>(be(p + 12, 4));
  h.flags1 = static_cast<int64_t>(be(p + 16, 8));
  if (h.version != seed::kVersionV1) why = fmt::format("version {} (expected 1)", h.version);
  else if (h.data_type > seed::kDataTypeBinary) why = fmt::format("data type {} unknown", h.data_type);
  else if (h.direction != seed::kStreamerToCloudManager)
    why = fmt::format("direction {} (expected 5, StreamerToCloudManager)", h.direction);
  else if (!seed::is_command(h.command) && !find_schema(h.command)) why = fmt::format("command {} unknown", h.command);
  else if (h.error_code != seed::kSuccess) why = fmt::format("a request with error code {}", h.error_code);
  else if (h.body_length < 0) why = fmt::format("negative body length {}", h.body_length);
  else if (h.body_length > max_body) why = fmt::format("body length {} over the cap {}", h.body_length, max_body);
  else if (h.data_type == seed::kDataTypeNone && h.body_length > 0) why = "data type None with a body";
  else return true;
  return false;
}

std::string write_header(const Header& h) {
  std::string out;
  put_be(out, static_cast<uint8_t>(h.version), 1);
  put_be(out, static_cast<uint8_t>(h.data_type), 1);
  put_be(out, static_cast<uint16_t>(h.direction), 2);
  put_be(out, static_cast<uint32_t>(h.command), 4);
  put_be(out, static_cast<uint32_t>(h.error_code), 4);
  put_be(out, static_cast<uint32_t>(h.body_length), 4);
  put_be(out, static_cast<uint64_t>(h.flags1), 8);
  return out;
}

const CommandSchema* find_schema(int32_t command) {
  for (const CommandSchema& c : kCommands)
    if (c.command == command) return &c;
  return nullptr;
}

bool read_body(int32_t command, std::string_view in, Body& out, std::string& why) {
  out.clear();
  for (const FieldSchema& f : kFields)
    if (f.command == command) out[f.name].kind = f.kind;
  while (!in.empty()) {
    uint64_t key = 0;
    if (!read_varint(in, key)) return fail(why, "truncated field key");
    const int number = static_cast<int>(key >> 3);
    const int type = static_cast<int>(key & 7);
    const FieldSchema* f = field(command, number);
    if (!f) return fail(why, fmt::format("field {} is not in command {}'s schema", number, command));
    Value& v = out[f->name];
    if (f->kind == K::string) {
      uint64_t len = 0;
      if (type != 2 || !read_varint(in, len) || len > in.size())
        return fail(why, fmt::format("field {} ({}): bad string", number, f->name));
      v.text.assign(in.substr(0, len));
      in.remove_prefix(len);
    } else if (f->kind == K::repeated_int32 && type == 2) {  // packed, proto3's default for repeated scalars
      uint64_t len = 0;
      if (!read_varint(in, len) || len > in.size()) return fail(why, fmt::format("field {}: bad packed list", number));
      std::string_view list = in.substr(0, len);
      in.remove_prefix(len);
      while (!list.empty()) {
        uint64_t x = 0;
        if (!read_varint(list, x)) return fail(why, fmt::format("field {}: bad packed varint", number));
        v.numbers.push_back(static_cast<int32_t>(x));
      }
    } else {
      uint64_t x = 0;
      if (type != 0 || !read_varint(in, x)) return fail(why, fmt::format("field {} ({}): bad varint", number, f->name));
      if (f->kind == K::repeated_int32) v.numbers.push_back(static_cast<int32_t>(x));
      else if (f->kind == K::boolean) v.number = x != 0;
      else if (f->kind == K::enumeration) v.number = static_cast<int32_t>(x);  // int32 on the wire, sign-extended
      else v.number = static_cast<int64_t>(x);
    }
  }
  return true;
}

std::string write_space_response(bool enough, int64_t free_size) {
  std::string out;
  if (enough) {
    put_varint(out, (1 << 3) | 0);
    put_varint(out, 1);
  }
  if (free_size != 0) {
    put_varint(out, (2 << 3) | 0);
    put_varint(out, static_cast<uint64_t>(free_size));  // negative: ten bytes, two's complement
  }
  return out;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<int>(c));
        else out += c;
    }
  }
  return out + "\"";
}

std::string body_json(const Body& body) {
  std::string out = "{";
  for (const auto& [name, v] : body) {
    if (out.size() > 1) out += ",";
    out += json_string(name) + ":";
    switch (v.kind) {
      case K::string: out += json_string(v.text); break;
      case K::boolean: out += v.number ? "true" : "false"; break;
      case K::repeated_int32: {
        out += "[";
        for (std::size_t i = 0; i < v.numbers.size(); ++i) out += (i ? "," : "") + std::to_string(v.numbers[i]);
        out += "]";
        break;
      }
      case K::int64:
      case K::enumeration: out += std::to_string(v.number); break;
    }
  }
  return out + "}";
}

}  // namespace ndmp::cmsim::own

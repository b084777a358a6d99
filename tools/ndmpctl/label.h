// The tape label ndmpctl writes (`label`) and reads (`labels`, and backup
// --label before it writes). Documented for operators in man/ndmpctl.1.
//
// On tape: file 0 is one 512-byte record, then a file mark; data (a backup)
// starts at file 1. The record is ASCII text, NUL-padded to 512 bytes:
//
//   NDMPD-LABEL v1\n
//   name=<name>\n
//   created=<YYYY-MM-DDThh:mm:ssZ>\n
//
// A reader accepts any record that begins "NDMPD-LABEL v1\n" and ignores
// keys it does not know, so later versions may add lines. Names are 1..64
// printable ASCII characters without blanks (like a barcode, but chosen by
// the operator).
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ndmp::ctl {

inline constexpr size_t kLabelRecordSize = 512;
inline constexpr const char* kLabelMagic = "NDMPD-LABEL v1\n";

struct TapeLabel {
  std::string name;
  std::string created;  // as written, ISO 8601 UTC
};

// Empty if `name` is acceptable, else why not.
std::string check_label_name(const std::string& name);
std::vector<uint8_t> encode_label(const std::string& name, std::time_t now);
// nullopt if the record is not a label (another format, or data).
std::optional<TapeLabel> decode_label(std::span<const uint8_t> record);

}  // namespace ndmp::ctl

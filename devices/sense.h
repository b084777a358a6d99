// Sense data decoded once, by sg_lib, into one value. No other file reads
// sense bytes by offset (`sense[2] & 0x0f`); they ask a Sense.
//
// Both fixed (0x70/0x71) and descriptor (0x72/0x73) formats are handled,
// because sg_lib's sg_scsi_normalize_sense, sg_get_sense_filemark_eom_ili and
// sg_get_sense_info_fld handle both. `text` comes from sg_get_asc_ascq_str
// and sg_get_sense_key_str, so it matches what sg_decode_sense would print.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace ndmp::dev {

// SPC-4 sense keys, by value.
namespace sense_key {
inline constexpr uint8_t no_sense = 0x0;
inline constexpr uint8_t recovered_error = 0x1;
inline constexpr uint8_t not_ready = 0x2;
inline constexpr uint8_t medium_error = 0x3;
inline constexpr uint8_t hardware_error = 0x4;
inline constexpr uint8_t illegal_request = 0x5;
inline constexpr uint8_t unit_attention = 0x6;
inline constexpr uint8_t data_protect = 0x7;
inline constexpr uint8_t blank_check = 0x8;
inline constexpr uint8_t aborted_command = 0xb;
inline constexpr uint8_t volume_overflow = 0xd;
}  // namespace sense_key

struct Sense {
  bool valid = false;       // a recognisable response code was present
  uint8_t key = 0;
  uint8_t asc = 0;
  uint8_t ascq = 0;
  bool filemark = false;    // SSC: a filemark was crossed
  bool eom = false;         // SSC: end-of-medium side (early warning or BOP/EOP)
  bool ili = false;         // SSC: record length differed from the request
  bool info_valid = false;  // the INFORMATION field is meaningful (VALID bit)
  int64_t info = 0;         // INFORMATION, sign-extended from 32 bits for fixed
                            // format (SSC residuals may be negative)
  int category = 0;         // sg_err_category_sense(): SG_LIB_CAT_* value
  std::string text;         // "Medium Error: Write error" (sense key: ASC/ASCQ text)

  bool is(uint8_t k, uint8_t a, uint8_t q) const { return valid && key == k && asc == a && ascq == q; }
  // ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (20h/00h): the device
  // lacks the command (tgt: LOCATE, LOG SENSE, ...); drivers fall back.
  bool invalid_opcode() const { return valid && key == sense_key::illegal_request && asc == 0x20; }
};

// Decodes `bytes` (the valid part of a sense buffer). Empty or unrecognised
// input gives a Sense with valid == false and text "no sense data".
Sense decode_sense(std::span<const uint8_t> bytes);

// Compact form for logs: "3/0c/00 Medium Error: Write error [info 5]".
std::string to_string(const Sense& s);

}  // namespace ndmp::dev

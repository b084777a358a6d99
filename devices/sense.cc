#include "devices/sense.h"

#include <fmt/format.h>
#include <scsi/sg_lib.h>

namespace ndmp::dev {

Sense decode_sense(std::span<const uint8_t> bytes) {
  Sense s;
  const int len = static_cast<int>(bytes.size());
  sg_scsi_sense_hdr hdr{};
  if (len == 0 || !sg_scsi_normalize_sense(bytes.data(), len, &hdr)) {
    s.text = "no sense data";
    return s;
  }
  s.valid = true;
  s.key = hdr.sense_key;
  s.asc = hdr.asc;
  s.ascq = hdr.ascq;
  sg_get_sense_filemark_eom_ili(bytes.data(), len, &s.filemark, &s.eom, &s.ili);
  uint64_t info = 0;
  s.info_valid = sg_get_sense_info_fld(bytes.data(), len, &info);
  // Fixed format carries a 32-bit two's complement INFORMATION field; SSC
  // uses negative values for "record longer than requested" (SSC-4 4.2.22).
  const bool fixed = hdr.response_code == 0x70 || hdr.response_code == 0x71;
  s.info = fixed ? static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(info)))
                 : static_cast<int64_t>(info);
  s.category = sg_err_category_sense(bytes.data(), len);
  char key_text[64];
  char asc_text[160];
  sg_get_sense_key_str(s.key, sizeof key_text, key_text);
  sg_get_asc_ascq_str(s.asc, s.ascq, sizeof asc_text, asc_text);
  s.text = fmt::format("{}: {}", key_text, asc_text);
  return s;
}

std::string to_string(const Sense& s) {
  if (!s.valid) return "no sense data";
  std::string out = fmt::format("{:x}/{:02x}/{:02x} {}", s.key, s.asc, s.ascq, s.text);
  if (s.filemark) out += " [filemark]";
  if (s.eom) out += " [eom]";
  if (s.ili) out += " [ili]";
  if (s.info_valid) out += fmt::format(" [info {}]", s.info);
  return out;
}

}  // namespace ndmp::dev

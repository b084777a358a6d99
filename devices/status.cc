#include "devices/status.h"

#include <array>
#include <fmt/format.h>

namespace ndmp::dev {

const char* to_string(Category c) {
  switch (c) {
    case Category::ok: return "ok";
    case Category::no_medium: return "no_medium";
    case Category::not_ready: return "not_ready";
    case Category::write_protected: return "write_protected";
    case Category::blank_check: return "blank_check";
    case Category::filemark: return "filemark";
    case Category::eom: return "eom";
    case Category::early_warning: return "early_warning";
    case Category::medium_error: return "medium_error";
    case Category::hardware_error: return "hardware_error";
    case Category::illegal_request: return "illegal_request";
    case Category::unit_attention: return "unit_attention";
    case Category::timeout: return "timeout";
    case Category::busy: return "busy";
    case Category::transport: return "transport";
    case Category::io: return "io";
    case Category::no_device: return "no_device";
  }
  return "unknown";
}

namespace {

// Sense key -> category, keyed by the key's value (SPC-4 table 54). Keys not
// listed are `io`. Refinements that depend on ASC or on the SSC bits are in
// classify() below, next to this table, so the whole mapping reads in one place.
struct KeyRow {
  uint8_t key;
  Category category;
};
constexpr std::array<KeyRow, 11> kSenseKeyTable{{
    {sense_key::no_sense, Category::ok},  // refined by FILEMARK/EOM below
    {sense_key::recovered_error, Category::ok},
    {sense_key::not_ready, Category::not_ready},
    {sense_key::medium_error, Category::medium_error},
    {sense_key::hardware_error, Category::hardware_error},
    {sense_key::illegal_request, Category::illegal_request},
    {sense_key::unit_attention, Category::unit_attention},
    {sense_key::data_protect, Category::write_protected},
    {sense_key::blank_check, Category::blank_check},
    {sense_key::aborted_command, Category::io},
    {sense_key::volume_overflow, Category::eom},
}};

Category classify(const Sense& s) {
  if (!s.valid) return Category::io;  // CHECK CONDITION without sense: nothing to go on
  Category c = Category::io;
  for (const auto& row : kSenseKeyTable)
    if (row.key == s.key) c = row.category;
  if (c == Category::not_ready && s.asc == 0x3a) return Category::no_medium;
  if (c == Category::ok) {
    // NO SENSE with SSC bits: FILEMARK wins (READ/SPACE stopped at a mark);
    // EOM: 00-02 "end-of-partition/medium detected" is early warning on a
    // write (data was written) and the physical end otherwise; 00-04 is
    // beginning of partition (SPACE backwards hit BOT), also eom here. ILI
    // alone is not an error; the tape driver reads it from the sense.
    if (s.filemark) return Category::filemark;
    if (s.eom) return Category::eom;
    if (s.asc == 0x00 && s.ascq == 0x05) return Category::blank_check;
  }
  return c;
}

}  // namespace

Status Status::from_result(const CdbResult& r, std::string_view what) {
  switch (r.transport) {
    case TransportState::ok: break;
    case TransportState::timeout: return make(Category::timeout, fmt::format("{}: timed out {}", what, r.text));
    case TransportState::no_device: return make(Category::no_device, fmt::format("{}: {}", what, r.text));
    case TransportState::error: return make(Category::transport, fmt::format("{}: {}", what, r.text));
  }
  switch (r.scsi_status) {
    case scsi_status::good: return Ok();
    case scsi_status::busy:
    case scsi_status::task_set_full: return make(Category::busy, fmt::format("{}: device busy", what));
    case scsi_status::reservation_conflict:
      return make(Category::busy, fmt::format("{}: reserved by another initiator", what));
    case scsi_status::check_condition: break;
    default: return make(Category::io, fmt::format("{}: SCSI status {:#04x}", what, r.scsi_status));
  }
  Sense s = decode_sense(r.sense_bytes());
  Category c = classify(s);
  if (c == Category::ok) return Ok();  // recovered error, or NO SENSE without SSC bits
  return make(c, fmt::format("{}: {}", what, dev::to_string(s)), std::move(s));
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return fmt::format("{}: {}", dev::to_string(category()), text());
}

}  // namespace ndmp::dev

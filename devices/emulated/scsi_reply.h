// Building the answers an emulated target gives: GOOD with data, or CHECK
// CONDITION with fixed-format sense (SPC-4 4.5.3), the format SSC drives and
// SMC changers return. Also INQUIRY and REQUEST SENSE, which both targets answer
// the same way, and the opcode-table type both targets dispatch through.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "devices/transport.h"

namespace ndmp::dev::emu {

struct SenseSpec {
  uint8_t key = 0, asc = 0, ascq = 0;
  bool filemark = false, eom = false, ili = false;
  bool info_valid = false;
  int32_t info = 0;

  SenseSpec& with_info(int32_t v) { info_valid = true; info = v; return *this; }
  SenseSpec& with_filemark() { filemark = true; return *this; }
  SenseSpec& with_eom() { eom = true; return *this; }
  SenseSpec& with_ili() { ili = true; return *this; }
};

// The sense real devices return, by name (SPC-4 / SSC-4 / SMC-3 ASC tables).
namespace sense {
inline SenseSpec invalid_opcode() { return {0x5, 0x20, 0x00}; }        // INVALID COMMAND OPERATION CODE
inline SenseSpec invalid_field_in_cdb() { return {0x5, 0x24, 0x00}; }  // INVALID FIELD IN CDB
inline SenseSpec invalid_field_in_parameters() { return {0x5, 0x26, 0x00}; }
inline SenseSpec parameter_list_length_error() { return {0x5, 0x1a, 0x00}; }
inline SenseSpec invalid_element_address() { return {0x5, 0x21, 0x01}; }  // INVALID ELEMENT ADDRESS
inline SenseSpec source_empty() { return {0x5, 0x3b, 0x0e}; }             // MEDIUM SOURCE ELEMENT EMPTY
inline SenseSpec destination_full() { return {0x5, 0x3b, 0x0d}; }         // MEDIUM DESTINATION ELEMENT FULL
inline SenseSpec removal_prevented() { return {0x5, 0x53, 0x02}; }        // MEDIUM REMOVAL PREVENTED
inline SenseSpec no_medium() { return {0x2, 0x3a, 0x00}; }                // MEDIUM NOT PRESENT
inline SenseSpec not_ready_unloaded() { return {0x2, 0x04, 0x02}; }       // LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED
inline SenseSpec write_protected() { return {0x7, 0x27, 0x00}; }          // WRITE PROTECTED
inline SenseSpec medium_changed() { return {0x6, 0x28, 0x00}; }           // NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED
inline SenseSpec end_of_data() { return {0x8, 0x00, 0x05}; }              // BLANK CHECK, END-OF-DATA DETECTED
inline SenseSpec filemark_detected() { return SenseSpec{0x0, 0x00, 0x01}.with_filemark(); }
inline SenseSpec early_warning() { return SenseSpec{0x0, 0x00, 0x02}.with_eom(); }  // END-OF-PARTITION/MEDIUM DETECTED
inline SenseSpec volume_overflow() { return SenseSpec{0xd, 0x00, 0x02}.with_eom(); }
inline SenseSpec beginning_of_medium() { return SenseSpec{0x0, 0x00, 0x04}.with_eom(); }  // BEGINNING-OF-PARTITION/MEDIUM DETECTED
inline SenseSpec medium_error_io() { return {0x3, 0x11, 0x00}; }          // UNRECOVERED READ ERROR
inline SenseSpec write_error() { return {0x3, 0x0c, 0x00}; }
}  // namespace sense

// CHECK CONDITION with `s` in fixed format; resid as given.
CdbResult check_condition(const SenseSpec& s, int32_t resid = 0);
// GOOD; resid as given.
CdbResult good(int32_t resid = 0);
// GOOD with `answer` copied into the command's data-in buffer, truncated to
// it (allocation length semantics); resid = buffer size - bytes copied.
CdbResult reply(const CdbCommand& cmd, std::span<const uint8_t> answer);
// The 18 bytes REQUEST SENSE / sense buffers carry for `s`.
std::array<uint8_t, 18> fixed_sense(const SenseSpec& s);

struct Identity {
  uint8_t peripheral_type = 1;  // 1 tape, 8 changer
  std::string vendor, product, revision, serial;
};
// INQUIRY: standard data, or VPD pages 00h and 80h. Others: invalid field.
CdbResult answer_inquiry(const CdbCommand& cmd, const Identity& id);

// A dispatch entry: the opcode is the key (never the row position), so a
// missing row means INVALID COMMAND OPERATION CODE, never a shifted table.
template <class Target>
struct OpEntry {
  uint8_t opcode;
  const char* name;
  CdbResult (Target::*handler)(const CdbCommand&);
};

template <class Target, size_t N>
const OpEntry<Target>* find_op(const std::array<OpEntry<Target>, N>& table, uint8_t opcode) {
  for (const auto& e : table)
    if (e.opcode == opcode) return &e;
  return nullptr;
}

}  // namespace ndmp::dev::emu

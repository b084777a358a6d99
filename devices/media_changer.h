// SMC media changer driver over any Transport (SMC-3 subset NDMP robots and
// the emulated library need). Never knows whether the target is real.
//
// Element addresses are the device's own (SMC-3 element address assignment
// page 1Dh tells where each type starts); the driver does not renumber them.
// Threads: one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "devices/status.h"
#include "devices/tape_drive.h"  // InquiryData, inquire()
#include "devices/transport.h"

namespace ndmp::dev {

// SMC-3 element type codes, by value.
enum class ElementType : uint8_t { all = 0, transport = 1, storage = 2, import_export = 3, data_transfer = 4 };
const char* to_string(ElementType t);

// Mode page 1Dh.
struct ElementAddressAssignment {
  uint16_t transport_first = 0, transport_count = 0;
  uint16_t storage_first = 0, storage_count = 0;
  uint16_t import_export_first = 0, import_export_count = 0;
  uint16_t data_transfer_first = 0, data_transfer_count = 0;
};

// One element descriptor of READ ELEMENT STATUS (SMC-3 6.10).
struct ElementStatus {
  ElementType type = ElementType::storage;
  uint16_t address = 0;
  bool full = false;
  bool except = false;         // abnormal state; asc/ascq say why
  bool access = false;         // the transport may reach the element
  uint8_t asc = 0, ascq = 0;
  bool source_valid = false;   // SVALID: `source` is where the medium came from
  uint16_t source = 0;
  std::string volume_tag;      // primary volume tag (barcode), trailing blanks trimmed; empty if none
  std::string device_id;       // data transfer elements with DVCID: the drive's identifier (e.g. vendor+product+serial)
};

class MediaChanger {
 public:
  explicit MediaChanger(Transport& t) : t_(t) {}

  StatusOr<InquiryData> inquiry() { return inquire(t_); }
  Status test_unit_ready();
  StatusOr<ElementAddressAssignment> element_address_assignment();
  // READ ELEMENT STATUS with VOLTAG (and DVCID for drives) for one type, or
  // ElementType::all for every element — issued as one query per type, as
  // mtx does, because tgt's all-types answer is malformed. A device that
  // rejects DVCID (5/24-00) is asked again without it.
  StatusOr<std::vector<ElementStatus>> read_element_status(ElementType type = ElementType::all);
  // MOVE MEDIUM. `transport_element` 0 lets the device pick its default robot.
  Status move_medium(uint16_t from, uint16_t to, uint16_t transport_element = 0);
  Status initialize_element_status();
  Status prevent_removal(bool prevent);

  Transport& transport() { return t_; }

 private:
  Transport& t_;
};

// Parses a READ ELEMENT STATUS answer (exposed for tests with captured data).
StatusOr<std::vector<ElementStatus>> parse_element_status(std::span<const uint8_t> data);

}  // namespace ndmp::dev

// The emulated SMC media changer: answers CDBs as an SMC-3 library does,
// over a ChangerModel (the library's element table, emulated/library.cc).
// Handlers are keyed by opcode; unknown opcodes get 5/20-00.
//
// Commands: TEST UNIT READY, REQUEST SENSE, INQUIRY (+VPD 80h), MODE SENSE(6)
// and (10) for page 1Dh (element address assignment) and 3Fh, READ ELEMENT
// STATUS (VOLTAG primary tags, DVCID identifiers for drives as tgt and real
// libraries give them: vendor(8) product(16) serial), MOVE MEDIUM,
// INITIALIZE ELEMENT STATUS (07h and WITH RANGE 37h), PREVENT ALLOW.
// MOVE MEDIUM errors: 5/21-01 invalid element address, 5/3b-0e source empty,
// 5/3b-0d destination full, 5/53-02 removal prevented (drive locked by its
// session, or the changer's own PREVENT for import/export).
// No UNIT ATTENTION is raised by the changer (it has a single initiator per
// open in ndmpd; documented gap, unlike tgt which reports one after login).
//
// Threads: execute() may run concurrently with drive I/O; the model locks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "devices/emulated/scsi_reply.h"
#include "devices/transport.h"

namespace ndmp::dev::emu {

// SMC-3 element type codes.
namespace element_type {
inline constexpr uint8_t transport = 1;
inline constexpr uint8_t storage = 2;
inline constexpr uint8_t import_export = 3;
inline constexpr uint8_t data_transfer = 4;
}  // namespace element_type

struct ElementState {
  uint8_t type = element_type::storage;
  uint16_t address = 0;
  std::string barcode;  // empty = element empty
  bool source_valid = false;
  uint16_t source = 0;
  std::string device_id;  // data transfer elements: DVCID identifier
};

class ChangerModel {
 public:
  virtual ~ChangerModel() = default;
  // All elements in ascending address order.
  virtual std::vector<ElementState> snapshot() = 0;
  // nullopt on success, else the sense to answer with.
  virtual std::optional<SenseSpec> move(uint16_t from, uint16_t to) = 0;
  virtual void set_prevent(bool on) = 0;
};

class SmcChanger {
 public:
  SmcChanger(Identity id, ChangerModel& model) : id_(std::move(id)), model_(model) {}
  CdbResult execute(const CdbCommand& cmd);

 private:
  using Entry = OpEntry<SmcChanger>;
  static const std::array<Entry, 10>& table();
  CdbResult test_unit_ready(const CdbCommand&);
  CdbResult request_sense(const CdbCommand&);
  CdbResult inquiry(const CdbCommand&);
  CdbResult mode_sense(const CdbCommand&);
  CdbResult read_element_status(const CdbCommand&);
  CdbResult move_medium(const CdbCommand&);
  CdbResult initialize_element_status(const CdbCommand&);
  CdbResult prevent_allow(const CdbCommand&);

  Identity id_;
  ChangerModel& model_;
};

class SmcTransport final : public Transport {
 public:
  explicit SmcTransport(SmcChanger& c) : c_(c) {}
  CdbResult execute(const CdbCommand& cmd) override { return c_.execute(cmd); }
  std::string describe() const override { return "emulated changer"; }

 private:
  SmcChanger& c_;
};

}  // namespace ndmp::dev::emu

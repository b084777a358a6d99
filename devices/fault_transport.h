// A decorator that injects CHECK CONDITIONs into another transport, for
// fault tests (LevelDB's fault-injecting Env, at the CDB level):
//
//   FaultTransport ft(inner);
//   ft.add(Fault::on_nth(op::write6, 3).answer(sense_key::medium_error, 0x0c, 0x00));   // 3rd WRITE fails, not written
//   ft.add(Fault::on_nth(op::write6, 5).after_inner().eom());                          // 5th WRITE written, then early warning
//   ft.add(Fault::on_nth(op::test_unit_ready, 1).answer(sense_key::unit_attention, 0x28, 0x00));
//
// A fault fires once, when its opcode has been seen `nth` times (counting
// from 1 since it was added). By default the command is NOT passed to the
// inner transport (the device "failed before acting"); after_inner() passes
// it first and then replaces the answer (the device acted, then reported).
// Sense is built in fixed format, INFORMATION as given.
//
// Threads: as the inner transport; the fault list is guarded so a test
// thread may add faults while a worker executes.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "devices/transport.h"

namespace ndmp::dev {

struct Fault {
  uint8_t opcode = 0;
  unsigned nth = 1;
  bool pass_to_inner = false;
  uint8_t key = 0, asc = 0, ascq = 0;
  bool filemark = false, eom_bit = false, ili = false;
  bool info_valid = false;
  int32_t info = 0;

  static Fault on_nth(uint8_t opcode, unsigned nth) {
    Fault f;
    f.opcode = opcode;
    f.nth = nth;
    return f;
  }
  Fault& answer(uint8_t k, uint8_t a, uint8_t q) { key = k; asc = a; ascq = q; return *this; }
  Fault& after_inner() { pass_to_inner = true; return *this; }
  // NO SENSE, EOM bit, 00/02 (END-OF-PARTITION/MEDIUM DETECTED): early warning on a write.
  Fault& eom() { key = 0; asc = 0; ascq = 2; eom_bit = true; return *this; }
  Fault& with_info(int32_t v) { info_valid = true; info = v; return *this; }
};

class FaultTransport final : public Transport {
 public:
  explicit FaultTransport(Transport& inner) : inner_(inner) {}
  void add(const Fault& f);
  size_t pending() const;  // faults not yet fired
  CdbResult execute(const CdbCommand& cmd) override;
  std::string describe() const override { return "fault-injecting " + inner_.describe(); }

 private:
  struct Armed {
    Fault fault;
    unsigned seen = 0;
  };
  Transport& inner_;
  mutable std::mutex mu_;
  std::vector<Armed> faults_;
};

}  // namespace ndmp::dev

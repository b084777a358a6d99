// The driver suite against real SG devices: NDMP_TEST_SG_TAPE and
// NDMP_TEST_SG_CHANGER name /dev/sgN nodes (comma-separated; the first of
// each is used). Without them every test skips and says why, loudly: in that
// case the SG_IO transport was NOT exercised. Inside the vtl-vm guest:
//   NDMP_TEST_SG_TAPE=$VTL_DRIVE0_SG NDMP_TEST_SG_CHANGER=$VTL_CHANGER_SG ./devices_sg_tests
// (VTL_IQN in the environment marks the target as tgt, VTL_BACKEND=mhvtl as
// mhvtl: the tests name the gaps of each).
#include <cstdlib>

#include "devices/sg_transport.h"
#include "driver_conformance.h"

namespace ndmp::dev::test {
namespace {

std::string first_of(const char* env) {
  const char* v = std::getenv(env);
  if (!v || !*v) return {};
  std::string s(v);
  return s.substr(0, s.find(','));
}

class SgRig final : public Rig {
 public:
  std::string setup() override {
    const std::string tape = first_of("NDMP_TEST_SG_TAPE");
    const std::string changer = first_of("NDMP_TEST_SG_CHANGER");
    if (tape.empty())
      return "NDMP_TEST_SG_TAPE is not set, so there is no real tape device to test and the SG_IO "
             "transport was NOT exercised (set NDMP_TEST_SG_TAPE=/dev/sgN and NDMP_TEST_SG_CHANGER=/dev/sgM; "
             "tests/vtl-vm/run.sh runs these tests against mhvtl in a qemu guest)";
    auto t = SgTransport::open(tape, true);
    if (!t.ok()) return "cannot open " + tape + ": " + t.status().to_string();
    tape_ = std::move(t).value();
    if (!changer.empty()) {
      auto c = SgTransport::open(changer, true);
      if (!c.ok()) return "cannot open " + changer + ": " + c.status().to_string();
      changer_ = std::move(c).value();
    }
    return {};
  }
  Transport& tape() override { return *tape_; }
  Transport* changer() override { return changer_.get(); }
  bool is_tgt() const override {
    const char* iqn = std::getenv("VTL_IQN");
    return iqn && *iqn;
  }
  bool is_mhvtl() const override {
    const char* b = std::getenv("VTL_BACKEND");
    return b && std::string(b) == "mhvtl";
  }

 private:
  std::unique_ptr<Transport> tape_, changer_;
};

INSTANTIATE_TEST_SUITE_P(Sg, DriverConformance,
                         testing::Values(RigParam{"sg", [] { return std::make_unique<SgRig>(); }}), rig_name);

}  // namespace
}  // namespace ndmp::dev::test

// The driver suite against the emulated library (always available).
#include "driver_conformance.h"
#include "test_util.h"

namespace ndmp::dev::test {
namespace {

class EmulatedRig final : public Rig {
 public:
  std::string setup() override {
    Status s = emu::create_library(dir_.path(), small_spec());
    if (!s) return "cannot create emulated library: " + s.to_string();
    auto lib = emu::Library::open(dir_.path());
    if (!lib.ok()) return "cannot open emulated library: " + lib.status().to_string();
    lib_ = *lib;
    tape_ = lib_->drive_transport(0);
    changer_ = lib_->changer_transport();
    return {};
  }
  Transport& tape() override { return *tape_; }
  Transport* changer() override { return changer_.get(); }

 private:
  TempDir dir_;
  std::shared_ptr<emu::Library> lib_;
  std::unique_ptr<Transport> tape_, changer_;
};

INSTANTIATE_TEST_SUITE_P(Emulated, DriverConformance,
                         testing::Values(RigParam{"emulated", [] { return std::make_unique<EmulatedRig>(); }}),
                         rig_name);

}  // namespace
}  // namespace ndmp::dev::test

// The driver tests, written once and run against several targets ("rigs"):
// the emulated library (devices_tests) and real SG devices named by
// NDMP_TEST_SG_TAPE / NDMP_TEST_SG_CHANGER (devices_sg_tests, e.g. inside the
// vtl-vm guest over tgt). A rig that cannot run says why and the suite skips
// loudly. The tests WRITE to the tape they load: use scratch media only.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "devices/media_changer.h"
#include "devices/tape_drive.h"
#include "devices/transport.h"

namespace ndmp::dev::test {

class Rig {
 public:
  virtual ~Rig() = default;
  // "" when ready; otherwise why this rig cannot run (the suite skips with it).
  virtual std::string setup() = 0;
  virtual Transport& tape() = 0;
  virtual Transport* changer() = 0;  // null when the rig has none
  // Known target gaps, named so tests can say which gap they meet.
  // tgt (vtl-vm): READ POSITION broken, no LOCATE/LOG SENSE, short reads
  // with a buffer under twice the record return corrupt data.
  virtual bool is_tgt() const { return false; }
  // mhvtl (vtl-vm's default backend): implements READ POSITION, LOCATE and
  // the residuals, with its own deviations from SSC that tests name.
  virtual bool is_mhvtl() const { return false; }
};

struct RigParam {
  std::string name;
  std::function<std::unique_ptr<Rig>()> make;
};

inline void PrintTo(const RigParam& p, std::ostream* os) { *os << p.name; }
inline std::string rig_name(const testing::TestParamInfo<RigParam>& i) { return i.param.name; }

class DriverConformance : public testing::TestWithParam<RigParam> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Puts a tape in the rig's drive (through the changer when there is one),
  // waits ready, rewinds, variable-block mode.
  void load_scratch_tape();

  std::unique_ptr<Rig> rig_;
  std::unique_ptr<TapeDrive> drive_;
  std::unique_ptr<MediaChanger> changer_;
  uint16_t drive_element_ = 0;
  uint16_t home_slot_ = 0;
};

}  // namespace ndmp::dev::test

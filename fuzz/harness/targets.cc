#include "fuzz/harness/targets.h"

#include <cstdlib>

#include "common/log.h"

namespace ndmp::fuzz {

void quiet_log() {
  static const bool once = [] {
    if (!std::getenv("NDMP_FUZZ_LOG")) {
      log::set_level(log::Level::error);
      log::set_file("/dev/null");
    }
    return true;
  }();
  (void)once;
}

std::span<const Target> targets() {
  static constexpr Target kTargets[] = {
      {"record_reader", record_reader},
      {"message_decoder", message_decoder},
      {"cm_frame", cm_frame},
      {"emulated_cdb", emulated_cdb},
      {"restore_tar", restore_tar},
  };
  return kTargets;
}

}  // namespace ndmp::fuzz

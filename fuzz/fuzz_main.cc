// libFuzzer entry point for one harness; NDMP_FUZZ_ENTRY names the harness
// function (fuzz/CMakeLists.txt builds one executable per harness from this
// file). libFuzzer itself provides main().
#include <cstddef>
#include <cstdint>

#include "fuzz/harness/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ndmp::fuzz::quiet_log();
  return ndmp::fuzz::NDMP_FUZZ_ENTRY(data, size);
}

// Micro-benchmarks of the emulated tape's write path: one 256 KiB record
// through the SSC driver (devices/tape_drive.h), the emulated drive's CDB
// handler and the tape image (devices/emulated/), i.e. what the MOVER pays
// per record on an emulated library; and the tape image alone, to split the
// cost between the SCSI layers and the file write.
//
// The library lives in $NDMP_BENCH_DIR (default: a fresh directory under
// /tmp), so the figure includes the page-cache write of every record. Every
// 1 GiB the tape is rewound outside the timed region (REWIND syncs the image
// to disk, which is a per-tape cost, not a per-record one).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "devices/emulated/library.h"
#include "devices/emulated/tape_image.h"
#include "devices/media_changer.h"
#include "devices/tape_drive.h"

namespace {

using namespace ndmp;
namespace fs = std::filesystem;

constexpr size_t kRecord = 256 * 1024;
constexpr size_t kRewindEvery = (1u << 30) / kRecord;

fs::path scratch(const char* leaf) {
  const char* base = std::getenv("NDMP_BENCH_DIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ndmp-micro-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return {};
  return fs::path(tmpl) / leaf;
}

void BM_EmulatedDriveWrite256K(benchmark::State& state) {
  const fs::path dir = scratch("library");
  if (dir.empty()) return state.SkipWithError("cannot create a scratch directory");
  dev::emu::LibrarySpec spec;
  spec.drives = 1;
  spec.slots = 1;
  spec.tape_capacity = 64ull << 30;  // never reached: the tape is rewound every 1 GiB
  spec.barcodes = {"BENCH1"};
  if (auto st = dev::emu::create_library(dir, spec); !st) return state.SkipWithError(st.to_string().c_str());
  auto lib = dev::emu::Library::open(dir);
  if (!lib.ok()) return state.SkipWithError(lib.status().to_string().c_str());
  {
    auto ct = (*lib)->changer_transport();
    dev::MediaChanger changer(*ct);
    if (auto st = changer.move_medium(dev::emu::kFirstSlot, dev::emu::kFirstDrive); !st)
      return state.SkipWithError(st.to_string().c_str());
  }
  auto tt = (*lib)->drive_transport(0);
  dev::TapeDrive drive(*tt);
  if (auto st = drive.test_unit_ready(); !st) return state.SkipWithError(st.to_string().c_str());
  if (auto st = drive.set_block_size(0); !st) return state.SkipWithError(st.to_string().c_str());
  std::vector<uint8_t> rec(kRecord, 0x5a);
  size_t n = 0;
  for (auto _ : state) {
    if (auto st = drive.write(rec); !st) return state.SkipWithError(st.to_string().c_str());
    if (++n % kRewindEvery == 0) {
      state.PauseTiming();
      (void)drive.rewind();
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kRecord));
  tt.reset();
  lib->reset();
  fs::remove_all(dir.parent_path());
}
BENCHMARK(BM_EmulatedDriveWrite256K)->UseRealTime();

void BM_TapeImageAppend256K(benchmark::State& state) {
  const fs::path dir = scratch("image");
  if (dir.empty()) return state.SkipWithError("cannot create a scratch directory");
  fs::create_directories(dir);
  auto img = dev::emu::TapeImage::open(dir / "tape", true);
  if (!img.ok()) return state.SkipWithError(img.status().to_string().c_str());
  std::vector<uint8_t> rec(kRecord, 0x5a);
  size_t n = 0;
  for (auto _ : state) {
    if (auto st = (*img)->append_record(rec); !st) return state.SkipWithError(st.to_string().c_str());
    if (++n % kRewindEvery == 0) {
      state.PauseTiming();
      (void)(*img)->truncate(0);
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kRecord));
  img->reset();
  fs::remove_all(dir.parent_path());
}
BENCHMARK(BM_TapeImageAppend256K)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

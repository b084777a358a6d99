// ndmp-bench-restore TAR DEST: restores a tar file into DEST (an existing
// directory) with the restore engine alone, no server, no DMA, no tape, and
// prints wall and CPU seconds. bench/run.sh sets it beside `tar -xf` of the
// same file, so the engine's own cost is told apart from the data path's.
// Also the thing to profile: perf record -g ndmp-bench-restore ...
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "backup/restore_engine.h"

namespace {

class FileSource : public ndmp::backup::ByteSource {
 public:
  explicit FileSource(int fd) : fd_(fd) {}
  ndmp::backup::Status read(std::span<std::byte> buf, size_t& got) override {
    ssize_t n;
    do n = ::read(fd_, buf.data(), buf.size());
    while (n < 0 && errno == EINTR);
    if (n < 0) return ndmp::backup::Status::io_error(std::strerror(errno));
    got = static_cast<size_t>(n);
    return {};
  }

 private:
  int fd_;
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ndmp-bench-restore TAR DEST\n");
    return 2;
  }
  int in = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    std::fprintf(stderr, "ndmp-bench-restore: %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  ndmp::backup::RestoreRequest req;
  req.destination_root = argv[2];
  if (auto st = ndmp::backup::open_dir(argv[2], req.destination); !st) {
    std::fprintf(stderr, "ndmp-bench-restore: %s: %s\n", argv[2], st.to_string().c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  ndmp::backup::RestoreEngine engine(std::move(req), nullptr);
  FileSource src(in);
  auto st = engine.run(src);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto sum = engine.summary();
  std::printf("wall=%.3f cpu=%.3f entries=%llu refused=%llu failed=%llu\n", wall, cpu_seconds() - c0,
              static_cast<unsigned long long>(sum.entries_restored), static_cast<unsigned long long>(sum.entries_refused),
              static_cast<unsigned long long>(sum.entries_failed));
  if (!st) {
    std::fprintf(stderr, "ndmp-bench-restore: %s\n", st.to_string().c_str());
    return 1;
  }
  return sum.entries_failed || sum.entries_refused ? 1 : 0;
}

// ndmp-bench-gen: writes the benchmark data sets, deterministically (the same
// seed gives the same bytes, so every run measures the same data).
//
//   ndmp-bench-gen large DIR COUNT MIB     COUNT files of MIB MiB: DIR/big<i>.bin
//   ndmp-bench-gen small DIR COUNT MIN MAX COUNT files of MIN..MAX KiB (uniform,
//                                          in bytes), 1000 per directory:
//                                          DIR/d<k>/f<i>.bin
//
// Contents are xorshift64* output: incompressible, like typical backup data
// after a filesystem's own compression, and cheap to produce. Prints the
// total bytes written. Exit 1 with a reason on any I/O error.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
  }
};

void fill(Rng& r, std::vector<uint8_t>& buf, size_t n) {
  buf.resize((n + 7) & ~size_t{7});
  for (size_t i = 0; i < buf.size(); i += 8) {
    const uint64_t v = r.next();
    std::memcpy(buf.data() + i, &v, 8);
  }
}

bool write_file(const std::string& path, Rng& r, uint64_t size, std::vector<uint8_t>& buf) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "ndmp-bench-gen: %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  constexpr size_t kChunk = 1 << 20;
  while (size > 0) {
    const size_t n = size < kChunk ? size_t(size) : kChunk;
    fill(r, buf, n);
    size_t done = 0;
    while (done < n) {
      const ssize_t w = ::write(fd, buf.data() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        std::fprintf(stderr, "ndmp-bench-gen: write %s: %s\n", path.c_str(), std::strerror(errno));
        ::close(fd);
        return false;
      }
      done += size_t(w);
    }
    size -= n;
  }
  return ::close(fd) == 0;
}

bool make_dir(const std::string& p) {
  if (::mkdir(p.c_str(), 0755) == 0 || errno == EEXIST) return true;
  std::fprintf(stderr, "ndmp-bench-gen: mkdir %s: %s\n", p.c_str(), std::strerror(errno));
  return false;
}

int usage() {
  std::fprintf(stderr,
               "usage: ndmp-bench-gen large DIR COUNT MIB\n"
               "       ndmp-bench-gen small DIR COUNT MIN_KIB MAX_KIB\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return usage();
  const std::string kind = argv[1], dir = argv[2];
  const long count = std::atol(argv[3]);
  if (count <= 0 || !make_dir(dir)) return usage();
  Rng r{0x9E3779B97F4A7C15ULL};
  std::vector<uint8_t> buf;
  uint64_t total = 0;
  if (kind == "large" && argc == 5) {
    const uint64_t size = uint64_t(std::atol(argv[4])) << 20;
    for (long i = 0; i < count; ++i) {
      if (!write_file(dir + "/big" + std::to_string(i) + ".bin", r, size, buf)) return 1;
      total += size;
    }
  } else if (kind == "small" && argc == 6) {
    const uint64_t lo = uint64_t(std::atol(argv[4])) * 1024, hi = uint64_t(std::atol(argv[5])) * 1024;
    if (lo == 0 || hi < lo) return usage();
    for (long i = 0; i < count; ++i) {
      const std::string sub = dir + "/d" + std::to_string(i / 1000);
      if (i % 1000 == 0 && !make_dir(sub)) return 1;
      const uint64_t size = lo + r.next() % (hi - lo + 1);
      if (!write_file(sub + "/f" + std::to_string(i) + ".bin", r, size, buf)) return 1;
      total += size;
    }
  } else {
    return usage();
  }
  std::printf("%llu\n", static_cast<unsigned long long>(total));
  return 0;
}

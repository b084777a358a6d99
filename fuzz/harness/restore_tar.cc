// Fuzz harness: the tar reader used by restore (backup/restore_engine.h),
// with the destination rules a DMA controls (an nlist entry's destination).
//
// Input layout:
//   u8   flags       bit 0: restore through one nlist entry (below);
//                    bit 1: restore owners; bit 2: RECURSIVE
//   [u8 n, n bytes]  nlist original_path    (only with bit 0)
//   [u8 n, n bytes]  nlist destination      (only with bit 0)
//   u16  piece       ByteSource hands out 1 + piece bytes per read
//   ...  archive     the stream as it would arrive from the mover
//
// Layout on disk (a fresh scratch directory per input):
//   <scratch>/outer/secret            must keep its bytes and mode
//   <scratch>/outer/inner/dest/       the restore destination
//   <scratch>/outer/inner/dest/escape -> <scratch>/outer   (a symlink already
//                                       there, as an operator might have)
// Oracle: after the restore nothing exists under <scratch> except that
// layout and whatever appeared below dest/; secret is unchanged. Whether the
// restore succeeds is not judged: hostile streams should fail.
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "backup/restore_engine.h"
#include "fuzz/harness/input.h"
#include "fuzz/harness/scratch_dir.h"
#include "fuzz/harness/targets.h"

namespace ndmp::fuzz {
namespace {

namespace fs = std::filesystem;

class SpanSource : public backup::ByteSource {
 public:
  SpanSource(std::span<const uint8_t> data, size_t piece) : data_(data), piece_(piece) {}
  backup::Status read(std::span<std::byte> buf, size_t& got) override {
    got = std::min({buf.size(), piece_, data_.size() - pos_});
    if (got) std::memcpy(buf.data(), data_.data() + pos_, got);
    pos_ += got;
    return backup::Status::Ok();
  }

 private:
  std::span<const uint8_t> data_;
  size_t piece_;
  size_t pos_ = 0;
};

std::string text(Input& in) {
  auto b = in.bytes(in.u8());
  return std::string(b.begin(), b.end());
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

int restore_tar(const uint8_t* data, size_t size) {
  quiet_log();
  Input in(data, size);
  const uint8_t flags = in.u8();
  backup::RestoreRequest req;
  if (flags & 1) {
    backup::NlistEntry e;
    e.original_path = text(in);
    e.destination = text(in);
    req.nlist.push_back(std::move(e));
  }
  req.restore_owner = (flags & 2) != 0;
  req.recursive = (flags & 4) != 0;
  const size_t piece = 1 + in.u16();
  SpanSource source(in.rest(), piece);

  ScratchDir scratch;
  const fs::path outer = scratch.path() / "outer";
  const fs::path inner = outer / "inner";
  const fs::path dest = inner / "dest";
  fs::create_directories(dest);
  {
    std::ofstream(outer / "secret") << "not for the DMA\n";
  }
  ::chmod((outer / "secret").c_str(), 0600);
  fs::create_directory_symlink(outer, dest / "escape");
  req.destination_root = dest.string();
  if (!backup::open_dir(req.destination_root, req.destination).ok()) return 0;

  {
    backup::RestoreEngine engine(req, nullptr);
    (void)engine.run(source);
  }

  // Walk without following symlinks; only the prepared layout may exist
  // outside dest/. The walk opens up 0000 directories the archive made, but
  // only below dest/, where the archive may do as it likes.
  const std::set<fs::path> allowed = {outer, outer / "secret", inner, dest};
  std::error_code ec;
  for (fs::recursive_directory_iterator it(scratch.path(), fs::directory_options::none, ec), end;
       !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p == dest) {
      it.disable_recursion_pending();
      continue;
    }
    if (!allowed.count(p)) fail(("restore created " + p.string() + " outside its destination").c_str(),
                                __FILE__, __LINE__);
  }
  NDMP_FUZZ_CHECK(!ec);
  struct stat st {};
  NDMP_FUZZ_CHECK(::lstat((outer / "secret").c_str(), &st) == 0 && S_ISREG(st.st_mode));
  NDMP_FUZZ_CHECK((st.st_mode & 07777) == 0600);
  NDMP_FUZZ_CHECK(read_file(outer / "secret") == "not for the DMA\n");
  NDMP_FUZZ_CHECK(::lstat(dest.c_str(), &st) == 0 && S_ISDIR(st.st_mode));
  return 0;
}

}  // namespace ndmp::fuzz

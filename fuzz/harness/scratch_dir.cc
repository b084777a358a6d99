#include "fuzz/harness/scratch_dir.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <system_error>

#include "fuzz/harness/input.h"

namespace ndmp::fuzz {

ScratchDir::ScratchDir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path base = fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm")
                                                                                       : fs::temp_directory_path();
  std::string tmpl = (base / "ndmpd-fuzz-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) fail("mkdtemp for a scratch directory failed", __FILE__, __LINE__);
  path_ = tmpl;
}

namespace {

// Restored directories may be mode 0000; give the owner access back before
// descending, so remove_all can empty them. Symlinks are never followed.
void open_up(const std::filesystem::path& dir) {
  ::chmod(dir.c_str(), 0700);
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec) && !it->is_symlink(ec)) open_up(it->path());
}

}  // namespace

ScratchDir::~ScratchDir() {
  open_up(path_);
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace ndmp::fuzz

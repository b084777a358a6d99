// A throw-away directory for one fuzz input, on tmpfs when the machine has
// one (/dev/shm): the emulated library fsyncs its state on every robot move,
// and on tmpfs that costs nothing, so a fresh library per input stays fast.
// Removed (recursively, without following symlinks) when the object dies.
#pragma once

#include <filesystem>

namespace ndmp::fuzz {

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ndmp::fuzz

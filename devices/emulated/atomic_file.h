// Small state files that must survive a crash whole: write <path>.tmp,
// fsync it, rename over <path>, fsync the directory (POSIX rename is atomic,
// so a reader sees the old or the new file, never half of one).
#pragma once

#include <filesystem>
#include <string>

#include "devices/status.h"

namespace ndmp::dev::emu {

Status write_file_atomically(const std::filesystem::path& path, const std::string& contents);
// Whole file, or io status. Missing file: no_device category is not used;
// `missing` is set instead so callers can treat absence as "defaults".
StatusOr<std::string> read_small_file(const std::filesystem::path& path, bool* missing = nullptr);

}  // namespace ndmp::dev::emu

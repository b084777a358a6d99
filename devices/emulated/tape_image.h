// One emulated tape on disk: records, filemarks and an end of data, in two
// files beside each other.
//
//   <name>.data   the record payloads, concatenated, nothing else (so the
//                 bytes of a tar written in 10 KiB records read back with cat)
//   <name>.idx    16-byte header, then one 32-bit little-endian entry per
//                 logical object, in tape order:
//                   struct IdxHeader { char magic[8] = "NDMPTIX1"; u32 version = 1; u32 reserved = 0; };
//                   u32 entry:  0xFFFFFFFF     = filemark
//                               1..0x00FFFFFF  = a record of that many bytes
//                 The end of the index is the end of data (EOD).
//
// Objects are numbered 0.. from BOT; a position p means "before object p"
// (p == object_count() is EOD). Writing at p < object_count() first
// truncates both files to p: what followed is gone, as on a real drive.
//
// Write path: append the payload with one pwrite, append the entry to an
// in-memory tail that is flushed to .idx every 256 entries and at sync().
// No per-record fsync; sync() (fdatasync of both) is called by the drive on
// WRITE FILEMARKS, REWIND, unload and close. A crash loses at most the
// records since the last flush, never consistency: open() drops index
// entries whose data is missing and data beyond the last indexed record.
//
// Capacity is counted in record bytes (data_bytes()); filemarks are free.
// Threads: not thread-safe; the owning drive serialises access.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "devices/status.h"

namespace ndmp::dev::emu {

class TapeImage {
 public:
  static constexpr uint32_t kFilemark = 0xFFFFFFFFu;
  static constexpr uint32_t kMaxRecord = 0x00FFFFFFu;  // SSC 24-bit transfer length

  // Opens `<base>.data`/`<base>.idx`, creating an empty (blank) tape when
  // `create` is set and they do not exist.
  static StatusOr<std::unique_ptr<TapeImage>> open(const std::filesystem::path& base, bool create);
  ~TapeImage();
  TapeImage(const TapeImage&) = delete;
  TapeImage& operator=(const TapeImage&) = delete;

  size_t object_count() const { return entries_.size(); }
  bool is_filemark(size_t i) const { return entries_[i] == kFilemark; }
  uint32_t record_length(size_t i) const { return entries_[i] == kFilemark ? 0 : entries_[i]; }
  // Bytes of record data before object i (i <= object_count()).
  uint64_t data_offset(size_t i) const { return offsets_[i]; }
  uint64_t data_bytes() const { return offsets_.back(); }
  // Filemarks before object i.
  uint64_t filemarks_before(size_t i) const;

  // Copies up to out.size() bytes of record i into out; returns bytes copied.
  StatusOr<size_t> read_record(size_t i, std::span<uint8_t> out) const;
  // Truncates to objects [0, i).
  Status truncate(size_t i);
  Status append_record(std::span<const uint8_t> data);
  Status append_filemark();
  // Flushes the index tail and fdatasyncs both files.
  Status sync();

 private:
  TapeImage(std::filesystem::path base, int data_fd, int idx_fd);
  static constexpr uint64_t kReplaceAbove = 64ull << 20;  // see truncate()
  Status replace_data_file();
  Status flush_index();
  Status append_entry(uint32_t e);

  std::filesystem::path base_;
  int data_fd_ = -1;
  int idx_fd_ = -1;
  std::vector<uint32_t> entries_;
  std::vector<uint64_t> offsets_{0};  // offsets_[i] = data bytes before object i; size = entries + 1
  std::vector<uint64_t> fm_prefix_{0};  // filemarks before object i
  size_t idx_flushed_ = 0;  // entries already on disk
};

}  // namespace ndmp::dev::emu

// The two ends of the data path as seen by the engines.
//
// BackupEngine writes the pax stream into a ByteSink; RestoreEngine reads one
// from a ByteSource. The server implements them over the in-process bounded
// pipe (local job) or the TCP data connection (three-way job); tests use
// memory versions. Both are called from the engine's own thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "backup/status.h"

namespace ndmp::backup {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Takes all of `data` or fails. May block for backpressure (tape slower
  // than disk). A failure stops the backup; its Status is what the engine
  // returns (use Status::connection for a dropped peer). The span is only
  // valid during the call.
  virtual Status write(std::span<const std::byte> data) = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to buf.size() bytes and sets `got`; got == 0 with OK means end of
  // stream (mover closed the connection or the read range is exhausted). May
  // block until data arrives. A failure stops the restore with that Status.
  virtual Status read(std::span<std::byte> buf, std::size_t& got) = 0;

  // Zero-copy reading, for a source that already holds the bytes in memory
  // of its own (the server's in-process pipe from the mover): points `data`
  // at the next bytes and sets `got` (0 with OK = end of stream); they stay
  // where they are until release(got). The restore engine hands them to
  // libarchive as they are, which saves copying every byte once more. A
  // source without it returns false and is read with read().
  virtual bool view(const std::byte*& data, std::size_t& got, Status& st) {
    (void)data, (void)got, (void)st;
    return false;
  }
  virtual void release(std::size_t n) { (void)n; }
};

}  // namespace ndmp::backup

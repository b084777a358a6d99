// The bridge's event journal: job events on disk from before they are sent
// until the Cloud Manager acknowledges them, so nothing is lost while the
// Cloud Manager is away or ndmpd restarts.
//
// On-disk format (all integers big-endian):
//
//   file    := fileheader record*
//   fileheader (16 bytes):
//     magic   8  "NDCMJNL1"
//     base_id 8  the next new event id is max(base_id, last event id + 1):
//                a compaction writes the next id here, so ids never repeat,
//                even when the file is compacted down to nothing
//   record:
//     kind    1  1 = event, 2 = acknowledged, 3 = dropped for the size bound
//     class   1  0 = state change, 1 = progress (events only)
//     pad     2  zero
//     length  4  bytes of payload (0 for kinds 2 and 3)
//     id      8  event id
//     crc     4  CRC-32 of the 16 bytes above with crc = 0, then the payload
//     payload    command (int32) + the protobuf body, ready to send
//
// Durability: append() write()s the record before it returns, so the event
// survives the death of the process (SIGKILL) at any later moment: it is in
// the kernel's page cache. sync() makes it survive a power loss too
// (fdatasync); the bridge calls it before sending, so an event is on disk
// before the Cloud Manager can see it, and a burst of events costs one
// fdatasync. Acknowledgements are not synced: losing one re-sends an event
// the receiver drops by its id. A record torn by a crash (short, or a bad
// CRC) ends the file: open() truncates it there and says so in the log.
//
// Size bound: the bytes of unacknowledged events. When an append would pass
// it, the oldest unacknowledged progress events are dropped (a "dropped"
// record each, a warning each in the log) until it fits; if the new event is
// progress and no older one can go, the new one is dropped. State changes
// are never dropped: they may push the journal over its bound, with an error
// in the log. The event being sent (claimed by front()) is never dropped.
//
// The file is rewritten (temp file, fsync, rename) when acknowledged records
// dominate it, so it stays within a few times the live bytes.
//
// Threads: every method is safe to call from any thread (one mutex). append()
// holds it for one write(); compaction holds it for a rewrite of at most the
// live bytes.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cloudmanager/status.h"

namespace ndmp::cm {

enum class EntryClass : uint8_t { state = 0, progress = 1 };

struct JournalEntry {
  uint64_t id = 0;
  EntryClass cls = EntryClass::state;
  int32_t command = 0;
  std::string body;
};

struct JournalStats {
  std::size_t pending = 0;      // unacknowledged events
  uint64_t live_bytes = 0;      // their payload bytes (what the bound limits)
  uint64_t file_bytes = 0;
  uint64_t dropped = 0;         // progress events dropped since open
  uint64_t next_id = 0;
};

class Journal {
 public:
  // Opens or creates `path`, replays it and keeps the unacknowledged events
  // in memory in id order. `max_live_bytes` is the size bound.
  static Status open(const std::string& path, uint64_t max_live_bytes,
                     std::unique_ptr<Journal>& out);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Gives the event the next id, asks `make_body(id)` for its body (the id is
  // part of the body), writes it, and returns the id; nullopt when the event
  // was not kept (a progress event dropped for the bound, or a write error,
  // both logged).
  std::optional<uint64_t> append(EntryClass cls, int32_t command,
                                 const std::function<std::string(uint64_t id)>& make_body);

  // The oldest unacknowledged event, claimed as being sent (it will not be
  // dropped for the bound until acknowledge()d or another front() call).
  std::optional<JournalEntry> front();

  // The Cloud Manager acknowledged `id`: forget it. Unknown ids are ignored.
  void acknowledge(uint64_t id);

  // fdatasync if anything was written since the last sync. False on error.
  bool sync();

  JournalStats stats() const;
  uint64_t first_pending_id() const;  // 0 when nothing is pending

 private:
  Journal(std::string path, uint64_t max_live_bytes);
  Status replay_locked();
  bool write_record_locked(uint8_t kind, const JournalEntry& e);
  void drop_for_bound_locked(uint64_t incoming, bool incoming_is_progress, bool& drop_incoming);
  void maybe_compact_locked();
  Status rewrite_locked();

  const std::string path_;
  const uint64_t max_live_bytes_;
  mutable std::mutex mu_;
  int fd_ = -1;
  bool dirty_ = false;
  uint64_t base_id_ = 1;
  uint64_t next_id_ = 1;
  uint64_t file_bytes_ = 0;
  uint64_t live_bytes_ = 0;
  uint64_t dropped_ = 0;
  uint64_t claimed_id_ = 0;
  std::deque<JournalEntry> pending_;
};

}  // namespace ndmp::cm

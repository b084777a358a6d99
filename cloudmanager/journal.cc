#include "cloudmanager/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/crc.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/house_rule.h"
#include "common/log.h"

namespace ndmp::cm {
namespace {

constexpr char kMagic[8] = {'N', 'D', 'C', 'M', 'J', 'N', 'L', '1'};
constexpr std::size_t kFileHeader = 16;
constexpr std::size_t kRecordHeader = 20;
constexpr uint8_t kEvent = 1, kAck = 2, kDropped = 3;
// Compaction starts once the file is past this and mostly acknowledged
// records; below it, rewriting would cost more than the disk it saves.
constexpr uint64_t kCompactFloor = 256 * 1024;

void put64(std::string& s, uint64_t v) {
  for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>(v >> (8 * i)));
}
void put32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t get(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t payload_size(const JournalEntry& e) { return 4 + e.body.size(); }

std::string encode_record(uint8_t kind, const JournalEntry& e) {
  const bool event = kind == kEvent;
  std::string payload;
  if (event) {
    put32(payload, static_cast<uint32_t>(e.command));
    payload += e.body;
  }
  std::string r;
  r.push_back(static_cast<char>(kind));
  r.push_back(static_cast<char>(event ? static_cast<uint8_t>(e.cls) : 0));
  r.append(2, '\0');
  put32(r, static_cast<uint32_t>(payload.size()));
  put64(r, e.id);
  // CRC over the header with its crc field zero, then the payload.
  boost::crc_32_type crc;
  crc.process_bytes(r.data(), r.size());
  const char zero[4] = {0, 0, 0, 0};
  crc.process_bytes(zero, sizeof zero);
  crc.process_bytes(payload.data(), payload.size());
  put32(r, crc.checksum());
  r += payload;
  return r;
}

bool write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Journal::Journal(std::string path, uint64_t max_live_bytes)
    : path_(std::move(path)), max_live_bytes_(max_live_bytes) {}

Journal::~Journal() {
  if (fd_ >= 0) {
    if (dirty_) ::fdatasync(fd_);
    ::close(fd_);
  }
}

Status Journal::open(const std::string& path, uint64_t max_live_bytes, std::unique_ptr<Journal>& out) {
  std::unique_ptr<Journal> j(new Journal(path, max_live_bytes));
  std::lock_guard lock(j->mu_);
  Status s = j->replay_locked();
  if (!s.ok()) return s;
  out = std::move(j);
  return Status::Ok();
}

Status Journal::replay_locked() {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec) || std::filesystem::file_size(path_, ec) == 0) {
    // New journal: created whole by the same atomic rewrite as compaction.
    return rewrite_locked();
  }
  const int rfd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (rfd < 0) return Status::Error(fmt::format("journal {}: {}", path_, std::strerror(errno)));
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(rfd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(rfd);
      return Status::Error(fmt::format("journal {}: read: {}", path_, std::strerror(err)));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(rfd);
  if (data.size() < kFileHeader || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    return Status::Error(fmt::format("journal {}: not a Cloud Manager journal (bad magic); "
                                     "move it away to start a new one",
                                     path_));
  base_id_ = get(data.data() + 8, 8);
  next_id_ = std::max<uint64_t>(base_id_, 1);

  std::size_t off = kFileHeader;
  std::string torn;
  while (off < data.size()) {
    const char* p = data.data() + off;
    const std::size_t left = data.size() - off;
    if (left < kRecordHeader) {
      torn = fmt::format("{} bytes of a record header", left);
      break;
    }
    const uint8_t kind = static_cast<uint8_t>(p[0]);
    const uint8_t cls = static_cast<uint8_t>(p[1]);
    const uint64_t length = get(p + 4, 4);
    const uint64_t id = get(p + 8, 8);
    const uint32_t crc_stored = static_cast<uint32_t>(get(p + 16, 4));
    if (kind < kEvent || kind > kDropped || cls > 1) {
      torn = fmt::format("unknown record kind {}/{}", kind, cls);
      break;
    }
    if (length > left - kRecordHeader) {
      torn = fmt::format("record of {} bytes with {} present", length, left - kRecordHeader);
      break;
    }
    boost::crc_32_type crc;
    crc.process_bytes(p, 16);
    const char zero[4] = {0, 0, 0, 0};
    crc.process_bytes(zero, 4);
    crc.process_bytes(p + kRecordHeader, length);
    if (crc.checksum() != crc_stored) {
      torn = fmt::format("CRC mismatch on record of event {}", id);
      break;
    }
    if (kind == kEvent) {
      if (length < 4 || id < next_id_) {
        torn = fmt::format("event {} out of order or without a command", id);
        break;
      }
      JournalEntry e;
      e.id = id;
      e.cls = static_cast<EntryClass>(cls);
      e.command = static_cast<int32_t>(get(p + kRecordHeader, 4));
      e.body.assign(p + kRecordHeader + 4, length - 4);
      live_bytes_ += payload_size(e);
      pending_.push_back(std::move(e));
      next_id_ = id + 1;
    } else {
      auto it = std::find_if(pending_.begin(), pending_.end(), [&](const JournalEntry& e) { return e.id == id; });
      if (it != pending_.end()) {
        live_bytes_ -= payload_size(*it);
        pending_.erase(it);
      }
    }
    off += kRecordHeader + length;
  }
  if (!torn.empty()) {
    ndmp::log::warn("cloud manager journal {}: {} at offset {} (a write cut short by a crash); "
                    "truncating the {} bytes from there",
                    path_, torn, off, data.size() - off);
    if (::truncate(path_.c_str(), static_cast<off_t>(off)) != 0)
      return Status::Error(fmt::format("journal {}: truncate: {}", path_, std::strerror(errno)));
  }
  file_bytes_ = off;
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return Status::Error(fmt::format("journal {}: {}", path_, std::strerror(errno)));
  if (!pending_.empty())
    ndmp::log::info("cloud manager journal {}: {} unacknowledged events ({} to {}) to re-send",
                    path_, pending_.size(), pending_.front().id, pending_.back().id);
  maybe_compact_locked();
  return Status::Ok();
}

bool Journal::write_record_locked(uint8_t kind, const JournalEntry& e) {
  const std::string r = encode_record(kind, e);
  if (!write_all(fd_, r)) {
    const int err = errno;
    // A partial record would end the file at replay and hide later ones.
    ndmp::log::error("cloud manager journal {}: write: {}", path_, std::strerror(err));
    if (::ftruncate(fd_, static_cast<off_t>(file_bytes_)) != 0)
      ndmp::log::error("cloud manager journal {}: cannot cut a partial record: {}", path_,
                       std::strerror(errno));
    return false;
  }
  file_bytes_ += r.size();
  dirty_ = true;
  return true;
}

void Journal::drop_for_bound_locked(uint64_t incoming, bool incoming_is_progress, bool& drop_incoming) {
  drop_incoming = false;
  if (live_bytes_ + incoming <= max_live_bytes_) return;
  for (auto it = pending_.begin(); it != pending_.end() && live_bytes_ + incoming > max_live_bytes_;) {
    if (it->cls != EntryClass::progress || it->id == claimed_id_) {
      ++it;
      continue;
    }
    if (!write_record_locked(kDropped, *it)) return;
    ndmp::log::warn("cloud manager journal {} is full ({} of {} bytes unacknowledged): "
                    "dropped progress event {}, the oldest; state changes are kept",
                    path_, live_bytes_, max_live_bytes_, it->id);
    live_bytes_ -= payload_size(*it);
    ++dropped_;
    it = pending_.erase(it);
  }
  if (live_bytes_ + incoming <= max_live_bytes_) return;
  if (incoming_is_progress) {
    drop_incoming = true;
    ++dropped_;
    ndmp::log::warn("cloud manager journal {} is full ({} of {} bytes, all state changes): "
                    "dropped a new progress event",
                    path_, live_bytes_, max_live_bytes_);
  } else {
    ndmp::log::error("cloud manager journal {} holds {} bytes of unacknowledged state changes, "
                     "over its bound of {}; keeping them (state changes are never dropped)",
                     path_, live_bytes_ + incoming, max_live_bytes_);
  }
}

std::optional<uint64_t> Journal::append(EntryClass cls, int32_t command,
                                        const std::function<std::string(uint64_t)>& make_body) {
  house::no_service_lock("appending to the Cloud Manager journal");
  std::lock_guard lock(mu_);
  if (fd_ < 0) return std::nullopt;
  JournalEntry e;
  e.id = next_id_++;
  e.cls = cls;
  e.command = command;
  e.body = make_body(e.id);
  bool drop_incoming = false;
  drop_for_bound_locked(payload_size(e), cls == EntryClass::progress, drop_incoming);
  if (drop_incoming) return std::nullopt;
  if (!write_record_locked(kEvent, e)) return std::nullopt;
  live_bytes_ += payload_size(e);
  const uint64_t id = e.id;
  pending_.push_back(std::move(e));
  return id;
}

std::optional<JournalEntry> Journal::front() {
  std::lock_guard lock(mu_);
  if (pending_.empty()) return std::nullopt;
  claimed_id_ = pending_.front().id;
  return pending_.front();
}

void Journal::acknowledge(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(pending_.begin(), pending_.end(), [&](const JournalEntry& e) { return e.id == id; });
  if (it == pending_.end()) return;
  if (!write_record_locked(kAck, *it)) return;
  live_bytes_ -= payload_size(*it);
  pending_.erase(it);
  if (claimed_id_ == id) claimed_id_ = 0;
  maybe_compact_locked();
}

bool Journal::sync() {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return false;
  if (!dirty_) return true;
  if (::fdatasync(fd_) != 0) {
    ndmp::log::error("cloud manager journal {}: fdatasync: {}", path_, std::strerror(errno));
    return false;
  }
  dirty_ = false;
  return true;
}

void Journal::maybe_compact_locked() {
  const uint64_t live_file = kFileHeader + live_bytes_ + kRecordHeader * pending_.size();
  if (file_bytes_ <= kCompactFloor || file_bytes_ <= 4 * live_file) return;
  Status s = rewrite_locked();
  if (!s.ok()) ndmp::log::warn("cloud manager journal: compaction failed, keeping the long file: {}", s.text());
}

Status Journal::rewrite_locked() {
  const std::string tmp = path_ + ".tmp";
  // The state directory may be reachable by others (the journal's path is
  // configurable): a journal.tmp found there, file or symlink, is left from
  // a crash or planted, and is removed, never written through. unlink()
  // removes a symlink itself; O_EXCL|O_NOFOLLOW then refuses anything that
  // reappears under the name between the two calls.
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT)
    return Status::Error(fmt::format("journal {}: cannot remove a stale one: {}", tmp, std::strerror(errno)));
  const int t = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (t < 0) return Status::Error(fmt::format("journal {}: {}", tmp, std::strerror(errno)));
  std::string data(kMagic, sizeof kMagic);
  put64(data, next_id_);
  for (const JournalEntry& e : pending_) data += encode_record(kEvent, e);
  if (!write_all(t, data) || ::fsync(t) != 0) {
    const int err = errno;
    ::close(t);
    ::unlink(tmp.c_str());
    return Status::Error(fmt::format("journal {}: {}", tmp, std::strerror(err)));
  }
  ::close(t);
  if (::rename(tmp.c_str(), path_.c_str()) != 0)
    return Status::Error(fmt::format("journal {}: rename: {}", path_, std::strerror(errno)));
  // The rename itself must reach the disk, or a power loss brings back the old file.
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);  // the file just renamed there
  if (fd_ < 0) return Status::Error(fmt::format("journal {}: {}", path_, std::strerror(errno)));
  base_id_ = next_id_;
  file_bytes_ = data.size();
  dirty_ = false;
  return Status::Ok();
}

JournalStats Journal::stats() const {
  std::lock_guard lock(mu_);
  return JournalStats{pending_.size(), live_bytes_, file_bytes_, dropped_, next_id_};
}

uint64_t Journal::first_pending_id() const {
  std::lock_guard lock(mu_);
  return pending_.empty() ? 0 : pending_.front().id;
}

}  // namespace ndmp::cm

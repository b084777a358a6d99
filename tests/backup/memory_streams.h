// In-memory ends of the data path for tests: a sink that keeps the whole
// stream, sinks that fail on demand, and a source that replays a stream from
// any offset in odd-sized pieces (so libarchive's reads never line up with
// tar blocks by accident).
#pragma once

#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

#include "backup/byte_stream.h"
#include "backup/file_history.h"

namespace ndmp::backup::test {

class MemorySink : public ByteSink {
 public:
  Status write(std::span<const std::byte> data) override {
    bytes.insert(bytes.end(), data.begin(), data.end());
    ++writes;
    return Status::Ok();
  }
  std::vector<std::byte> bytes;
  size_t writes = 0;
};

// Accepts `limit` bytes, then fails as a dropped data connection would.
class FailingSink : public ByteSink {
 public:
  explicit FailingSink(size_t limit) : limit_(limit) {}
  Status write(std::span<const std::byte> data) override {
    if (taken_ + data.size() > limit_) return Status::connection("peer closed the data connection");
    taken_ += data.size();
    return Status::Ok();
  }

 private:
  size_t limit_;
  size_t taken_ = 0;
};

class MemorySource : public ByteSource {
 public:
  MemorySource(const std::vector<std::byte>& data, size_t offset = 0, size_t piece = 7777)
      : data_(data), pos_(offset), piece_(piece) {}
  Status read(std::span<std::byte> buf, size_t& got) override {
    got = std::min({buf.size(), piece_, data_.size() - std::min(pos_, data_.size())});
    if (got) std::memcpy(buf.data(), data_.data() + pos_, got);
    pos_ += got;
    return Status::Ok();
  }
  size_t position() const { return pos_; }

 private:
  const std::vector<std::byte>& data_;
  size_t pos_;
  size_t piece_;
};

// Offers zero-copy views (as the server's in-process pipe does) of its own
// copy of a stream, in odd-sized pieces. Released bytes are overwritten at
// once, as a pipe's writer would reuse them, so a reader that still looks
// at a block after releasing it restores garbage. Counts misuse: a view
// asked for while one is outstanding, a release of other than what was viewed.
class ViewingSource : public ByteSource {
 public:
  ViewingSource(const std::vector<std::byte>& data, size_t piece = 7777) : copy_(data), piece_(piece) {}
  Status read(std::span<std::byte> buf, size_t& got) override {
    ++reads;
    got = std::min({buf.size(), piece_, copy_.size() - pos_});
    if (got) std::memcpy(buf.data(), copy_.data() + pos_, got);
    pos_ += got;
    return Status::Ok();
  }
  bool view(const std::byte*& data, size_t& got, Status& st) override {
    if (outstanding_) ++misuse;
    got = std::min(piece_, copy_.size() - pos_);
    data = copy_.data() + pos_;
    pos_ += got;
    outstanding_ = got;
    ++views;
    st = Status::Ok();
    return true;
  }
  void release(size_t n) override {
    if (n != outstanding_) ++misuse;
    std::fill(copy_.begin() + static_cast<std::ptrdiff_t>(pos_ - outstanding_),
              copy_.begin() + static_cast<std::ptrdiff_t>(pos_), std::byte{0xa5});
    outstanding_ = 0;
  }
  size_t outstanding() const { return outstanding_; }
  size_t views = 0, reads = 0, misuse = 0;

 private:
  std::vector<std::byte> copy_;
  size_t piece_;
  size_t pos_ = 0;
  size_t outstanding_ = 0;
};

class RecordingHistory : public FileHistorySink {
 public:
  Status add(const FileHistoryEntry& e) override {
    entries.push_back(e);
    if (on_add) on_add(e);
    return Status::Ok();
  }
  const FileHistoryEntry* find(const std::string& path) const {
    for (const auto& e : entries)
      if (e.path == path) return &e;
    return nullptr;
  }
  std::vector<FileHistoryEntry> entries;
  std::function<void(const FileHistoryEntry&)> on_add;
};

class RecordingWarnings : public WarningSink {
 public:
  void warning(std::string_view text) override { lines.emplace_back(text); }
  bool any_contains(std::string_view needle) const {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
  }
  std::vector<std::string> lines;
};

}  // namespace ndmp::backup::test

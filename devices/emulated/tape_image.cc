#include "devices/emulated/tape_image.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "common/log.h"

namespace ndmp::dev::emu {
namespace {

constexpr char kMagic[8] = {'N', 'D', 'M', 'P', 'T', 'I', 'X', '1'};
constexpr size_t kHeader = 16;
constexpr size_t kFlushEvery = 256;

Status errno_status(std::string_view what, const std::filesystem::path& p) {
  return Status::io(fmt::format("{} {}: {}", what, p.string(), std::strerror(errno)));
}

bool write_all(int fd, const void* buf, size_t n, off_t at) {
  const auto* p = static_cast<const uint8_t*>(buf);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, at);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= size_t(w);
    at += w;
  }
  return true;
}

}  // namespace

TapeImage::TapeImage(std::filesystem::path base, int data_fd, int idx_fd)
    : base_(std::move(base)), data_fd_(data_fd), idx_fd_(idx_fd) {}

TapeImage::~TapeImage() {
  Status s = sync();
  if (!s) log::error("tape image {}: {}", base_.string(), s.to_string());
  ::close(data_fd_);
  ::close(idx_fd_);
}

StatusOr<std::unique_ptr<TapeImage>> TapeImage::open(const std::filesystem::path& base, bool create) {
  const auto data_path = base.string() + ".data";
  const auto idx_path = base.string() + ".idx";
  // Tapes hold backups of whatever the exports contain: readable by the
  // owner only, also when an older ndmpd created them 0644. O_NOFOLLOW: a
  // symlink in place of an image is someone else's file, not our tape.
  const int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
  int dfd = ::open(data_path.c_str(), flags, 0600);
  if (dfd < 0) return errno_status("cannot open tape data", data_path);
  int ifd = ::open(idx_path.c_str(), flags, 0600);
  if (ifd < 0) {
    Status s = errno_status("cannot open tape index", idx_path);
    ::close(dfd);
    return s;
  }
  if (::fchmod(dfd, 0600) != 0 || ::fchmod(ifd, 0600) != 0) {
    Status s = errno_status("cannot make tape private", base);
    ::close(dfd);
    ::close(ifd);
    return s;
  }
  std::unique_ptr<TapeImage> img(new TapeImage(base, dfd, ifd));
  struct stat ist {}, dst {};
  if (::fstat(ifd, &ist) != 0 || ::fstat(dfd, &dst) != 0) return errno_status("cannot stat tape", base);
  if (ist.st_size == 0) {
    uint8_t hdr[kHeader] = {};
    std::memcpy(hdr, kMagic, 8);
    hdr[8] = 1;  // version, little-endian
    if (!write_all(ifd, hdr, kHeader, 0)) return errno_status("cannot write tape index", idx_path);
  } else {
    std::vector<uint8_t> raw(size_t(ist.st_size));
    if (::pread(ifd, raw.data(), raw.size(), 0) != ssize_t(raw.size()))
      return errno_status("cannot read tape index", idx_path);
    if (raw.size() < kHeader || std::memcmp(raw.data(), kMagic, 8) != 0 || raw[8] != 1)
      return Status::io(fmt::format("{} is not an ndmpd tape index (bad magic or version)", idx_path));
    const size_t n = (raw.size() - kHeader) / 4;
    img->entries_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* e = raw.data() + kHeader + 4 * i;
      uint32_t v = uint32_t(e[0]) | uint32_t(e[1]) << 8 | uint32_t(e[2]) << 16 | uint32_t(e[3]) << 24;
      if (v != kFilemark && (v == 0 || v > kMaxRecord))
        return Status::io(fmt::format("{}: corrupt entry {} ({:#x})", idx_path, i, v));
      const uint64_t end = img->offsets_.back() + (v == kFilemark ? 0 : v);
      if (end > uint64_t(dst.st_size)) {
        log::warn("tape image {}: index entry {} beyond data; dropping the tail (unclean shutdown)", base.string(), i);
        break;
      }
      img->entries_.push_back(v);
      img->offsets_.push_back(end);
      img->fm_prefix_.push_back(img->fm_prefix_.back() + (v == kFilemark ? 1 : 0));
    }
    img->idx_flushed_ = img->entries_.size();
    // Drop a torn index tail and unindexed data so files agree again.
    if (::ftruncate(ifd, off_t(kHeader + 4 * img->entries_.size())) != 0) return errno_status("truncate", idx_path);
  }
  if (uint64_t(dst.st_size) != img->data_bytes() && ::ftruncate(dfd, off_t(img->data_bytes())) != 0)
    return errno_status("truncate", data_path);
  return img;
}

uint64_t TapeImage::filemarks_before(size_t i) const { return fm_prefix_[i]; }

StatusOr<size_t> TapeImage::read_record(size_t i, std::span<uint8_t> out) const {
  const size_t n = std::min<size_t>(out.size(), record_length(i));
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(data_fd_, out.data() + done, n - done, off_t(offsets_[i] + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return errno_status("cannot read tape data", base_);
    done += size_t(r);
  }
  return done;
}

// Rewriting a tape from BOT drops all its data at once. Freeing gigabytes
// of file pages takes the kernel ~0.1 s per GiB (tmpfs), inside the call, on
// the thread that is about to write the first record of a backup. So a
// large image is replaced instead: a new empty file is renamed over the old
// name, and the old one is closed (and so freed) on a thread of its own. A
// crash in between leaves the index naming data that is gone, which open()
// drops as it does any torn tail.
Status TapeImage::replace_data_file() {
  const std::string data_path = base_.string() + ".data";
  const std::string tmp = data_path + ".new";
  int fd = ::open(tmp.c_str(), O_RDWR | O_CLOEXEC | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno_status("cannot create tape data", tmp);
  if (::rename(tmp.c_str(), data_path.c_str()) != 0) {
    Status s = errno_status("cannot replace tape data", data_path);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  const int old = std::exchange(data_fd_, fd);
  std::thread([old] { ::close(old); }).detach();
  return Status::Ok();
}

Status TapeImage::truncate(size_t i) {
  if (i >= entries_.size()) return Status::Ok();
  const bool replace = i == 0 && data_bytes() >= kReplaceAbove;
  entries_.resize(i);
  offsets_.resize(i + 1);
  fm_prefix_.resize(i + 1);
  if (replace) {
    if (Status s = replace_data_file(); !s) return s;
  } else if (::ftruncate(data_fd_, off_t(offsets_.back())) != 0) {
    return errno_status("truncate", base_);
  }
  if (idx_flushed_ > i) {
    idx_flushed_ = i;
    if (::ftruncate(idx_fd_, off_t(kHeader + 4 * i)) != 0) return errno_status("truncate", base_);
  }
  return Status::Ok();
}

Status TapeImage::append_entry(uint32_t e) {
  entries_.push_back(e);
  offsets_.push_back(offsets_.back() + (e == kFilemark ? 0 : e));
  fm_prefix_.push_back(fm_prefix_.back() + (e == kFilemark ? 1 : 0));
  if (entries_.size() - idx_flushed_ >= kFlushEvery) return flush_index();
  return Status::Ok();
}

Status TapeImage::append_record(std::span<const uint8_t> data) {
  if (data.empty() || data.size() > kMaxRecord)
    return Status::illegal_request(fmt::format("record of {} bytes", data.size()));
  if (!write_all(data_fd_, data.data(), data.size(), off_t(offsets_.back())))
    return errno_status("cannot write tape data", base_);
  return append_entry(uint32_t(data.size()));
}

Status TapeImage::append_filemark() { return append_entry(kFilemark); }

Status TapeImage::flush_index() {
  const size_t n = entries_.size() - idx_flushed_;
  if (n == 0) return Status::Ok();
  std::vector<uint8_t> buf(4 * n);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t v = entries_[idx_flushed_ + k];
    buf[4 * k] = uint8_t(v);
    buf[4 * k + 1] = uint8_t(v >> 8);
    buf[4 * k + 2] = uint8_t(v >> 16);
    buf[4 * k + 3] = uint8_t(v >> 24);
  }
  if (!write_all(idx_fd_, buf.data(), buf.size(), off_t(kHeader + 4 * idx_flushed_)))
    return errno_status("cannot write tape index", base_);
  idx_flushed_ = entries_.size();
  return Status::Ok();
}

Status TapeImage::sync() {
  if (Status s = flush_index(); !s) return s;
  // Data first: the index must never name bytes that are not on disk.
  if (::fdatasync(data_fd_) != 0) return errno_status("fdatasync", base_);
  if (::fdatasync(idx_fd_) != 0) return errno_status("fdatasync", base_);
  return Status::Ok();
}

}  // namespace ndmp::dev::emu

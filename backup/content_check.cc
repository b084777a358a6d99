#include "backup/content_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

namespace ndmp::backup {
namespace {

constexpr size_t kDiskRead = 1 << 20;

const char* kind(mode_t m) {
  if (S_ISREG(m)) return "regular file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "symbolic link";
  if (S_ISFIFO(m)) return "FIFO";
  if (S_ISCHR(m)) return "character device";
  if (S_ISBLK(m)) return "block device";
  return "special file";
}

}  // namespace

ContentCheck::ContentCheck() = default;

void ContentCheck::begin(uint64_t size, int disk_fd) {
  sha_.reset();
  size_ = size;
  hashed_ = 0;
  disk_fd_ = disk_fd;
  differs_ = false;
  first_difference_ = 0;
}

void ContentCheck::hash_to(uint64_t offset) {
  if (offset <= hashed_) return;
  static const std::byte zeros[64 * 1024] = {};
  uint64_t at = hashed_;
  while (disk_fd_ >= 0 && !differs_ && at < offset) {
    size_t k = static_cast<size_t>(std::min<uint64_t>(offset - at, sizeof zeros));
    compare(zeros, k, at);
    at += k;
  }
  sha_.update_zeros(offset - hashed_);
  hashed_ = offset;
}

void ContentCheck::block(const void* data, size_t size, int64_t offset) {
  if (offset < 0 || static_cast<uint64_t>(offset) < hashed_) return;  // libarchive never goes back
  hash_to(static_cast<uint64_t>(offset));
  sha_.update(data, size);
  if (disk_fd_ >= 0 && !differs_) compare(data, size, hashed_);
  hashed_ += size;
}

void ContentCheck::compare(const void* data, size_t size, uint64_t offset) {
  if (disk_buf_.empty()) disk_buf_.resize(kDiskRead);
  const auto* want = static_cast<const std::byte*>(data);
  size_t done = 0;
  while (done < size && !differs_) {
    size_t n = std::min(size - done, disk_buf_.size());
    ssize_t got = pread(disk_fd_, disk_buf_.data(), n, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    size_t have = got > 0 ? static_cast<size_t>(got) : 0;
    size_t same = 0;
    while (same < have && disk_buf_[same] == want[done + same]) ++same;
    if (same < n) {
      differs_ = true;
      first_difference_ = offset + done + same;
    }
    done += n;
  }
}

Sha256Digest ContentCheck::finish(std::vector<std::string>& differences) {
  hash_to(size_);
  if (disk_fd_ >= 0 && differs_) differences.push_back(fmt::format("Contents differ at offset {}", first_difference_));
  disk_fd_ = -1;
  return sha_.finish();
}

std::vector<std::string> compare_entry(const Dir& root, const std::string& rel, archive_entry* e,
                                       UniqueFd& content_fd) {
  std::vector<std::string> diff;
  content_fd.reset();
  struct stat st{};
  const bool is_root = rel.empty() || rel == ".";
  const size_t slash = rel.rfind('/');
  const std::string leaf = is_root ? "." : rel.substr(slash == std::string::npos ? 0 : slash + 1);
  Dir parent;
  if (is_root) {
    parent = root;
  } else if (auto s = open_beneath(root, slash == std::string::npos ? "" : rel.substr(0, slash), false, parent); !s) {
    diff.push_back(fmt::format("Cannot reach it on disk: {}", printable(s.text())));
    return diff;
  }
  if (fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    diff.push_back(errno == ENOENT ? std::string("Does not exist on disk") : fmt::format("Cannot stat: {}", strerror(errno)));
    return diff;
  }
  const mode_t want_type = archive_entry_hardlink(e) ? S_IFREG : archive_entry_filetype(e);
  if ((st.st_mode & S_IFMT) != want_type) {
    diff.push_back(fmt::format("File type differs (archive: {}, disk: {})", kind(want_type), kind(st.st_mode)));
    return diff;
  }
  if ((st.st_mode & 07777) != (archive_entry_perm(e) & 07777))
    diff.push_back(fmt::format("Mode differs (archive: {:04o}, disk: {:04o})", archive_entry_perm(e) & 07777,
                               st.st_mode & 07777));
  if (S_ISDIR(st.st_mode) || archive_entry_hardlink(e)) return diff;  // as GNU tar: a directory's times change with its contents
  if (static_cast<int64_t>(st.st_uid) != archive_entry_uid(e)) diff.push_back("Uid differs");
  if (static_cast<int64_t>(st.st_gid) != archive_entry_gid(e)) diff.push_back("Gid differs");
  if (st.st_mtim.tv_sec != archive_entry_mtime(e)) diff.push_back("Mod time differs");
  if (S_ISLNK(st.st_mode)) {
    const char* want = archive_entry_symlink(e);
    std::string have(PATH_MAX, '\0');
    ssize_t n = readlinkat(parent.get(), leaf.c_str(), have.data(), have.size());
    if (n < 0 || !want || std::string_view(have.data(), static_cast<size_t>(n)) != want)
      diff.push_back("Symlink differs");
  }
  if (S_ISREG(st.st_mode)) {
    if (static_cast<int64_t>(st.st_size) != archive_entry_size(e))
      diff.push_back(fmt::format("Size differs (archive: {}, disk: {})", archive_entry_size(e), st.st_size));
    content_fd = UniqueFd(openat(parent.get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    // Swapped for something else since the stat (a device there could act
    // on being opened; nothing is read from one): compare with nothing.
    struct stat now{};
    if (content_fd && (fstat(content_fd.get(), &now) != 0 || !S_ISREG(now.st_mode) || now.st_ino != st.st_ino ||
                       now.st_dev != st.st_dev)) {
      content_fd.reset();
      diff.push_back("Changed while being compared");
    }
  }
  return diff;
}

}  // namespace ndmp::backup

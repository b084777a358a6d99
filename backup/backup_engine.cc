#include "backup/backup_engine.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "backup/digest.h"
#include "backup/size_estimate.h"
#include "common/escape.h"
#include "common/log.h"

namespace ndmp::backup {
namespace {

constexpr size_t kBlock = 1 << 20;  // data read size and sink write size

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) { reset(); fd = std::exchange(o.fd, -1); }
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

FileType type_of(mode_t m) {
  if (S_ISREG(m)) return FileType::regular;
  if (S_ISDIR(m)) return FileType::directory;
  if (S_ISLNK(m)) return FileType::symlink;
  if (S_ISBLK(m)) return FileType::block_device;
  if (S_ISCHR(m)) return FileType::char_device;
  if (S_ISFIFO(m)) return FileType::fifo;
  if (S_ISSOCK(m)) return FileType::socket;
  return FileType::other;
}

Timestamp ts(const timespec& t) { return {t.tv_sec, static_cast<int32_t>(t.tv_nsec)}; }

}  // namespace

const char* to_string(FileType t) {
  switch (t) {
    case FileType::regular: return "regular";
    case FileType::directory: return "directory";
    case FileType::symlink: return "symlink";
    case FileType::block_device: return "block_device";
    case FileType::char_device: return "char_device";
    case FileType::fifo: return "fifo";
    case FileType::socket: return "socket";
    case FileType::other: return "other";
  }
  return "?";
}

// One backup run: owns the libarchive handles and the reused buffers.
struct BackupEngine::Run {
  BackupEngine& eng;
  std::string source;  // FILESYSTEM's name, for dumpdates and the log
  std::optional<Timestamp> base;
  dev_t root_dev = 0;
  std::atomic<bool> estimate_stop{false};
  std::thread estimator;  // the size estimate's walk, beside the backup's

  archive* writer = nullptr;
  archive* disk = nullptr;
  archive_entry_linkresolver* links = nullptr;
  archive_entry* entry = nullptr;

  std::vector<std::byte> data;     // file data, read in kBlock pieces
  std::vector<std::byte> zeros;    // fed for holes and shrunk files
  std::vector<std::byte> staging;  // coalesces libarchive's small writes
  size_t staged = 0;
  uint64_t stream_bytes = 0;       // bytes libarchive has produced = next header offset
  Sha256 sha;                      // the current regular file's content (digest.h)
  Status sink_status;
  Status stop;                     // first fatal reason
  BackupSummary summary;

  explicit Run(BackupEngine& e) : eng(e) {}
  ~Run() {
    stop_estimate();
    if (entry) archive_entry_free(entry);
    if (links) archive_entry_linkresolver_free(links);
    if (writer) archive_write_free(writer);
    if (disk) archive_read_free(disk);
  }

  void warn(const std::string& text) {
    ++summary.warnings;
    log::warn("backup {}: {}", log::escape(source), text);
    if (eng.warnings_) eng.warnings_->warning(text);
  }

  static la_ssize_t write_cb(archive*, void* client, const void* buf, size_t len) {
    auto* r = static_cast<Run*>(client);
    if (!r->sink_status) return -1;
    auto* p = static_cast<const std::byte*>(buf);
    if (len >= r->staging.size() / 2) {
      // File data arrives in kBlock pieces straight from copy_data (no
      // blocking inside libarchive): hand it on as it is, after what is
      // staged, instead of copying every data byte once more.
      if (!r->flush()) return -1;
      r->sink_status = r->eng.sink_.write(std::span<const std::byte>(p, len));
      if (!r->sink_status) return -1;
      r->eng.add_written(len);
      r->stream_bytes += len;
      return static_cast<la_ssize_t>(len);
    }
    size_t left = len;
    while (left > 0) {
      size_t n = std::min(left, r->staging.size() - r->staged);
      std::memcpy(r->staging.data() + r->staged, p, n);
      r->staged += n;
      p += n;
      left -= n;
      if (r->staged == r->staging.size() && !r->flush()) return -1;
    }
    r->stream_bytes += len;
    return static_cast<la_ssize_t>(len);
  }

  bool flush() {
    if (staged == 0) return true;
    sink_status = eng.sink_.write(std::span<const std::byte>(staging.data(), staged));
    if (!sink_status) return false;
    eng.add_written(staged);
    staged = 0;
    return true;
  }

  Status archive_failure(const char* what) {
    if (!sink_status) return sink_status;
    return Status::io_error(fmt::format("{}: {}", what, archive_error_string(writer) ? archive_error_string(writer) : "?"));
  }

  Status open() {
    data.resize(kBlock);
    zeros.assign(kBlock, std::byte{0});
    staging.resize(kBlock);
    writer = archive_write_new();
    disk = archive_read_disk_new();
    links = archive_entry_linkresolver_new();
    entry = archive_entry_new();
    if (!writer || !disk || !links || !entry) return Status::io_error("out of memory creating archive handles");
    // Full pax (not pax_restricted): it always records atime/ctime and
    // sub-second times, which pax_restricted drops unless another field
    // forces an extended header.
    archive_write_set_format_pax(writer);
    // No blocking inside libarchive: every byte reaches write_cb at once, so
    // stream_bytes before archive_write_header is exactly the header offset.
    archive_write_set_bytes_per_block(writer, 0);
    archive_write_set_bytes_in_last_block(writer, 1);
    archive_entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);
    archive_read_disk_set_standard_lookup(disk);  // uid/gid -> names
    archive_read_disk_set_symlink_physical(disk);
    if (archive_write_open(writer, this, nullptr, write_cb, nullptr) != ARCHIVE_OK)
      return archive_failure("cannot start the archive");
    return Status::Ok();
  }

  bool excluded(const std::string& name, const std::string& rel) const { return selection().excluded(name, rel); }
  bool changed(const struct stat& st) const { return selection().changed(st); }
  Selection selection() const { return Selection(eng.req_.options, base); }

  Status check_cancel() const {
    if (eng.cancel_.load()) return Status::aborted("backup aborted");
    return Status::Ok();
  }

  Status write_data(const std::byte* p, size_t n) {
    while (n > 0) {
      la_ssize_t w = archive_write_data(writer, p, n);
      if (w < 0) return archive_failure("cannot write file data");
      if (w == 0) return Status::Ok();  // entry is full (file grew): cut here
      p += w;
      n -= static_cast<size_t>(w);
    }
    return Status::Ok();
  }

  Status write_zeros(uint64_t n) {
    while (n > 0) {
      if (auto st = check_cancel(); !st) return st;
      size_t k = static_cast<size_t>(std::min<uint64_t>(n, zeros.size()));
      sha.update(zeros.data(), k);
      if (auto st = write_data(zeros.data(), k); !st) return st;
      n -= k;
    }
    return Status::Ok();
  }

  // Writes exactly `size` logical bytes (holes as zeros, which the pax
  // writer drops for sparse entries) so the entry always matches its header.
  Status copy_data(int fd, const std::string& rel, uint64_t size) {
    std::vector<std::pair<uint64_t, uint64_t>> regions;
    if (archive_entry_sparse_reset(entry) > 0) {
      la_int64_t off, len;
      while (archive_entry_sparse_next(entry, &off, &len) == ARCHIVE_OK)
        regions.emplace_back(static_cast<uint64_t>(off), static_cast<uint64_t>(len));
    } else {
      regions.emplace_back(0, size);
    }
    uint64_t pos = 0;
    for (auto [off, len] : regions) {
      uint64_t end = std::min(size, off + len);
      if (off > pos) {
        if (off >= size) break;
        if (auto st = write_zeros(off - pos); !st) return st;
        pos = off;
      }
      while (pos < end) {
        if (auto st = check_cancel(); !st) return st;
        size_t want = static_cast<size_t>(std::min<uint64_t>(end - pos, data.size()));
        ssize_t got = pread(fd, data.data(), want, static_cast<off_t>(pos));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          warn(got == 0 ? fmt::format("/{} shrank to {} bytes while being read; padded with zeros to {}", rel, pos, size)
                        : fmt::format("/{}: read error at offset {} ({}); rest padded with zeros", rel, pos, strerror(errno)));
          return write_zeros(size - pos);
        }
        sha.update(data.data(), static_cast<size_t>(got));
        if (auto st = write_data(data.data(), static_cast<size_t>(got)); !st) return st;
        pos += static_cast<uint64_t>(got);
      }
    }
    if (pos < size) return write_zeros(size - pos);
    return Status::Ok();
  }

  // The entry's metadata. Most files have no holes, no xattrs and hence no
  // ACLs (Linux keeps ACLs in xattrs): for those, stat, owner names and the
  // inode flags are all libarchive would find, taken here from what the walk
  // already has. Symlinks, devices and FIFOs are never opened: stat, names
  // and (symlinks) the target read relative to their directory's descriptor;
  // their xattrs are not archived (a restore does not set them either).
  // Files and directories with xattrs or possible holes go through
  // archive_read_disk_entry_from_file, whose sparse probe and ACL/xattr
  // look-ups cost ten system calls a file; its by-name look-ups (a
  // directory's default ACL) are pointed at the open descriptor through
  // /proc/self/fd, so no name below the export is resolved again.
  int read_metadata(int fd, int dirfd, const std::string& name, const struct stat& st) {
    if (fd < 0) {
      archive_entry_copy_stat(entry, &st);
      if (const char* u = archive_read_disk_uname(disk, st.st_uid)) archive_entry_copy_uname(entry, u);
      if (const char* g = archive_read_disk_gname(disk, st.st_gid)) archive_entry_copy_gname(entry, g);
      if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = readlinkat(dirfd, name.c_str(), target.data(), target.size());
        if (n < 0 || static_cast<size_t>(n) >= target.size()) {
          archive_set_error(disk, n < 0 ? errno : EAGAIN, "cannot read the symlink: %s",
                            n < 0 ? strerror(errno) : "it changed while being read");
          return ARCHIVE_FAILED;
        }
        target.resize(static_cast<size_t>(n));
        archive_entry_copy_symlink(entry, target.c_str());
      }
      return ARCHIVE_OK;
    }
    bool plain = S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_blocks) * 512 >=
                                                                    static_cast<uint64_t>(st.st_size));
    if (plain) {
      ssize_t x = ::flistxattr(fd, nullptr, 0);
      plain = x == 0 || (x < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP));
    }
    if (!plain) {
      archive_entry_copy_sourcepath(entry, fmt::format("/proc/self/fd/{}", fd).c_str());
      return archive_read_disk_entry_from_file(disk, entry, fd, &st);
    }
    archive_entry_copy_stat(entry, &st);
    if (const char* u = archive_read_disk_uname(disk, st.st_uid)) archive_entry_copy_uname(entry, u);
    if (const char* g = archive_read_disk_gname(disk, st.st_gid)) archive_entry_copy_gname(entry, g);
    int flags = 0;  // chattr flags (nodump, immutable, ...), as libarchive records them
    if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && flags != 0)
      archive_entry_set_fflags(entry, static_cast<unsigned long>(flags), 0);
    return ARCHIVE_OK;
  }

  // `dirfd` holds `name` (-1 for the root, which is always open).
  Status write_entry(int fd, int dirfd, const struct stat& st, const std::string& rel, const std::string& name,
                     uint64_t parent_ino) {
    archive_entry_clear(entry);
    archive_entry_copy_pathname(entry, rel.empty() ? "." : rel.c_str());
    int r = read_metadata(fd, dirfd, name, st);
    if (r == ARCHIVE_WARN) {
      warn(fmt::format("/{}: {}", log::escape(rel), archive_error_string(disk) ? archive_error_string(disk) : "metadata incomplete"));
    } else if (r != ARCHIVE_OK) {
      warn(fmt::format("/{} skipped: {}", log::escape(rel), archive_error_string(disk) ? archive_error_string(disk) : "cannot read metadata"));
      ++summary.skipped;
      return Status::Ok();
    }
    bool link_entry = false;
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      archive_entry* e = entry;
      archive_entry* spare = nullptr;
      archive_entry_linkify(links, &e, &spare);
      if (archive_entry_hardlink(entry) != nullptr) {
        link_entry = true;
        archive_entry_sparse_clear(entry);
      }
    }
    uint64_t offset = stream_bytes;
    r = archive_write_header(writer, entry);
    if (r == ARCHIVE_FATAL) return archive_failure(fmt::format("cannot write header of /{}", rel).c_str());
    if (r == ARCHIVE_FAILED) {
      warn(fmt::format("/{} skipped: {}", log::escape(rel), archive_error_string(writer)));
      ++summary.skipped;
      return Status::Ok();
    }
    if (r == ARCHIVE_WARN) warn(fmt::format("/{}: {}", log::escape(rel), archive_error_string(writer)));

    FileHistoryEntry fh;
    fh.path = "/" + rel;
    fh.name = rel.empty() ? "." : name;
    fh.parent_inode = parent_ino;
    fh.stat = {type_of(st.st_mode), static_cast<uint32_t>(st.st_mode & 07777), st.st_uid, st.st_gid,
               static_cast<uint64_t>(st.st_size), ts(st.st_mtim), ts(st.st_atim), ts(st.st_ctim),
               static_cast<uint64_t>(st.st_nlink), static_cast<uint64_t>(st.st_ino)};
    fh.fh_info = offset;
    eng.set_progress(fh.path, summary.entries);  // once per entry: a mutex and a string copy
    if (eng.history_ && eng.req_.options.history != HistoryMode::none)
      if (auto s = eng.history_->add(fh); !s) return s;

    const bool has_data = S_ISREG(st.st_mode) && !link_entry && st.st_size > 0;
    if (has_data) {
      sha.reset();
      if (auto s = copy_data(fd, rel, static_cast<uint64_t>(st.st_size)); !s) return s;
    }
    if (archive_write_finish_entry(writer) == ARCHIVE_FATAL) return archive_failure("cannot finish entry");
    if (has_data) {
      // After the padded data, where the next header would go (digest.h);
      // libarchive holds nothing back (bytes_per_block 0), so this is the
      // stream's next byte.
      const auto rec = encode_digest_record({sha.finish(), offset, static_cast<uint64_t>(st.st_size)});
      if (write_cb(writer, this, rec.data(), rec.size()) < 0) return archive_failure("cannot write the digest record");
    }
    ++summary.entries;
    return Status::Ok();
  }

  using Child = DirChild;
  static bool list_dir(int dirfd, std::vector<Child>& out) { return list_dir_sorted(dirfd, out); }

  Status walk_dir(int dirfd, const std::string& rel, uint64_t dir_ino) {
    std::vector<Child> children;
    if (!list_dir(dirfd, children)) {
      warn(fmt::format("/{}: cannot list directory: {}", log::escape(rel), strerror(errno)));
      return Status::Ok();
    }
    for (const auto& c : children) {
      if (auto st = check_cancel(); !st) return st;
      std::string child = rel.empty() ? c.name : rel + "/" + c.name;
      if (auto st = visit(dirfd, c, child, dir_ino); !st) return st;
    }
    return Status::Ok();
  }

  void skip_vanished_or_failed(const std::string& rel, int err, const char* what) {
    warn(err == ENOENT ? fmt::format("/{} vanished before it was archived; skipped", rel)
                       : fmt::format("/{} {} ({}); skipped", rel, what, strerror(err)));
    ++summary.skipped;
  }

  // Regular files and directories are opened first and stat'ed through the
  // descriptor (one stat, and what is archived is what was opened). Other
  // types are never opened (opening a device can act on it: a tape rewinds),
  // so they, names whose type readdir does not give, and names that turned
  // into something else since readdir are stat'ed by name first.
  Status visit(int dirfd, const Child& c, const std::string& rel, uint64_t parent_ino) {
    const std::string& name = c.name;
    if (excluded(name, rel)) {
      log::debug("backup {}: /{} excluded", log::escape(source), log::escape(rel));
      return Status::Ok();
    }
    const int base_flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    struct stat st{};
    Fd fd;
    if (c.type == DT_REG || c.type == DT_DIR) {
      fd = Fd(openat(dirfd, name.c_str(), base_flags | (c.type == DT_DIR ? O_DIRECTORY : 0)));
      if (fd.fd < 0 && errno == ENOENT) {
        skip_vanished_or_failed(rel, ENOENT, "");
        return Status::Ok();
      }
      if (fd.fd >= 0 && fstat(fd.fd, &st) != 0) {
        skip_vanished_or_failed(rel, errno, "cannot be examined");
        return Status::Ok();
      }
      // Not what readdir said (a symlink now: ELOOP; a file now: ENOTDIR):
      // fall through to the careful path.
      if (fd.fd >= 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) fd.reset();
    }
    if (fd.fd < 0) {
      if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        skip_vanished_or_failed(rel, errno, "cannot be examined");
        return Status::Ok();
      }
      if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        fd = Fd(openat(dirfd, name.c_str(), base_flags | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0)));
        if (fd.fd < 0) {
          skip_vanished_or_failed(rel, errno, "unreadable");
          return Status::Ok();
        }
        struct stat now{};
        // Replaced between stat and open (e.g. by a symlink or another
        // file): archive what is there now only if it is the same object.
        if (fstat(fd.fd, &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
          warn(fmt::format("/{} was replaced while being archived; skipped", log::escape(rel)));
          ++summary.skipped;
          return Status::Ok();
        }
        st = now;
      }
    }
    if (S_ISSOCK(st.st_mode)) {
      log::info("backup {}: /{} is a socket; not archived", log::escape(source), log::escape(rel));
      ++summary.skipped;
      return Status::Ok();
    }
    if (!changed(st)) return Status::Ok();
    if (auto s = write_entry(fd.fd, dirfd, st, rel, name, parent_ino); !s) return s;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != root_dev) {
        log::info("backup {}: /{} is a mount point; not crossing into it", log::escape(source), log::escape(rel));
        return Status::Ok();
      }
      return walk_dir(fd.fd, rel, static_cast<uint64_t>(st.st_ino));
    }
    return Status::Ok();
  }

  // The size estimate (size_estimate.h): given by the caller when it walked
  // the tree already (the server's space check), else walked here on a
  // thread of its own, so that the backup does not wait for a walk of the
  // whole tree first. DATA_GET_STATE reports no estimate until it is known.
  void start_estimate(int root_fd, const struct stat& root_st) {
    if (eng.req_.known_estimate) {
      log::info("backup {}: estimated {} bytes (before the job)", log::escape(source), *eng.req_.known_estimate);
      std::lock_guard lk(eng.progress_mu_);
      eng.progress_.est_total_bytes = *eng.req_.known_estimate;
      return;
    }
    int fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    estimator = std::thread([this, fd, root_st] {
      Fd root(fd);
      EstimateLimits limits;
      limits.stop = &estimate_stop;
      limits.stop_too = &eng.cancel_;
      const SizeEstimate est = estimate_tree(root.fd, root_st, selection(), limits);
      if (!est.complete) return;
      log::info("backup {}: estimated {} bytes", log::escape(source), est.bytes);
      std::lock_guard lk(eng.progress_mu_);
      eng.progress_.est_total_bytes = est.bytes;
    });
  }

  void stop_estimate() {
    estimate_stop = true;
    if (estimator.joinable()) estimator.join();
    eng.set_progress({}, summary.entries);
  }

  Status walk_all(int root_fd, const struct stat& root_st) {
    if (auto s = write_entry(root_fd, -1, root_st, "", ".", static_cast<uint64_t>(root_st.st_ino)); !s) return s;
    return walk_dir(root_fd, "", static_cast<uint64_t>(root_st.st_ino));
  }

  Status execute() {
    const auto& opt = eng.req_.options;
    if (!eng.req_.source) return Status::invalid_argument("no source directory given");
    source = eng.req_.source.name;
    if (eng.req_.state_dir.empty()) {
      if (opt.level > 0)
        return Status::invalid_argument(fmt::format("LEVEL={} needs a dumpdates record but no state directory is configured", opt.level));
      if (opt.update) log::info("backup {}: no state directory configured; dump date not recorded", log::escape(source));
    }
    DumpDates dates(eng.req_.state_dir);
    if (opt.level > 0)
      if (auto s = dates.base_for(source, opt.level, base); !s) return s;
    summary.base_date = base;
    summary.dump_date = eng.req_.point_in_time.value_or(now_realtime());

    // A description of our own: the listing's offset is not shared.
    Fd root(openat(eng.req_.source.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root.fd < 0) return Status::io_error(fmt::format("cannot open {}: {}", source, strerror(errno)));
    struct stat root_st{};
    if (fstat(root.fd, &root_st) != 0) return Status::io_error(fmt::format("cannot stat {}: {}", source, strerror(errno)));
    root_dev = root_st.st_dev;

    if (auto s = open(); !s) return s;
    start_estimate(root.fd, root_st);
    log::info("backup {}: level {} ({})", log::escape(source), opt.level,
              base ? fmt::format("changes since {}.{:09d}", base->sec, base->nsec) : std::string("full"));
    if (auto s = walk_all(root.fd, root_st); !s) return s;
    // The estimate is a stat walk, faster than the backup's: let it finish
    // so a short job still reports one (a failed job stops it in ~Run).
    if (estimator.joinable()) estimator.join();
    if (archive_write_close(writer) != ARCHIVE_OK) return archive_failure("cannot end the archive");
    if (!flush()) return sink_status;
    summary.bytes_written = stream_bytes;

    if (opt.update && !eng.req_.state_dir.empty())
      if (auto s = dates.record(source, opt.level, summary.dump_date); !s) return s;
    summary.env_additions = {{"PATHNAME_SEPARATOR", "/"},
                             {"LEVEL", std::to_string(opt.level)},
                             {"DUMP_DATE", std::to_string(summary.dump_date.sec)}};
    if (base) summary.env_additions.emplace_back("BASE_DATE", std::to_string(base->sec));
    log::info("backup {}: done, {} entries, {} bytes, {} skipped, {} warnings", log::escape(source), summary.entries,
              summary.bytes_written, summary.skipped, summary.warnings);
    return Status::Ok();
  }
};

BackupEngine::BackupEngine(BackupRequest request, ByteSink& sink, FileHistorySink* history, WarningSink* warnings)
    : req_(std::move(request)), sink_(sink), history_(history), warnings_(warnings) {}

BackupEngine::~BackupEngine() = default;

void BackupEngine::cancel() { cancel_.store(true); }

BackupProgress BackupEngine::progress() const {
  std::lock_guard lk(progress_mu_);
  return progress_;
}

void BackupEngine::set_progress(const std::string& path, uint64_t files) {
  std::lock_guard lk(progress_mu_);
  progress_.current_path = path;
  progress_.files_done = files;
}

void BackupEngine::add_written(uint64_t n) {
  std::lock_guard lk(progress_mu_);
  progress_.bytes_written += n;
}

Status BackupEngine::run(BackupSummary* summary) {
  Run r(*this);
  Status s = r.execute();
  if (!s) log::error("backup {}: stopped: {}", r.source.empty() ? req_.options.filesystem : r.source, s.to_string());
  if (summary) *summary = r.summary;
  return s;
}

}  // namespace ndmp::backup

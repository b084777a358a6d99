#include "backup/restore_engine.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "common/log.h"

namespace ndmp::backup {
namespace {

constexpr size_t kBlock = 1 << 20;

struct NameState {
  std::optional<std::string> name;  // canonical original path
  std::optional<std::string> dest;  // canonical destination
  uint64_t entries = 0;
  uint64_t failures = 0;
  std::string first_failure;
  bool reported = false;
};

const char* or_unknown(const char* s) { return s ? s : "unknown error"; }

}  // namespace

const char* to_string(NameOutcome o) {
  switch (o) {
    case NameOutcome::restored: return "restored";
    case NameOutcome::not_found: return "not_found";
    case NameOutcome::failed: return "failed";
  }
  return "?";
}

struct RestoreEngine::Impl {
  RestoreRequest req;
  RestoreReporter* reporter;
  WarningSink* warnings;
  std::string root;  // realpath of destination_root
  Status root_status;
  std::vector<NameState> names;
  archive* disk = nullptr;
  std::vector<std::byte> buf;
  bool finished = false;
  std::atomic<bool> cancelled{false};
  mutable std::mutex mu;
  RestoreProgress prog;
  RestoreSummary sum;

  // Per-pass read context.
  ByteSource* source = nullptr;
  Status source_status;

  Impl(RestoreRequest r, RestoreReporter* rep, WarningSink* w)
      : req(std::move(r)), reporter(rep), warnings(w) {
    buf.resize(kBlock);
    for (const auto& e : req.nlist) {
      NameState s;
      s.name = canonical_nlist_name(e.original_path);
      s.dest = e.destination.empty() ? s.name : canonical_nlist_name(e.destination);
      names.push_back(std::move(s));
    }
    root_status = prepare_root();
  }

  ~Impl() {
    if (disk) archive_write_free(disk);
  }

  Status prepare_root() {
    if (req.destination_root.empty()) return Status::invalid_argument("no restore destination given");
    if (mkdir(req.destination_root.c_str(), 0700) != 0 && errno != EEXIST)
      return Status::io_error(fmt::format("cannot create {}: {}", req.destination_root, strerror(errno)));
    char b[PATH_MAX];
    if (!realpath(req.destination_root.c_str(), b))
      return Status::io_error(fmt::format("cannot resolve {}: {}", req.destination_root, strerror(errno)));
    root = b;
    struct stat st{};
    if (stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Status::invalid_argument(fmt::format("restore destination {} is not a directory", root));
    disk = archive_write_disk_new();
    if (!disk) return Status::io_error("out of memory creating the disk writer");
    int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
                ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS;
    if (req.restore_owner.value_or(geteuid() == 0)) flags |= ARCHIVE_EXTRACT_OWNER;
    archive_write_disk_set_options(disk, flags);
    archive_write_disk_set_standard_lookup(disk);
    return Status::ok();
  }

  void warn(const std::string& text) {
    log::warn("restore {}: {}", root, text);
    if (warnings) warnings->warning(text);
  }

  static la_ssize_t read_cb(archive*, void* client, const void** out) {
    auto* self = static_cast<Impl*>(client);
    if (self->cancelled.load()) {
      self->source_status = Status::aborted("restore aborted");
      return -1;
    }
    size_t got = 0;
    self->source_status = self->source->read(std::span<std::byte>(self->buf.data(), self->buf.size()), got);
    if (!self->source_status) return -1;
    *out = self->buf.data();
    std::lock_guard lk(self->mu);
    self->prog.bytes_read += got;
    self->sum.bytes_read += got;
    return static_cast<la_ssize_t>(got);
  }

  // Longest requested name selecting `path`, or -1. With an empty list
  // everything is selected (returns -2 then).
  int select(const std::string& path) const {
    if (names.empty()) return -2;
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      const auto& n = names[i];
      if (!n.name || !n.dest || !(req.recursive ? selects(*n.name, path) : *n.name == path)) continue;
      if (best < 0 || n.name->size() > best_len) best = static_cast<int>(i), best_len = n.name->size();
    }
    return best;
  }

  std::string map(int idx, const std::string& path) const {
    std::string rel = path;
    if (idx >= 0) {
      const auto& n = names[static_cast<size_t>(idx)];
      std::string rest = path.substr(n.name->size());  // "" or "/x/y"
      rel = *n.dest + rest;
      if (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
    }
    return rel.empty() ? root : root + "/" + rel;
  }

  void report(size_t i, NameResult r) {
    auto& n = names[i];
    if (n.reported) return;
    n.reported = true;
    log::info("restore {}: {} {}{}", root, req.nlist[i].original_path, to_string(r.outcome),
              r.reason.empty() ? "" : " (" + r.reason + ")");
    if (reporter) reporter->name_result(i, req.nlist[i], r);
  }

  void note_failure(int idx, const std::string& reason) {
    std::lock_guard lk(mu);
    ++sum.entries_failed;
    if (idx < 0) return;
    auto& n = names[static_cast<size_t>(idx)];
    if (n.failures++ == 0) n.first_failure = reason;
  }

  // Restores the entry the reader is positioned at. Returns non-OK only for
  // what stops the whole restore.
  Status restore_entry(archive* rd, archive_entry* e, const std::string& path, int idx) {
    std::string target = map(idx, path);
    std::string shown = "/" + path;
    {
      std::lock_guard lk(mu);
      prog.current_path = shown;
    }
    if (const char* hl = archive_entry_hardlink(e)) {
      auto link = canonical_relative(hl);
      if (!link) {
        warn(fmt::format("{} refused: hard link target \"{}\" is absolute or contains ..", shown, hl));
        std::lock_guard lk(mu);
        ++sum.entries_refused;
        if (idx >= 0 && names[static_cast<size_t>(idx)].failures++ == 0)
          names[static_cast<size_t>(idx)].first_failure = "unsafe hard link target refused";
        return Status::ok();
      }
      int lidx = select(*link);
      std::string link_target = map(lidx == -1 ? -2 : lidx, *link);
      struct stat lst{};
      // Tar stores a hard link's data once, with its first name. Restoring
      // a later name alone cannot work; say what to ask for instead.
      if (lstat(link_target.c_str(), &lst) != 0) {
        std::string why = fmt::format("hard link to /{}, whose data comes first in the archive and was not restored; "
                                      "restore that name too", *link);
        warn(fmt::format("{} not restored: {}", shown, why));
        note_failure(idx, why);
        return Status::ok();
      }
      archive_entry_copy_hardlink(e, link_target.c_str());
    }
    archive_entry_copy_pathname(e, target.c_str());
    int r = archive_write_header(disk, e);
    if (r == ARCHIVE_WARN) warn(fmt::format("{}: {}", shown, or_unknown(archive_error_string(disk))));
    if (r < ARCHIVE_WARN) {
      std::string why = or_unknown(archive_error_string(disk));
      int err = archive_errno(disk);
      if (err == ENOSPC || err == EDQUOT)
        return Status::disk_full(fmt::format("destination full writing {}: {}", target, why));
      warn(fmt::format("{} not restored: {}", shown, why));
      note_failure(idx, why);
      if (r == ARCHIVE_FATAL) return Status::io_error(fmt::format("{}: {}", shown, why));
      return Status::ok();
    }
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
      const void* data;
      size_t size;
      la_int64_t offset;
      for (;;) {
        r = archive_read_data_block(rd, &data, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
          // The stream ended inside this file's data (connection lost, bad
          // archive): a file with a zero-filled tail must not look restored.
          archive_write_finish_entry(disk);
          if (::unlink(target.c_str()) == 0) log::info("restore {}: removed partial {}", root, target);
          if (!source_status) return source_status;
          return Status::corrupt(fmt::format("reading data of {}: {}", shown, or_unknown(archive_error_string(rd))));
        }
        // write_disk reports a failed write(2) as ARCHIVE_WARN with errno
        // set; a warning without errno is only "too much data, truncated".
        la_ssize_t w = archive_write_data_block(disk, data, size, offset);
        if (w < ARCHIVE_WARN || (w == ARCHIVE_WARN && archive_errno(disk) != 0))
          return data_write_failed(target, shown, idx);
      }
    }
    r = archive_write_finish_entry(disk);
    if (r < ARCHIVE_WARN || (r == ARCHIVE_WARN && archive_errno(disk) != 0))
      return data_write_failed(target, shown, idx);
    if (idx >= 0) names[static_cast<size_t>(idx)].entries++;
    std::lock_guard lk(mu);
    ++prog.entries_restored;
    ++sum.entries_restored;
    return Status::ok();
  }

  Status data_write_failed(const std::string& target, const std::string& shown, int idx) {
    std::string why = or_unknown(archive_error_string(disk));
    int err = archive_errno(disk);
    // A half-written file looks restored to anyone who does not read the
    // log; remove it. The path is ours (mapped under root), not the archive's.
    if (::unlink(target.c_str()) == 0) log::info("restore {}: removed partial {}", root, target);
    if (err == ENOSPC || err == EDQUOT)
      return Status::disk_full(fmt::format("destination full writing {}: {}", target, why));
    warn(fmt::format("{} not restored: {}", shown, why));
    note_failure(idx, why);
    return Status::ok();
  }

  // One pass over a source. `range` null = sequential over everything.
  Status pass(ByteSource& src, const ReadRange* range) {
    if (!root_status) return root_status;
    if (finished) return Status::invalid_argument("restore already finished");
    source = &src;
    source_status = Status::ok();
    archive* rd = archive_read_new();
    if (!rd) return Status::io_error("out of memory creating the reader");
    struct Free {
      archive* a;
      ~Free() { archive_read_free(a); }
    } free_rd{rd};
    archive_read_support_format_tar(rd);
    if (archive_read_open(rd, this, nullptr, read_cb, nullptr) != ARCHIVE_OK) {
      if (!source_status) return source_status;
      return Status::corrupt(fmt::format("not a tar stream: {}", or_unknown(archive_error_string(rd))));
    }
    bool first = true;
    for (;;) {
      if (cancelled.load()) return Status::aborted("restore aborted");
      archive_entry* e = nullptr;
      int r = archive_read_next_header(rd, &e);
      if (r == ARCHIVE_EOF) break;
      if (r == ARCHIVE_WARN) warn(or_unknown(archive_error_string(rd)));
      if (r < ARCHIVE_WARN) {
        if (!source_status) return source_status;
        return Status::corrupt(fmt::format("bad tar header: {}", or_unknown(archive_error_string(rd))));
      }
      const char* raw = archive_entry_pathname(e);
      auto path = canonical_relative(raw ? raw : "");
      if (!path || !raw) {
        warn(fmt::format("entry \"{}\" refused: absolute or contains ..", raw ? raw : "(no name)"));
        std::lock_guard lk(mu);
        ++sum.entries_refused;
        first = false;
        continue;
      }
      if (range && !range->scan) {
        bool in = false;
        for (size_t i : range->names)
          in = in || (names[i].name && (req.recursive ? selects(*names[i].name, *path) : *names[i].name == *path));
        // Past the entries this range was read for (or fh_info pointed at
        // something else): stop reading; the rest is not needed.
        if (!in) {
          if (first) warn(fmt::format("direct access at offset {} found /{}, not a requested name", range->offset, *path));
          break;
        }
      }
      first = false;
      int idx = select(*path);
      if (idx == -1) continue;  // not selected; the reader skips its data
      if (auto s = restore_entry(rd, e, *path, idx); !s) return s;
      if (idx >= 0 && !names[static_cast<size_t>(idx)].reported && archive_entry_filetype(e) != AE_IFDIR &&
          *names[static_cast<size_t>(idx)].name == *path) {
        auto& n = names[static_cast<size_t>(idx)];
        report(static_cast<size_t>(idx), n.failures ? NameResult{NameOutcome::failed, n.first_failure, n.entries}
                                                    : NameResult{NameOutcome::restored, "", n.entries});
      }
    }
    return Status::ok();
  }

  Status finish() {
    if (finished) return Status::ok();
    finished = true;
    Status s;
    if (disk && archive_write_close(disk) != ARCHIVE_OK)
      s = Status::io_error(fmt::format("applying directory attributes: {}", or_unknown(archive_error_string(disk))));
    for (size_t i = 0; i < names.size(); ++i) {
      auto& n = names[i];
      if (!n.name) report(i, {NameOutcome::failed, "name is not a safe relative path", 0});
      else if (!n.dest) report(i, {NameOutcome::failed, "destination is not a safe relative path", 0});
      else if (n.failures) report(i, {NameOutcome::failed, n.first_failure, n.entries});
      else if (n.entries) report(i, {NameOutcome::restored, "", n.entries});
      else report(i, {NameOutcome::not_found, "not in the backup stream", 0});
    }
    return s;
  }
};

RestoreEngine::RestoreEngine(RestoreRequest request, RestoreReporter* reporter, WarningSink* warnings)
    : impl_(std::make_unique<Impl>(std::move(request), reporter, warnings)) {}

RestoreEngine::~RestoreEngine() = default;

Status RestoreEngine::run(ByteSource& source) {
  Status s = impl_->pass(source, nullptr);
  Status f = finish();
  if (!s) {
    log::error("restore {}: stopped: {}", impl_->root, s.to_string());
    return s;
  }
  return f;
}

Status RestoreEngine::run_range(ByteSource& source, const ReadRange& range) {
  Status s = impl_->pass(source, &range);
  if (!s) log::error("restore {}: range at {} stopped: {}", impl_->root, range.offset, s.to_string());
  return s;
}

Status RestoreEngine::finish() { return impl_->finish(); }
void RestoreEngine::cancel() { impl_->cancelled.store(true); }

RestoreProgress RestoreEngine::progress() const {
  std::lock_guard lk(impl_->mu);
  return impl_->prog;
}

RestoreSummary RestoreEngine::summary() const {
  std::lock_guard lk(impl_->mu);
  return impl_->sum;
}

}  // namespace ndmp::backup

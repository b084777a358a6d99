#include "backup/restore_engine.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "backup/tree_writer.h"
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
  std::string root;  // the destination's name, for logs
  Status root_status;
  std::vector<NameState> names;
  std::unique_ptr<TreeWriter> tree;
  std::vector<std::byte> buf;
  bool finished = false;
  std::atomic<bool> cancelled{false};
  mutable std::mutex mu;
  RestoreProgress prog;
  RestoreSummary sum;

  // Per-pass read context.
  ByteSource* source = nullptr;
  Status source_status;
  bool zero_copy = true;  // until the source says it cannot view
  size_t viewed = 0;      // bytes handed to libarchive straight from the source, to release

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

  Status prepare_root() {
    root = printable(req.destination.name.empty() ? req.destination_root : req.destination.name);
    if (!req.destination) return Status::invalid_argument("no restore destination given");
    tree = std::make_unique<TreeWriter>(req.destination, req.privileges, req.restore_owner.value_or(geteuid() == 0));
    return Status::Ok();
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
    // libarchive is done with the previous block once it asks for the next.
    self->release_viewed();
    size_t got = 0;
    const std::byte* data = nullptr;
    if (self->zero_copy && self->source->view(data, got, self->source_status)) {
      if (!self->source_status) return -1;
      self->viewed = got;
    } else {
      self->zero_copy = false;
      self->source_status = self->source->read(std::span<std::byte>(self->buf.data(), self->buf.size()), got);
      if (!self->source_status) return -1;
      data = self->buf.data();
    }
    *out = data;
    std::lock_guard lk(self->mu);
    self->prog.bytes_read += got;
    self->sum.bytes_read += got;
    return static_cast<la_ssize_t>(got);
  }

  void release_viewed() {
    if (viewed) source->release(std::exchange(viewed, 0));
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
    return rel;
  }

  void report(size_t i, NameResult r) {
    auto& n = names[i];
    if (n.reported) return;
    n.reported = true;
    log::info("restore {}: {} {}{}", root, printable(req.nlist[i].original_path), to_string(r.outcome),
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

  void refuse(int idx, const std::string& shown, const std::string& why) {
    warn(fmt::format("{} refused: {}", shown, why));
    std::lock_guard lk(mu);
    ++sum.entries_refused;
    if (idx >= 0 && names[static_cast<size_t>(idx)].failures++ == 0)
      names[static_cast<size_t>(idx)].first_failure = why;
  }

  // A failed entry: reported for its name; a full destination stops all.
  Status failed(int idx, const std::string& shown, const EntryResult& r) {
    if (r.err == ENOSPC || r.err == EDQUOT)
      return Status::disk_full(fmt::format("destination full writing {}: {}", shown, r.why));
    warn(fmt::format("{} not restored: {}", shown, r.why));
    note_failure(idx, r.why);
    return Status::Ok();
  }

  // Restores the entry the reader is positioned at. Returns non-OK only for
  // what stops the whole restore.
  Status restore_entry(archive* rd, archive_entry* e, const std::string& path, int idx) {
    const std::string rel = map(idx, path);
    const std::string shown = printable("/" + path);
    {
      std::lock_guard lk(mu);
      prog.current_path = shown;
    }
    std::optional<std::string> link, link_rel;
    if (const char* hl = archive_entry_hardlink(e)) {
      link = canonical_relative(hl);
      if (!link) {
        refuse(idx, shown, fmt::format("hard link target \"{}\" is absolute or contains ..", printable(hl)));
        return Status::Ok();
      }
      int lidx = select(*link);
      link_rel = map(lidx == -1 ? -2 : lidx, *link);
    }
    EntryResult r = tree->begin(e, rel, link_rel ? &*link_rel : nullptr);
    for (const auto& n : r.notes) warn(fmt::format("{}: {}", shown, n));
    if (r.kind == EntryResult::Kind::refused) {
      refuse(idx, shown, r.why);
      return Status::Ok();
    }
    if (r.kind == EntryResult::Kind::failed) {
      // Tar stores a hard link's data once, with its first name. Restoring
      // a later name alone cannot work; say what to ask for instead.
      if (link && r.err == ENOENT)
        r.why = fmt::format("hard link to /{}, whose data comes first in the archive and was not restored; "
                            "restore that name too", printable(*link));
      return failed(idx, shown, r);
    }
    if (tree->file_open()) {
      const void* data;
      size_t size;
      la_int64_t offset;
      for (;;) {
        int rr = archive_read_data_block(rd, &data, &size, &offset);
        if (rr == ARCHIVE_EOF) break;
        if (rr < ARCHIVE_WARN) {
          // The stream ended inside this file's data (connection lost, bad
          // archive): a file with a zero-filled tail must not look restored.
          tree->discard_file();
          log::info("restore {}: removed partial {}", root, shown);
          if (!source_status) return source_status;
          return Status::corrupt(fmt::format("reading data of {}: {}", shown, or_unknown(archive_error_string(rd))));
        }
        if (int err = tree->write_data(data, size, offset)) {
          // A half-written file looks restored to anyone who does not read
          // the log; remove it.
          tree->discard_file();
          log::info("restore {}: removed partial {}", root, shown);
          return failed(idx, shown, EntryResult::failed(strerror(err), err));
        }
      }
      r = tree->end_file(e);
      for (const auto& n : r.notes) warn(fmt::format("{}: {}", shown, n));
      if (r.kind != EntryResult::Kind::ok) return failed(idx, shown, r);
    }
    if (idx >= 0) names[static_cast<size_t>(idx)].entries++;
    std::lock_guard lk(mu);
    ++prog.entries_restored;
    ++sum.entries_restored;
    return Status::Ok();
  }

  // One pass over a source. `range` null = sequential over everything.
  Status pass(ByteSource& src, const ReadRange* range) {
    if (!root_status) return root_status;
    if (finished) return Status::invalid_argument("restore already finished");
    source = &src;
    source_status = Status::Ok();
    zero_copy = true;
    archive* rd = archive_read_new();
    if (!rd) return Status::io_error("out of memory creating the reader");
    // The reader first (it may still point into a viewed block), then the
    // block goes back to the source.
    struct Free {
      archive* a;
      Impl* self;
      ~Free() {
        archive_read_free(a);
        self->release_viewed();
      }
    } free_rd{rd, this};
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
        warn(fmt::format("entry \"{}\" refused: absolute or contains ..", raw ? printable(raw) : "(no name)"));
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
          if (first)
            warn(fmt::format("direct access at offset {} found /{}, not a requested name", range->offset, printable(*path)));
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
    return Status::Ok();
  }

  Status finish() {
    if (finished) return Status::Ok();
    finished = true;
    Status s;
    if (tree) {
      EntryResult r = tree->finish();
      for (const auto& n : r.notes) warn(n);
    }
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

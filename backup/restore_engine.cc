#include "backup/restore_engine.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "backup/content_check.h"
#include "backup/digest.h"
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

// A regular file read and hashed, waiting for the digest record that
// follows its data (digest.h).
struct PendingFile {
  std::string path;   // archive name, "/"-prefixed, raw
  std::string shown;  // the same, printable
  uint64_t header = 0;
  uint64_t size = 0;
  Sha256Digest sha{};
  int idx = -2;
  std::vector<std::string> differences;  // compare mode
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace

const char* to_string(FileResult::Outcome o) {
  switch (o) {
    case FileResult::Outcome::verified: return "verified";
    case FileResult::Outcome::unverified: return "unverified";
    case FileResult::Outcome::mismatch: return "digest mismatch";
    case FileResult::Outcome::differs: return "differs";
  }
  return "?";
}

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
  uint64_t base = 0;      // stream offset of the source's first byte

  DigestTap tap;
  ContentCheck content;
  std::optional<PendingFile> pending;
  uint64_t chain_start = 0;  // stream offset of the current entry's own first header block
  std::string last_shown = "the start";  // the last entry read, to place damage
  std::optional<uint64_t> damage_from;   // inside a damaged stretch since this offset
  std::string damage_after;
  std::string first_damage;

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
    if (req.check == CheckMode::verify) return Status::Ok();  // writes nothing, reads nothing on disk
    if (!req.destination)
      return Status::invalid_argument(req.check == CheckMode::compare ? "no directory to compare with given"
                                                                      : "no restore destination given");
    if (req.check == CheckMode::compare) return Status::Ok();
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
    self->tap.feed(data, got);
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
    if (req.check != CheckMode::restore) return check_entry(rd, e, path, idx, rel, shown);
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
      const bool hashed = has_content(e);
      if (hashed) content.begin(static_cast<uint64_t>(archive_entry_size(e)), -1);
      int write_err = 0;
      Status read = each_block(rd, shown, [&](const void* data, size_t size, int64_t offset) {
        if ((write_err = tree->write_data(data, size, offset))) return false;
        if (hashed) content.block(data, size, offset);
        return true;
      });
      if (!read || write_err) {
        // The stream ended inside this file's data (connection lost, bad
        // archive) or the write failed: a file with a zero-filled tail or
        // half written must not look restored to anyone who does not read
        // the log; remove it.
        tree->discard_file();
        log::info("restore {}: removed partial {}", root, shown);
        if (!read) return read;
        return failed(idx, shown, EntryResult::failed(strerror(write_err), write_err));
      }
      r = tree->end_file(e);
      for (const auto& n : r.notes) warn(fmt::format("{}: {}", shown, n));
      if (r.kind != EntryResult::Kind::ok) return failed(idx, shown, r);
      if (hashed) await_digest(path, shown, e, idx, {});
    }
    if (idx >= 0) names[static_cast<size_t>(idx)].entries++;
    std::lock_guard lk(mu);
    ++prog.entries_restored;
    ++sum.entries_restored;
    return Status::Ok();
  }

  // Hands the current entry's data blocks to `take` until the entry ends or
  // `take` returns false; non-OK when the stream fails inside the data.
  template <class Take>
  Status each_block(archive* rd, const std::string& shown, Take&& take) {
    const void* data;
    size_t size;
    la_int64_t offset;
    for (;;) {
      int rr = archive_read_data_block(rd, &data, &size, &offset);
      if (rr == ARCHIVE_EOF) return Status::Ok();
      if (rr < ARCHIVE_WARN) {
        if (!source_status) return source_status;
        return Status::corrupt(fmt::format("reading data of {}: {}", shown, or_unknown(archive_error_string(rd))));
      }
      if (!take(data, size, static_cast<int64_t>(offset))) return Status::Ok();
    }
  }

  static bool has_content(archive_entry* e) {
    return archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e) && archive_entry_size(e) > 0;
  }

  void await_digest(const std::string& path, const std::string& shown, archive_entry* e, int idx,
                    std::vector<std::string> differences) {
    PendingFile p;
    p.path = "/" + path;
    p.shown = shown;
    p.header = chain_start;
    p.size = static_cast<uint64_t>(archive_entry_size(e));
    p.sha = content.finish(differences);
    p.idx = idx;
    p.differences = std::move(differences);
    pending = std::move(p);
  }

  // Verify and compare: read the entry, write nothing.
  Status check_entry(archive* rd, archive_entry* e, const std::string& path, int idx, const std::string& rel,
                     const std::string& shown) {
    std::vector<std::string> diffs;
    UniqueFd disk;
    if (req.check == CheckMode::compare) diffs = compare_entry(req.destination, rel, e, disk);
    {
      std::lock_guard lk(mu);
      ++sum.entries_checked;
      ++prog.entries_restored;
    }
    if (idx >= 0) names[static_cast<size_t>(idx)].entries++;
    if (!has_content(e)) {
      if (!diffs.empty()) file_checked(idx, "/" + path, shown, {FileResult::Outcome::differs, joined(diffs)});
      return Status::Ok();
    }
    content.begin(static_cast<uint64_t>(archive_entry_size(e)), disk.get());
    Status read = each_block(rd, shown, [&](const void* data, size_t size, int64_t offset) {
      content.block(data, size, offset);
      return true;
    });
    if (!read) return read;
    await_digest(path, shown, e, idx, std::move(diffs));
    return Status::Ok();
  }

  // One file's check is complete: count it, tell the operator and the DMA.
  void file_checked(int idx, const std::string& path, const std::string& shown, const FileResult& r) {
    using O = FileResult::Outcome;
    {
      std::lock_guard lk(mu);
      if (r.outcome == O::verified) ++sum.files_verified;
      if (r.outcome == O::unverified) ++sum.files_unverified;
      if (r.outcome == O::mismatch) ++sum.digest_mismatches;
      if (r.outcome == O::differs || (r.outcome == O::mismatch && req.check == CheckMode::compare)) ++sum.entries_differ;
    }
    const bool bad = r.outcome == O::mismatch || r.outcome == O::differs;
    if (bad) warn(fmt::format("{}: {}: {}", shown, to_string(r.outcome), r.reason));
    if (idx >= 0 && bad) {
      auto& n = names[static_cast<size_t>(idx)];
      if (n.failures++ == 0) n.first_failure = fmt::format("{}: {}", shown, r.reason);
    }
    // A file named in the list gets its result as that name's; one inside
    // a named directory (or with no list) gets its own.
    const bool own_name = idx >= 0 && *names[static_cast<size_t>(idx)].name == path.substr(1);
    if (!own_name && reporter && (bad || req.check != CheckMode::restore)) reporter->file_result(path, r);
  }

  // The header chain at stream offset `at` has just been read (or the end of
  // the archive): the digest record of the file before, if any, is there.
  Status resolve_digest(uint64_t at) {
    auto rec = tap.take(at);
    chain_start = at + (rec ? kDigestRecordBytes : 0);
    if (!pending) return Status::Ok();
    PendingFile p = std::move(*pending);
    pending.reset();
    FileResult r;
    using O = FileResult::Outcome;
    if (!rec) {
      r.outcome = O::unverified;
    } else if (rec->file_offset != p.header || rec->size != p.size) {
      r = {O::mismatch, fmt::format("the digest record after it is for the file at offset {} ({} bytes), not this one "
                                    "(offset {}, {} bytes): the stream is damaged",
                                    rec->file_offset, rec->size, p.header, p.size)};
    } else if (rec->sha256 != p.sha) {
      r = {O::mismatch, fmt::format("content does not match its SHA-256 digest (recorded {}, read {})",
                                    to_hex(rec->sha256), to_hex(p.sha))};
    } else {
      r.outcome = O::verified;
    }
    if (!p.differences.empty()) {
      if (r.outcome != O::mismatch) r.outcome = O::differs, r.reason.clear();
      r.reason += (r.reason.empty() ? "" : "; ") + joined(p.differences);
    }
    file_checked(p.idx, p.path, p.shown, r);
    report_if_file_name(p.idx, p.path.substr(1));
    if (r.outcome == O::mismatch && req.check == CheckMode::restore && req.halt_on_mismatch)
      return Status::corrupt(fmt::format("{}: {}; restore halted (DIGEST_MISMATCH=halt)", p.shown, r.reason));
    return Status::Ok();
  }

  // A name that selects exactly one non-directory is done once that entry is.
  void report_if_file_name(int idx, const std::string& path) {
    if (idx < 0) return;
    auto& n = names[static_cast<size_t>(idx)];
    if (n.reported || *n.name != path) return;
    report(static_cast<size_t>(idx), n.failures ? NameResult{NameOutcome::failed, n.first_failure, n.entries}
                                                : NameResult{NameOutcome::restored, "", n.entries});
  }

  // A header that fails its checksum (a bad block on tape): GNU tar's
  // "Skipping to next header". The file it began cannot be named; the one
  // before it loses its digest check.
  Status damaged_at(uint64_t at) {
    if (damage_from) return Status::Ok();
    damage_from = at;
    damage_after = last_shown;
    if (pending) {
      file_checked(pending->idx, pending->path, pending->shown, {FileResult::Outcome::unverified, ""});
      report_if_file_name(pending->idx, pending->path.substr(1));
      pending.reset();
    }
    if (req.check == CheckMode::restore && req.halt_on_mismatch)
      return Status::corrupt(fmt::format("damaged archive at stream offset {} (after {}); restore halted "
                                         "(DIGEST_MISMATCH=halt)", at, damage_after));
    return Status::Ok();
  }

  void damage_ends(uint64_t at) {
    if (!damage_from) return;
    warn(fmt::format("damaged archive: stream bytes {} to {} (after {}) hold no readable header; skipped to the next "
                     "good one",
                     *damage_from, at, damage_after));
    {
      std::lock_guard lk(mu);
      if (sum.damaged_regions++ == 0) first_damage = fmt::format("at stream offset {}, after {}", *damage_from, damage_after);
    }
    damage_from.reset();
  }

  // One pass over a source. `range` null = sequential over everything.
  Status pass(ByteSource& src, const ReadRange* range) {
    if (!root_status) return root_status;
    if (finished) return Status::invalid_argument("restore already finished");
    source = &src;
    source_status = Status::Ok();
    zero_copy = true;
    base = range ? range->offset : 0;
    tap.restart(base);
    pending.reset();
    chain_start = base;
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
      const uint64_t at = base + static_cast<uint64_t>(archive_read_header_position(rd));
      if (r == ARCHIVE_RETRY && source_status) {
        if (auto s = damaged_at(at); !s) return s;
        continue;  // libarchive looks for the next good header, block by block
      }
      if (r >= ARCHIVE_WARN || r == ARCHIVE_EOF) {
        damage_ends(at);
        if (auto s = resolve_digest(at); !s) return s;
      }
      if (r == ARCHIVE_EOF) break;
      if (r == ARCHIVE_WARN) warn(or_unknown(archive_error_string(rd)));
      if (r < ARCHIVE_WARN) {
        if (!source_status) return source_status;
        // libarchive 3.6 cannot skip a damaged header that follows a pax
        // extended header (every entry of ours has one): say where it is.
        return Status::corrupt(fmt::format("bad tar header after {} (stream byte {} or later): {}", last_shown,
                                           chain_start, or_unknown(archive_error_string(rd))));
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
      last_shown = printable("/" + *path);
      int idx = select(*path);
      if (idx == -1) continue;  // not selected; the reader skips its data
      if (auto s = restore_entry(rd, e, *path, idx); !s) return s;
      // A file waiting for its digest is reported when the digest is in.
      if (archive_entry_filetype(e) != AE_IFDIR && !pending) report_if_file_name(idx, *path);
    }
    return Status::Ok();
  }

  Status finish() {
    if (finished) return Status::Ok();
    finished = true;
    Status s;
    if (sum.damaged_regions)
      s = Status::corrupt(fmt::format("the archive is damaged: {} stretch(es) without a readable header were skipped, "
                                      "the first {}; the files there are lost, everything else was {}",
                                      sum.damaged_regions, first_damage,
                                      req.check == CheckMode::restore ? "restored" : "checked"));
    if (tree) {
      EntryResult r = tree->finish();
      for (const auto& n : r.notes) warn(n);
    }
    if (sum.files_unverified)
      warn(fmt::format("{} file(s) carry no digest (an archive from another tool or an older ndmpd): {} without a "
                       "content check",
                       sum.files_unverified, req.check == CheckMode::restore ? "restored" : "read"));
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

std::string job_title(const RestoreRequest& req) {
  switch (req.check) {
    case CheckMode::restore: return "restore into " + req.destination_root;
    case CheckMode::verify: return "verify of the stream";
    case CheckMode::compare: return "compare with " + req.destination_root;
  }
  return "?";
}

std::string summary_text(const RestoreRequest& req, const RestoreSummary& sum, double seconds) {
  const std::string digests = fmt::format("{} file(s) matched their digest, {} mismatched, {} had none",
                                          sum.files_verified, sum.digest_mismatches, sum.files_unverified);
  const std::string what =
      req.check == CheckMode::restore
          ? fmt::format("{} entries restored, {} refused, {} failed", sum.entries_restored, sum.entries_refused,
                        sum.entries_failed)
          : fmt::format("{} entries checked", sum.entries_checked);
  const std::string differ =
      req.check == CheckMode::compare ? fmt::format("; {} differ from the disk", sum.entries_differ) : "";
  const std::string damaged =
      sum.damaged_regions ? fmt::format("; {} damaged stretch(es) skipped", sum.damaged_regions) : "";
  return fmt::format("{} done: {}; {}{}{}; {} bytes in {:.1f} s", job_title(req), what, digests, differ, damaged,
                     sum.bytes_read, seconds);
}

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

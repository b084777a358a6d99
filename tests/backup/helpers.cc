#include "helpers.h"

#include <archive.h>
#include <archive_entry.h>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <stdexcept>

namespace ndmp::backup::test {

RestoreRequest into(const std::string& dst, std::vector<NlistEntry> nlist) {
  ::mkdir(dst.c_str(), 0700);
  RestoreRequest req;
  req.destination_root = dst;
  req.nlist = std::move(nlist);
  Status s = open_dir(dst, req.destination);
  if (!s) ADD_FAILURE() << s.to_string();
  return req;
}

Status open_source(const std::string& export_root, const std::string& filesystem, Dir& out) {
  Dir exp;
  if (Status s = open_dir(export_root, exp); !s) return s;
  std::string rel;
  if (!relative_to(export_root, filesystem, rel)) return Status::invalid_argument(filesystem + " is outside the export");
  return open_beneath(exp, rel, false, out);
}

void run_backup(BackupRun& out, const std::string& export_root, const std::string& filesystem,
                const std::string& state_dir, Env extra) {
  Env env = {{"FILESYSTEM", filesystem}, {"TYPE", "tar"}, {"HIST", "y"}};
  env.insert(env.end(), extra.begin(), extra.end());
  BackupRequest req;
  req.state_dir = state_dir;
  out.status = parse_backup_env(env, req.options);
  if (!out.status) return;
  out.status = open_source(export_root, req.options.filesystem, req.source);
  if (!out.status) return;
  BackupEngine engine(req, out.sink, &out.history, &out.warnings);
  out.status = engine.run(&out.summary);
}

namespace {
struct ReadCtx {
  MemorySource src;
  std::vector<std::byte> buf = std::vector<std::byte>(65536);
};
la_ssize_t read_cb(archive*, void* c, const void** out) {
  auto* ctx = static_cast<ReadCtx*>(c);
  size_t got = 0;
  if (!ctx->src.read(ctx->buf, got)) return -1;
  *out = ctx->buf.data();
  return static_cast<la_ssize_t>(got);
}
la_ssize_t write_cb(archive*, void* c, const void* buf, size_t len) {
  auto* v = static_cast<std::vector<std::byte>*>(c);
  auto* p = static_cast<const std::byte*>(buf);
  v->insert(v->end(), p, p + len);
  return static_cast<la_ssize_t>(len);
}
}  // namespace

std::vector<Listed> list_stream(const std::vector<std::byte>& bytes, size_t offset, size_t max) {
  ReadCtx ctx{MemorySource(bytes, offset)};
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  std::vector<Listed> out;
  if (archive_read_open(a, &ctx, nullptr, read_cb, nullptr) != ARCHIVE_OK) {
    archive_read_free(a);
    return out;
  }
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    const char* u = archive_entry_uname(e);
    const char* f = archive_entry_fflags_text(e);
    out.push_back({archive_entry_pathname(e), archive_entry_size(e), archive_entry_filetype(e), u ? u : "",
                   f ? f : "", archive_entry_mtime_nsec(e)});
    if (max && out.size() == max) break;
  }
  archive_read_free(a);
  return out;
}

std::vector<std::byte> make_archive(const std::vector<HandEntry>& entries) {
  std::vector<std::byte> out;
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  archive_write_set_bytes_per_block(a, 0);
  archive_write_open(a, &out, nullptr, write_cb, nullptr);
  for (const auto& h : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, h.path.c_str());
    archive_entry_set_mode(e, h.type | (h.type == AE_IFDIR ? 0755 : 0644));
    if (!h.hardlink.empty()) {
      archive_entry_set_hardlink(e, h.hardlink.c_str());
    } else if (h.type == AE_IFLNK) {
      archive_entry_set_symlink(e, h.content.c_str());
    } else if (h.type == AE_IFREG) {
      archive_entry_set_size(e, static_cast<la_int64_t>(h.content.size()));
    }
    if (archive_write_header(a, e) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a));
    if (h.type == AE_IFREG && h.hardlink.empty()) archive_write_data(a, h.content.data(), h.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

}  // namespace ndmp::backup::test

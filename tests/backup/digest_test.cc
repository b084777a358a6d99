// Digests that travel with the data (issue 18): the record format, a
// restore and a verify that find one flipped bit and name its file, compare
// mode, archives without digests, and a forged record inside a file.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "backup/digest.h"
#include "helpers.h"
#include "tree.h"

namespace ndmp::backup::test {
namespace {

class FileResults : public RecordingReporter {
 public:
  void file_result(const std::string& path, const FileResult& r) override { files.emplace_back(path, r); }
  const FileResult* of(const std::string& path) const {
    for (const auto& [p, r] : files)
      if (p == path) return &r;
    return nullptr;
  }
  size_t count(FileResult::Outcome o) const {
    return std::count_if(files.begin(), files.end(), [o](const auto& f) { return f.second.outcome == o; });
  }
  std::vector<std::pair<std::string, FileResult>> files;
};

std::string random_text(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

// "big.bin" has a marker in the middle of its data so a test can find that
// spot in the stream.
const std::string kMarker = "<<<FLIP-THIS-BYTE>>>";

class Digests : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(src.sub("sub").c_str(), 0755);
    write_file(src.sub("a.txt"), "alpha\n");
    write_file(src.sub("big.bin"), random_text(200000, 1) + kMarker + random_text(100000, 2));
    write_file(src.sub("sub/c.txt"), random_text(70000, 3));
    write_file(src.sub("empty"), "");
    ASSERT_EQ(::link(src.sub("a.txt").c_str(), src.sub("a-link").c_str()), 0);
    run_backup(b, src.path(), src.path(), state.path());
    ASSERT_TRUE(b.status) << b.status.to_string();
  }
  // Flips one bit inside big.bin's data in a copy of the stream.
  std::vector<std::byte> damaged() const {
    std::vector<std::byte> s = b.sink.bytes;
    auto it = std::search(s.begin(), s.end(), kMarker.begin(), kMarker.end(),
                          [](std::byte a, char c) { return a == std::byte(c); });
    EXPECT_NE(it, s.end());
    if (it != s.end()) *it ^= std::byte{0x01};
    return s;
  }
  TempDir src{"src"}, dst{"dst"}, state{"state"};
  BackupRun b;
};

TEST(DigestRecord, RoundTripsAndRejectsAnyAlteredByte) {
  DigestRecord r;
  for (size_t i = 0; i < r.sha256.size(); ++i) r.sha256[i] = static_cast<uint8_t>(i * 7);
  r.file_offset = 123 * 512;
  r.size = 9ull << 30;
  auto blocks = encode_digest_record(r);
  auto back = decode_digest_record(blocks);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sha256, r.sha256);
  EXPECT_EQ(back->file_offset, r.file_offset);
  EXPECT_EQ(back->size, r.size);
  // Any change in the header (checksummed) or the body's syntax is refused.
  for (size_t at : {0u, 100u, 124u, 148u, 156u, 257u}) {
    auto bad = blocks;
    bad[at] ^= std::byte{0x04};
    EXPECT_FALSE(decode_digest_record(bad)) << "header byte " << at;
  }
  auto bad = blocks;
  bad[512 + 3] = std::byte{'X'};  // inside "comment"
  EXPECT_FALSE(decode_digest_record(bad));
}

TEST(DigestTap, FindsRecordsSplitAcrossReadsAndOnlyAtBlockBoundaries) {
  DigestRecord r;
  r.file_offset = 1024;
  r.size = 5;
  auto rec = encode_digest_record(r);
  std::vector<std::byte> stream(4096);
  std::copy(rec.begin(), rec.end(), stream.begin() + 2048);
  std::copy(rec.begin(), rec.end(), stream.begin() + 100);  // not on a boundary: ignored
  DigestTap tap;
  tap.restart(0);
  for (size_t at = 0; at < stream.size(); at += 333) tap.feed(stream.data() + at, std::min<size_t>(333, stream.size() - at));
  EXPECT_FALSE(tap.take(100));
  auto got = tap.take(2048);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->file_offset, 1024u);
  EXPECT_FALSE(tap.take(2048)) << "taken once";
}

TEST_F(Digests, LibarchiveListsOnlyTheFilesNotTheRecords) {
  std::vector<std::string> names;
  for (const auto& e : list_stream(b.sink.bytes)) names.push_back(e.path);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"./", "a-link", "a.txt", "big.bin", "empty", "sub/", "sub/c.txt"}));
}

TEST_F(Digests, CleanRestoreVerifiesEveryFileWithData) {
  FileResults rep;
  RestoreEngine restore(into(dst.path()), &rep);
  MemorySource in(b.sink.bytes);
  ASSERT_TRUE(restore.run(in));
  auto sum = restore.summary();
  EXPECT_EQ(sum.files_verified, 3u) << "a.txt, big.bin, sub/c.txt (empty and the hard link carry no data)";
  EXPECT_EQ(sum.digest_mismatches, 0u);
  EXPECT_EQ(sum.files_unverified, 0u);
  EXPECT_TRUE(rep.files.empty()) << "a restore reports only bad files";
  EXPECT_TRUE(diff_snapshots(snapshot(src.path()), snapshot(dst.path())).empty());
}

TEST_F(Digests, RestoreNamesTheDamagedFileAndRestoresTheRest) {
  FileResults rep;
  RecordingWarnings warn;
  RestoreEngine restore(into(dst.path()), &rep, &warn);
  auto bytes = damaged();
  ViewingSource in(bytes);  // the server's zero-copy path
  ASSERT_TRUE(restore.run(in)) << "DIGEST_MISMATCH=continue (the default) restores the rest";
  ASSERT_EQ(rep.files.size(), 1u);
  EXPECT_EQ(rep.files[0].first, "/big.bin");
  EXPECT_EQ(rep.files[0].second.outcome, FileResult::Outcome::mismatch);
  EXPECT_NE(rep.files[0].second.reason.find("SHA-256"), std::string::npos);
  EXPECT_TRUE(warn.any_contains("/big.bin: digest mismatch"));
  EXPECT_EQ(restore.summary().digest_mismatches, 1u);
  EXPECT_EQ(restore.summary().files_verified, 2u);
  EXPECT_EQ(read_file(dst.sub("sub/c.txt")), read_file(src.sub("sub/c.txt")));
  EXPECT_EQ(read_file(dst.sub("a.txt")), "alpha\n");
}

TEST_F(Digests, HaltSettingStopsTheRestoreAtTheDamagedFile) {
  FileResults rep;
  RestoreRequest req = into(dst.path());
  req.halt_on_mismatch = true;
  RestoreEngine restore(req, &rep);
  auto bytes = damaged();
  MemorySource in(bytes);
  Status s = restore.run(in);
  EXPECT_EQ(s.code(), Status::Code::corrupt);
  EXPECT_NE(s.text().find("/big.bin"), std::string::npos) << s.text();
  EXPECT_EQ(rep.count(FileResult::Outcome::mismatch), 1u);
  // Archive order is sorted: a.txt came before, sub/ after the halt.
  EXPECT_EQ(read_file(dst.sub("a.txt")), "alpha\n");
  EXPECT_NE(::access(dst.sub("sub/c.txt").c_str(), F_OK), 0);
}

TEST_F(Digests, NamedFileFailsItsNameWhenDamaged) {
  RecordingReporter rep;
  RestoreEngine restore(into(dst.path(), {{"/big.bin", "", 0}, {"/sub/c.txt", "", 0}}), &rep);
  auto bytes = damaged();
  MemorySource in(bytes);
  ASSERT_TRUE(restore.run(in));
  ASSERT_EQ(rep.results.size(), 2u);
  for (const auto& [i, r] : rep.results) {
    if (i == 0) {
      EXPECT_EQ(r.outcome, NameOutcome::failed);
      EXPECT_NE(r.reason.find("SHA-256"), std::string::npos) << r.reason;
    } else {
      EXPECT_EQ(r.outcome, NameOutcome::restored);
    }
  }
}

RestoreRequest verify_request(CheckMode m, const std::string& compare_with = "") {
  RestoreRequest req;
  req.check = m;
  if (!compare_with.empty()) {
    req.destination_root = compare_with;
    EXPECT_TRUE(open_dir(compare_with, req.destination));
  }
  return req;
}

TEST_F(Digests, VerifyOfACleanStreamReportsEveryFileVerifiedAndWritesNothing) {
  FileResults rep;
  RestoreEngine verify(verify_request(CheckMode::verify), &rep);
  MemorySource in(b.sink.bytes);
  ASSERT_TRUE(verify.run(in));
  EXPECT_EQ(rep.count(FileResult::Outcome::verified), 3u);
  EXPECT_EQ(rep.files.size(), 3u);
  EXPECT_EQ(verify.summary().entries_checked, 7u);
  EXPECT_TRUE(snapshot(dst.path()).size() <= 1) << "verify wrote into the destination";
}

TEST_F(Digests, VerifyFindsTheFlippedBitAndNamesTheFile) {
  FileResults rep;
  RestoreEngine verify(verify_request(CheckMode::verify), &rep);
  auto bytes = damaged();
  MemorySource in(bytes);
  ASSERT_TRUE(verify.run(in)) << "a verify reads to the end";
  ASSERT_NE(rep.of("/big.bin"), nullptr);
  EXPECT_EQ(rep.of("/big.bin")->outcome, FileResult::Outcome::mismatch);
  EXPECT_EQ(rep.of("/sub/c.txt")->outcome, FileResult::Outcome::verified);
  EXPECT_EQ(verify.summary().digest_mismatches, 1u);
}

TEST_F(Digests, CompareFindsAFileChangedOnDiskAfterTheBackup) {
  write_file(src.sub("sub/c.txt"), random_text(70000, 4));  // same size, new content
  ASSERT_EQ(::chmod(src.sub("a.txt").c_str(), 0600), 0);
  FileResults rep;
  RestoreEngine cmp(verify_request(CheckMode::compare, src.path()), &rep);
  MemorySource in(b.sink.bytes);
  ASSERT_TRUE(cmp.run(in));
  ASSERT_NE(rep.of("/sub/c.txt"), nullptr);
  EXPECT_EQ(rep.of("/sub/c.txt")->outcome, FileResult::Outcome::differs);
  EXPECT_NE(rep.of("/sub/c.txt")->reason.find("Contents differ at offset"), std::string::npos);
  EXPECT_NE(rep.of("/a.txt")->reason.find("Mode differs"), std::string::npos);
  EXPECT_EQ(rep.of("/big.bin")->outcome, FileResult::Outcome::verified);
  // a.txt's inode has two names: "a-link" (first, with the data) differs too.
  EXPECT_NE(rep.of("/a-link")->reason.find("Mode differs"), std::string::npos);
  EXPECT_EQ(cmp.summary().entries_differ, 3u);
}

TEST_F(Digests, CompareNeverLeavesTheTreeItComparesWith) {
  // A name from the tape that would climb out is refused before any look-up.
  auto bytes = make_archive({{"../outside", AE_IFREG, "x", ""}});
  FileResults rep;
  RecordingWarnings warn;
  RestoreEngine cmp(verify_request(CheckMode::compare, src.path()), &rep, &warn);
  MemorySource in(bytes);
  ASSERT_TRUE(cmp.run(in));
  EXPECT_EQ(cmp.summary().entries_refused, 1u);
  EXPECT_EQ(cmp.summary().entries_checked, 0u);
}

// The byte offset of the ustar header block whose name field is `name`.
size_t ustar_header_of(const std::vector<std::byte>& bytes, const std::string& name) {
  for (size_t o = 0; o + 512 <= bytes.size(); o += 512)
    if (std::equal(name.begin(), name.end(), bytes.begin() + static_cast<long>(o),
                   [](char c, std::byte x) { return x == std::byte(c); }) &&
        bytes[o + name.size()] == std::byte{0})
      return o;
  return 0;
}

TEST_F(Digests, DamagedHeaderStopsTheJobNamingTheEntryBefore) {
  // One bit in the name of sub/c.txt's ustar header: its checksum fails.
  std::vector<std::byte> bytes = b.sink.bytes;
  size_t at = ustar_header_of(bytes, "sub/c.txt");
  ASSERT_NE(at, 0u) << "no ustar header named sub/c.txt";
  bytes[at + 2] ^= std::byte{0x02};
  for (CheckMode mode : {CheckMode::restore, CheckMode::verify}) {
    RestoreEngine engine(mode == CheckMode::restore ? into(dst.path()) : verify_request(mode), nullptr);
    MemorySource in(bytes);
    Status s = engine.run(in);
    EXPECT_EQ(s.code(), Status::Code::corrupt) << to_string(mode) << ": " << s.to_string();
    EXPECT_NE(s.text().find("after /sub"), std::string::npos) << s.text();
    EXPECT_EQ(engine.summary().files_verified, 2u) << "a-link (a.txt's data) and big.bin checked before it";
  }
  EXPECT_EQ(read_file(dst.sub("big.bin")), read_file(src.sub("big.bin")));
}

TEST(DigestsDamage, PlainUstarDamageIsSkippedLikeGnuTarAndFailsTheJobAtTheEnd) {
  // Another tool's ustar archive (no pax headers): libarchive can skip a
  // damaged header block by block, as GNU tar does.
  std::vector<std::byte> bytes;
  archive* w = archive_write_new();
  archive_write_set_format_ustar(w);
  archive_write_open(w, &bytes, nullptr,
                     [](archive*, void* c, const void* p, size_t n) -> la_ssize_t {
                       auto* v = static_cast<std::vector<std::byte>*>(c);
                       v->insert(v->end(), static_cast<const std::byte*>(p), static_cast<const std::byte*>(p) + n);
                       return static_cast<la_ssize_t>(n);
                     },
                     nullptr);
  for (auto [name, text] : {std::pair{"one", std::string("1")}, {"two", random_text(3000, 5)}, {"three", "3"}}) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(text.size()));
    archive_write_header(w, e);
    archive_write_data(w, text.data(), text.size());
    archive_entry_free(e);
  }
  archive_write_free(w);
  size_t at = ustar_header_of(bytes, "two");
  ASSERT_NE(at, 0u);
  bytes[at + 1] ^= std::byte{0x01};
  TempDir dst("dst");
  RecordingWarnings warn;
  RestoreEngine restore(into(dst.path()), nullptr, &warn);
  MemorySource in(bytes);
  Status s = restore.run(in);
  EXPECT_EQ(s.code(), Status::Code::corrupt) << s.to_string();
  EXPECT_NE(s.text().find("after /one"), std::string::npos) << s.text();
  EXPECT_EQ(restore.summary().damaged_regions, 1u);
  EXPECT_TRUE(warn.any_contains("damaged archive: stream bytes")) << "one warning for the stretch";
  EXPECT_EQ(std::count_if(warn.lines.begin(), warn.lines.end(),
                          [](const std::string& l) { return l.find("damaged archive") != std::string::npos; }),
            1);
  EXPECT_EQ(read_file(dst.sub("three")), "3") << "what follows the damage is restored";
}

TEST(DigestsAbsent, ArchiveFromAnotherToolRestoresWithOneNote) {
  TempDir dst("dst");
  auto bytes = make_archive({{"x.txt", AE_IFREG, "one", ""}, {"y.txt", AE_IFREG, "two", ""}});
  FileResults rep;
  RecordingWarnings warn;
  RestoreEngine restore(into(dst.path()), &rep, &warn);
  MemorySource in(bytes);
  ASSERT_TRUE(restore.run(in));
  EXPECT_EQ(read_file(dst.sub("y.txt")), "two");
  EXPECT_EQ(restore.summary().files_unverified, 2u);
  EXPECT_TRUE(rep.files.empty());
  size_t notes = std::count_if(warn.lines.begin(), warn.lines.end(),
                               [](const std::string& l) { return l.find("carry no digest") != std::string::npos; });
  EXPECT_EQ(notes, 1u) << "one note for the whole job";
}

TEST(DigestsForged, ARecordInsideAFilesDataIsNotBelieved) {
  // A file whose content, block-aligned in the stream, is a valid record
  // claiming another digest for the file before it: it sits inside data,
  // not where a header chain starts, so nothing is taken from it.
  TempDir src("src"), dst("dst"), state("state");
  write_file(src.sub("a"), "real content\n");
  DigestRecord fake;
  fake.file_offset = 0;
  fake.size = 13;
  auto rec = encode_digest_record(fake);
  write_file(src.sub("b"), std::string(reinterpret_cast<const char*>(rec.data()), rec.size()));
  BackupRun b;
  run_backup(b, src.path(), src.path(), state.path());
  ASSERT_TRUE(b.status);
  FileResults rep;
  RestoreEngine verify(verify_request(CheckMode::verify), &rep);
  MemorySource in(b.sink.bytes);
  ASSERT_TRUE(verify.run(in));
  EXPECT_EQ(rep.count(FileResult::Outcome::verified), 2u);
  EXPECT_EQ(verify.summary().digest_mismatches, 0u);
}

TEST_F(Digests, DirectAccessChecksTheFileItReads) {
  uint64_t off = 0;
  for (const auto& h : b.history.entries)
    if (h.path == "/big.bin") off = h.fh_info;
  ASSERT_GT(off, 0u);
  FileResults rep;
  RecordingReporter names;
  RestoreEngine restore(into(dst.path(), {{"/big.bin", "", off}}), &rep);
  auto bytes = damaged();
  for (const auto& r : plan_direct_reads({{"/big.bin", "", off}})) {
    MemorySource in(bytes, r.offset);
    ASSERT_TRUE(restore.run_range(in, r));
  }
  ASSERT_TRUE(restore.finish());
  EXPECT_EQ(restore.summary().digest_mismatches, 1u);

  // The clean stream read from the same offset: the record is found and
  // matches the file's offset, size and content.
  RestoreEngine clean(into(dst.sub("clean"), {{"/big.bin", "", off}}), &rep);
  for (const auto& r : plan_direct_reads({{"/big.bin", "", off}})) {
    MemorySource in(b.sink.bytes, r.offset);
    ASSERT_TRUE(clean.run_range(in, r));
  }
  ASSERT_TRUE(clean.finish());
  EXPECT_EQ(clean.summary().files_verified, 1u);
  EXPECT_EQ(clean.summary().digest_mismatches, 0u);
  EXPECT_EQ(read_file(dst.sub("clean/big.bin")), read_file(src.sub("big.bin")));
}

}  // namespace
}  // namespace ndmp::backup::test

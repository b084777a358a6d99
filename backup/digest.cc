#include "backup/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <new>
#include <string_view>

#include <fmt/format.h>

namespace ndmp::backup {
namespace {

constexpr size_t kBlock = 512;
constexpr std::string_view kName = "ndmpd.digest";
constexpr std::string_view kPrefix = "comment=ndmpd sha256=";
constexpr size_t kTypeflag = 156;
constexpr size_t kSizeField = 124;
constexpr size_t kSumField = 148;

uint32_t header_sum(const std::byte* b) {
  uint32_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i)
    sum += (i >= kSumField && i < kSumField + 8) ? uint32_t{' '} : std::to_integer<uint32_t>(b[i]);
  return sum;
}

void put(std::byte* b, size_t at, std::string_view s) { std::memcpy(b + at, s.data(), s.size()); }

std::string_view text(const std::byte* b, size_t at, size_t len) {
  return {reinterpret_cast<const char*>(b + at), len};
}

// All of `s` as a number in `base` below 2^63, no sign or blank.
std::optional<uint64_t> number(std::string_view s, int base) {
  uint64_t v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A tar numeric field: octal digits ended by NUL or blank.
std::optional<uint64_t> octal_field(const std::byte* b, size_t at, size_t len) {
  std::string_view f = text(b, at, len);
  f = f.substr(0, f.find_first_of(std::string_view("\0 ", 2)));
  return number(f, 8);
}

bool hex_digest(std::string_view s, Sha256Digest& out) {
  if (s.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    auto v = number(s.substr(2 * i, 2), 16);
    if (!v || !std::isxdigit(static_cast<unsigned char>(s[2 * i]))) return false;
    out[i] = static_cast<uint8_t>(*v);
  }
  return true;
}

// The pax record "LEN KEY=VALUE\n", LEN counting itself.
std::string pax_record(std::string_view kv) {
  size_t len = kv.size() + 2;  // blank and newline
  size_t digits = fmt::formatted_size("{}", len);
  while (fmt::formatted_size("{}", len + digits) != digits) ++digits;
  return fmt::format("{} {}\n", len + digits, kv);
}

}  // namespace

std::string to_hex(const Sha256Digest& d) {
  std::string s;
  s.reserve(64);
  for (uint8_t b : d) fmt::format_to(std::back_inserter(s), "{:02x}", b);
  return s;
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md) throw std::bad_alloc();
  reset();
}
Sha256::~Sha256() = default;

void Sha256::reset() { EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr); }

void Sha256::update(const void* data, size_t size) {
  if (size) EVP_DigestUpdate(ctx_->md, data, size);
}

void Sha256::update_zeros(uint64_t n) {
  static const std::byte zeros[64 * 1024] = {};
  while (n > 0) {
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, sizeof zeros));
    EVP_DigestUpdate(ctx_->md, zeros, k);
    n -= k;
  }
}

Sha256Digest Sha256::finish() {
  Sha256Digest d{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx_->md, d.data(), &len);
  return d;
}

std::array<std::byte, kDigestRecordBytes> encode_digest_record(const DigestRecord& r) {
  std::array<std::byte, kDigestRecordBytes> out{};
  const std::string body =
      pax_record(fmt::format("{}{} offset={} size={}", kPrefix, to_hex(r.sha256), r.file_offset, r.size));
  std::byte* h = out.data();
  put(h, 0, kName);
  put(h, 100, "0000644");
  put(h, 108, "0000000");
  put(h, 116, "0000000");
  put(h, kSizeField, fmt::format("{:011o}", body.size()));
  put(h, 136, "00000000000");
  h[kTypeflag] = std::byte{'g'};
  put(h, 257, std::string_view("ustar\0" "00", 8));
  put(h, kSumField, fmt::format("{:06o}", header_sum(h)));
  h[kSumField + 6] = std::byte{0};
  h[kSumField + 7] = std::byte{' '};
  put(out.data() + kBlock, 0, body);
  return out;
}

std::optional<DigestRecord> decode_digest_record(std::span<const std::byte, kDigestRecordBytes> blocks) {
  const std::byte* h = blocks.data();
  if (h[kTypeflag] != std::byte{'g'} || text(h, 0, kName.size()) != kName || h[kName.size()] != std::byte{0} ||
      text(h, 257, 6) != std::string_view("ustar\0", 6))
    return std::nullopt;
  auto sum = octal_field(h, kSumField, 8);
  auto size = octal_field(h, kSizeField, 12);
  if (!sum || *sum != header_sum(h) || !size || *size == 0 || *size > kBlock) return std::nullopt;
  std::string_view body = text(blocks.data() + kBlock, 0, static_cast<size_t>(*size));
  // "LEN comment=ndmpd sha256=HEX offset=N size=N\n", nothing else.
  size_t blank = body.find(' ');
  if (blank == std::string_view::npos || number(body.substr(0, blank), 10) != *size || body.back() != '\n')
    return std::nullopt;
  std::string_view kv = body.substr(blank + 1, body.size() - blank - 2);
  if (!kv.starts_with(kPrefix)) return std::nullopt;
  kv.remove_prefix(kPrefix.size());
  DigestRecord r;
  if (kv.size() < 64 || !hex_digest(kv.substr(0, 64), r.sha256)) return std::nullopt;
  kv.remove_prefix(64);
  constexpr std::string_view kOffset = " offset=", kSize = " size=";
  if (!kv.starts_with(kOffset)) return std::nullopt;
  kv.remove_prefix(kOffset.size());
  size_t sp = kv.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  auto off = number(kv.substr(0, sp), 10);
  kv.remove_prefix(sp);
  if (!off || !kv.starts_with(kSize)) return std::nullopt;
  auto sz = number(kv.substr(kSize.size()), 10);
  if (!sz) return std::nullopt;
  r.file_offset = *off;
  r.size = *sz;
  return r;
}

void DigestTap::restart(uint64_t stream_offset) {
  pos_ = stream_offset;
  partial_len_ = 0;
  header_at_.reset();
  found_.clear();
}

void DigestTap::feed(const std::byte* data, size_t size) {
  while (size > 0) {
    const size_t into = static_cast<size_t>(pos_ % kBlock);  // bytes of this block already seen
    if (into == 0 && partial_len_ == 0 && size >= kBlock) {
      // Whole blocks in place: the common case, one byte looked at per block
      // unless it is a 'g' header.
      size_t whole = size / kBlock;
      for (size_t i = 0; i < whole; ++i) block(pos_ + i * kBlock, data + i * kBlock);
      pos_ += whole * kBlock;
      data += whole * kBlock;
      size -= whole * kBlock;
      continue;
    }
    if (partial_len_ != into) {
      // Joined mid-block (a stream not starting on a boundary): skip to the next.
      size_t skip = std::min(size, kBlock - into);
      pos_ += skip, data += skip, size -= skip;
      continue;
    }
    size_t n = std::min(size, kBlock - into);
    std::memcpy(partial_.data() + partial_len_, data, n);
    partial_len_ += n;
    pos_ += n, data += n, size -= n;
    if (partial_len_ == kBlock) {
      partial_len_ = 0;
      block(pos_ - kBlock, partial_.data());
    }
  }
}

void DigestTap::block(uint64_t at, const std::byte* b) {
  if (header_at_ && *header_at_ + kBlock == at) {
    std::array<std::byte, kDigestRecordBytes> both;
    std::memcpy(both.data(), header_.data(), kBlock);
    std::memcpy(both.data() + kBlock, b, kBlock);
    if (auto r = decode_digest_record(both)) {
      if (found_.size() == kMaxPending) found_.pop_front();
      found_.emplace_back(*header_at_, *r);
    }
  }
  header_at_.reset();
  if (b[kTypeflag] == std::byte{'g'} && text(b, 0, kName.size()) == kName) {
    std::memcpy(header_.data(), b, kBlock);
    header_at_ = at;
  }
}

std::optional<DigestRecord> DigestTap::take(uint64_t offset) {
  while (!found_.empty() && found_.front().first < offset) found_.pop_front();
  if (found_.empty() || found_.front().first != offset) return std::nullopt;
  DigestRecord r = found_.front().second;
  found_.pop_front();
  return r;
}

}  // namespace ndmp::backup

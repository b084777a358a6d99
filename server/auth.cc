#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "fmt/format.h"

namespace ndmp::server {

Digest md5_digest(const std::string& password, const Challenge& challenge) {
  const size_t len = std::min<size_t>(password.size(), 32);
  uint8_t buf[128] = {};
  std::memcpy(buf, password.data(), len);
  std::memcpy(buf + 64 - len, challenge.data(), challenge.size());
  std::memcpy(buf + 128 - len, password.data(), len);
  Digest out{};
  unsigned int out_len = 0;
  EVP_Digest(buf, sizeof buf, out.data(), &out_len, EVP_md5(), nullptr);
  OPENSSL_cleanse(buf, sizeof buf);
  return out;
}

Challenge random_challenge() {
  Challenge c{};
  if (RAND_bytes(c.data(), static_cast<int>(c.size())) != 1) {
    // Without entropy no challenge is safe; abort rather than hand out a guessable one.
    std::abort();
  }
  return c;
}

bool constant_time_equal(const void* a, const void* b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

std::string UserTable::load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fmt::format("password file {}: {}", path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fmt::format("password file {} is not a regular file", path);
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return fmt::format("password file {} is readable by others (mode {:04o}); run: chmod 600 {}", path,
                       st.st_mode & 07777, path);
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return fmt::format("password file {} belongs to uid {}, not to this user or root", path, st.st_uid);
  std::ifstream in(path);
  if (!in) return fmt::format("password file {}: cannot read", path);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == line.size())
      return fmt::format("password file {} line {}: expected user:password", path, lineno);
    users_[line.substr(0, colon)] = line.substr(colon + 1);
  }
  if (users_.empty()) return fmt::format("password file {} names no user", path);
  return {};
}

std::optional<std::string> UserTable::password_of(const std::string& user) const {
  auto it = users_.find(user);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

std::chrono::milliseconds FailureBrake::delay_for(const std::string& peer) {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(peer);
  if (it == failures_.end()) return std::chrono::milliseconds{0};
  return std::min(kMax, kStep * it->second);
}

void FailureBrake::failed(const std::string& peer) {
  std::lock_guard lock(mutex_);
  if (failures_.size() > 4096) failures_.clear();  // bounded memory under a flood of addresses
  ++failures_[peer];
}

void FailureBrake::succeeded(const std::string& peer) {
  std::lock_guard lock(mutex_);
  failures_.erase(peer);
}

}  // namespace ndmp::server

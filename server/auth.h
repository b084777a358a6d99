// Authentication of DMAs: the user table, NDMP's MD5 challenge/response, and a
// brake on repeated failures from one peer.
//
// NDMP MD5 (facts 5.1, SPEC4 3.1.2): digest = MD5(P | zeros | challenge | P)
// over a 128-byte buffer, P = first min(len,32) bytes of the password; the
// challenge sits at [64-L, 128-L). A 32-byte password fills the buffer with no
// zeros (ndmjob and SPEC4 agree; illumos differs and is not followed).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace ndmp::server {

using Challenge = std::array<uint8_t, 64>;
using Digest = std::array<uint8_t, 16>;

Digest md5_digest(const std::string& password, const Challenge& challenge);
Challenge random_challenge();  // 64 bytes from OpenSSL's CSPRNG
bool constant_time_equal(const void* a, const void* b, size_t n);

// Users and clear-text passwords (MD5 needs the clear password on the server
// side). Loaded from a file of "user:password" lines that only its owner may
// read: a file readable by group or others is refused, because it holds every
// DMA's credentials.
class UserTable {
 public:
  // Returns an error text naming the file and line, or empty on success.
  std::string load(const std::string& path);
  void add(const std::string& user, const std::string& password) { users_[user] = password; }
  std::optional<std::string> password_of(const std::string& user) const;
  size_t size() const { return users_.size(); }

 private:
  std::map<std::string, std::string> users_;
};

// Slows down peers that keep failing: each consecutive failure from an address
// adds a second of delay before the reply, up to a cap; a success clears it.
// Thread-safe (sessions of one peer run on different threads).
class FailureBrake {
 public:
  std::chrono::milliseconds delay_for(const std::string& peer_address);
  void failed(const std::string& peer_address);
  void succeeded(const std::string& peer_address);
  static constexpr std::chrono::milliseconds kStep{1000};
  static constexpr std::chrono::milliseconds kMax{5000};

 private:
  std::mutex mutex_;
  std::map<std::string, unsigned> failures_;
};

}  // namespace ndmp::server

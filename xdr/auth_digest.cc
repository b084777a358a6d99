#include "xdr/auth_digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace ndmp::xdr {

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

}  // namespace ndmp::xdr

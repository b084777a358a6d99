// NDMP's MD5 challenge/response, shared by the server (which checks it) and
// every DMA-side tool (which answers it): part of the wire contract, so it
// lives beside the codec and a client need not link the server.
//
// NDMP MD5 (facts 5.1, SPEC4 3.1.2): digest = MD5(P | zeros | challenge | P)
// over a 128-byte buffer, P = first min(len,32) bytes of the password; the
// challenge sits at [64-L, 128-L). A 32-byte password fills the buffer with no
// zeros (ndmjob and SPEC4 agree; illumos differs and is not followed).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace ndmp::xdr {

using Challenge = std::array<uint8_t, 64>;
using Digest = std::array<uint8_t, 16>;

Digest md5_digest(const std::string& password, const Challenge& challenge);

}  // namespace ndmp::xdr

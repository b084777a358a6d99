// Fuzz harness: xdr/codec.h decode(version, record), header plus body
// dispatch, for every version the server speaks.
//
// Input layout:
//   u8   selector   version = {0, 2, 3, 4}[selector % 4] (0 = before CONNECT_OPEN)
//   ...  record     one whole record as the session hands it to decode()
//
// Oracle: whatever decodes must encode again in the same version (decode only
// accepts what the model can represent), and that encoding must decode and
// re-encode to the same bytes: a field the decoder keeps but the encoder
// drops, or the other way round, shows up as a difference.
#include <vector>

#include "fuzz/harness/input.h"
#include "fuzz/harness/targets.h"
#include "xdr/codec.h"

namespace ndmp::fuzz {
namespace {

const msg::Body* body_to_encode(const xdr::Message& m) {
  // A reply carrying a header error has no body on the wire (facts 1.3).
  if (m.header.type == xdr::MessageType::reply && m.header.error != msg::Error::no_err) return nullptr;
  return m.body.get();
}

}  // namespace

int message_decoder(const uint8_t* data, size_t size) {
  Input in(data, size);
  static constexpr int kVersions[] = {0, 2, 3, 4};
  const int version = kVersions[in.u8() % 4];
  const std::span<const uint8_t> record = in.rest();

  xdr::DecodeResult first = xdr::decode(version, record);
  if (first.status != xdr::DecodeStatus::ok) {
    NDMP_FUZZ_CHECK(first.status == xdr::DecodeStatus::short_record || record.size() >= xdr::kHeaderSize);
    return 0;
  }
  NDMP_FUZZ_CHECK(first.message.body != nullptr);

  std::vector<uint8_t> once;
  NDMP_FUZZ_CHECK(xdr::encode(version, first.message.header, body_to_encode(first.message), once));
  xdr::DecodeResult second = xdr::decode(version, once);
  NDMP_FUZZ_CHECK(second.status == xdr::DecodeStatus::ok);
  NDMP_FUZZ_CHECK(second.message.header.code == first.message.header.code);
  NDMP_FUZZ_CHECK(second.message.header.type == first.message.header.type);
  NDMP_FUZZ_CHECK(second.message.header.sequence == first.message.header.sequence);
  std::vector<uint8_t> twice;
  NDMP_FUZZ_CHECK(xdr::encode(version, second.message.header, body_to_encode(second.message), twice));
  NDMP_FUZZ_CHECK(once == twice);
  return 0;
}

}  // namespace ndmp::fuzz

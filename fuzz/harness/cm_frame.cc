// Fuzz harness: the Cloud Manager frame layer (cloudmanager/frame.h).
//
// Input layout:
//   u8   side       bit 0: 0 = we are the Streamer (accept CloudManagerToStreamer),
//                          1 = we are the simulator (accept StreamerToCloudManager)
//   u16  cap        max_body = cap (small caps make the size check reachable)
//   u32  seed       drives the chunk sizes (xorshift32)
//   ...  stream     bytes as received from the peer
//
// Oracle: a FrameBuffer never holds more than one frame's worth beyond what
// it reports (header + cap) while waiting; once bad, it stays bad; every whole
// frame re-encodes to the bytes it came from, and its body either parses as
// its command's message (commands.h) or is refused by parse_body.
#include <algorithm>
#include <memory>
#include <string>

#include "cloudmanager/commands.h"
#include "cloudmanager/frame.h"
#include "fuzz/harness/input.h"
#include "fuzz/harness/targets.h"

namespace ndmp::fuzz {

int cm_frame(const uint8_t* data, size_t size) {
  Input in(data, size);
  cm::FrameRules rules;
  const bool simulator = in.u8() & 1;
  rules.expect_direction = simulator ? cm::wire::MessageDirection_StreamerToCloudManager
                                     : cm::wire::MessageDirection_CloudManagerToStreamer;
  rules.max_body = in.u16();
  uint32_t seed = in.u32() | 1;
  const std::span<const uint8_t> stream = in.rest();

  cm::FrameBuffer fb(rules);
  size_t pos = 0;
  size_t frames_bytes = 0;  // bytes of whole frames handed out so far
  while (pos < stream.size()) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    const size_t n = std::min<size_t>(1 + seed % 97, stream.size() - pos);
    fb.append(reinterpret_cast<const char*>(stream.data() + pos), n);
    pos += n;
    while (true) {
      cm::Frame f;
      std::string reason;
      const auto st = fb.next(f, reason);
      if (st == cm::DecodeStatus::need_more) {
        NDMP_FUZZ_CHECK(fb.buffered() == pos - frames_bytes);  // only whole frames are consumed
        // Waiting is only allowed for a header not yet whole or a frame whose
        // header passed: never more than one capped frame is held.
        NDMP_FUZZ_CHECK(fb.buffered() < cm::kHeaderSize + static_cast<size_t>(rules.max_body));
        break;
      }
      if (st == cm::DecodeStatus::bad) {
        NDMP_FUZZ_CHECK(!reason.empty());
        cm::Frame again;
        std::string why;
        NDMP_FUZZ_CHECK(fb.next(again, why) == cm::DecodeStatus::bad);
        return 0;  // the connection would be closed here
      }
      NDMP_FUZZ_CHECK(f.header.direction == rules.expect_direction);
      NDMP_FUZZ_CHECK(f.header.body_length >= 0 && f.header.body_length <= rules.max_body);
      NDMP_FUZZ_CHECK(f.body.size() == static_cast<size_t>(f.header.body_length));
      const std::string bytes = cm::encode_frame(f.header, f.body);
      NDMP_FUZZ_CHECK(bytes.size() == cm::kHeaderSize + f.body.size());
      NDMP_FUZZ_CHECK(std::equal(bytes.begin(), bytes.end(),
                                 reinterpret_cast<const char*>(stream.data()) + frames_bytes));
      frames_bytes += bytes.size();
      NDMP_FUZZ_CHECK(fb.buffered() == pos - frames_bytes);

      // The one-shot decoder agrees with the buffered one.
      cm::Frame one;
      size_t consumed = 0;
      std::string why;
      NDMP_FUZZ_CHECK(cm::decode_frame(bytes, rules, one, consumed, why) == cm::DecodeStatus::complete);
      NDMP_FUZZ_CHECK(consumed == bytes.size() && one.body == f.body);

      if (const cm::CommandInfo* info = cm::find_command(f.header.command)) {
        const google::protobuf::Message* proto = simulator ? info->request : info->response;
        if (proto) {
          std::unique_ptr<google::protobuf::Message> m(proto->New());
          if (cm::parse_body(f, *m)) {
            // What parsed serialises and parses again.
            const std::string frame2 = cm::encode_message(f.header, *m);
            cm::FrameRules roomy = rules;  // a re-serialised body may differ in size
            roomy.max_body = cm::kDefaultMaxBody;
            cm::Frame f2;
            size_t c2 = 0;
            NDMP_FUZZ_CHECK(cm::decode_frame(frame2, roomy, f2, c2, why) == cm::DecodeStatus::complete);
            std::unique_ptr<google::protobuf::Message> m2(proto->New());
            NDMP_FUZZ_CHECK(cm::parse_body(f2, *m2));
          }
        }
      }
    }
  }
  return 0;
}

}  // namespace ndmp::fuzz

// Wireshark's NDMP dissector as a second reader of what ndmpd puts on the
// wire: tshark captures loopback traffic of one TCP port live, decoding it as
// NDMP whatever the port (`-d tcp.port==P,ndmp`; by default tshark decodes
// NDMP only on port 10000), and prints one line per packet.
//
// No timed waits: start() returns once tshark says it is capturing;
// finish() sends a UDP datagram to a port of its own through the same
// interface and reads tshark's lines until that datagram's line: packets
// are read from the interface in order, so every NDMP packet before it has
// been decoded. Deadlines (60 s) only turn a hung tshark into a failure.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ndmp::test {

// One decoded packet: tshark's fields, "" when absent.
struct DecodedPacket {
  std::string ndmp_msg;       // ndmp.msg, e.g. "0x00000704" (several when a segment holds several PDUs)
  std::string ndmp_msg_type;  // 0 request, 1 reply
  std::string malformed;      // _ws.malformed: non-empty when the dissector gave up
  std::string expert;         // _ws.expert.message of NDMP's expert items
  std::string protocols;      // frame.protocols
};

class TsharkCapture {
 public:
  TsharkCapture() = default;
  TsharkCapture(const TsharkCapture&) = delete;
  TsharkCapture& operator=(const TsharkCapture&) = delete;
  ~TsharkCapture();

  // Starts capturing TCP port `ndmp_port` on lo. False with `why` when
  // tshark is missing or cannot capture here (then tests skip, saying why).
  bool start(uint16_t ndmp_port, std::string& why);
  // Waits until every packet sent before this call is decoded, stops tshark
  // and returns the packets. Fails the test if tshark does not get there.
  std::vector<DecodedPacket> finish();

 private:
  void stop();
  pid_t pid_ = -1;
  int out_ = -1;  // tshark's stdout
  int err_ = -1;  // tshark's stderr
  int marker_ = -1;  // UDP socket bound on lo: the end-of-capture marker's destination
  uint16_t marker_port_ = 0;
  std::string pending_;  // stdout bytes after the last full line
};

}  // namespace ndmp::test

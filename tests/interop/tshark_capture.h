// Wireshark's NDMP dissector as a second reader of what ndmpd puts on the
// wire: tshark captures loopback traffic of one TCP port live, decoding it as
// NDMP (`-d tcp.port==P,ndmp`; the dissector still decodes nothing unless P
// is 10000, see enter_private_loopback), and prints one line per packet.
//
// Synchronised on what tshark prints, not on time: start() returns once
// tshark has decoded a UDP probe it sent through lo (tshark's "Capturing on"
// comes before dumpcap sees packets, so start() re-sends the probe every
// 200 ms until one is decoded; a probe decoded means every later packet is
// captured); finish() sends a UDP datagram to a port of its own through the same
// interface and reads tshark's lines until that datagram's line: packets
// are read from the interface in order, so every NDMP packet before it has
// been decoded. Deadlines (60 s) only turn a hung tshark into a failure.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ndmp::test {

// The only port Wireshark's NDMP dissector accepts (packet-ndmp.c
// check_ndmp_rm tests it on every PDU; decode-as does not lift that).
inline constexpr uint16_t kWiresharkNdmpPort = 10000;

// Moves the calling thread (and every thread and process it starts later)
// into a new network namespace with only its loopback, up, so a test may
// listen on kWiresharkNdmpPort without meeting anything else on the host.
// Needs root (CAP_SYS_ADMIN); false with `why` otherwise. Meant for a test
// process of its own (ctest runs each test alone): the thread stays there.
bool enter_private_loopback(std::string& why);

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
  int probe_ = -1;  // another: where start() sends its probes
  uint16_t probe_port_ = 0;
  std::string pending_;  // stdout bytes after the last full line
};

}  // namespace ndmp::test

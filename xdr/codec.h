// Whole-message codecs: one NDMP record (24-byte header + body) <-> Message.
//
// Wire layouts come from our own XDR definitions (xdr/ndmp2.x, ndmp3.x,
// ndmp4.x) compiled by rpcgen; this layer only picks the right generated xdr_*
// routine for (version, message code, direction) and converts between the
// generated C structs and the one internal model (model.h). It never writes an
// XDR primitive by hand.
//
// Selection is a table per version keyed by message code (never by position);
// each row names the request/post body codec and, unless the message has no
// reply (posts, CONNECT_CLOSE), the reply body codec.
//
// Hostile input: decode never reads past the record and never allocates more
// than the per-field bounds written in the .x files (documented there), so a
// count of 0x7fffffff elements fails as bad_body instead of allocating.
//
// Threads: every function is re-entrant; no shared state is written.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "xdr/model.h"

namespace ndmp::xdr {

// NDMP message_type. Posts (NOTIFY, LOG, FH) are requests on the wire.
enum class MessageType : uint32_t { request = 0, reply = 1 };

// The 24-byte message header (facts 1.3), identical in every version.
struct Header {
  uint32_t sequence = 0;    // per sender, starts at 1, +1 for every message sent
  uint32_t time_stamp = 0;  // seconds since the Unix epoch
  MessageType type = MessageType::request;
  uint32_t code = 0;            // message number (msg::code)
  uint32_t reply_sequence = 0;  // replies: the sequence of the request answered
  msg::Error error = msg::Error::no_err;  // replies: != no_err means no body follows
};

inline constexpr size_t kHeaderSize = 24;

struct Message {
  Header header;
  std::unique_ptr<msg::Body> body;  // never null after a successful decode (Empty for void)
};

enum class DecodeStatus {
  ok,
  short_record,  // fewer than 24 bytes: not even a header (SPEC4 2.6: discard)
  bad_header,    // header fields do not decode (e.g. a message_type other than 0/1)
  unknown_code,  // this version defines no such message, or no body of that direction
  bad_body,      // body truncated, over a bound, or a union arm that does not exist
};
const char* to_string(DecodeStatus s);

struct DecodeResult {
  DecodeStatus status = DecodeStatus::short_record;
  Message message;  // header is filled whenever the record held >= 24 bytes
};

// Decode one whole record (header + body) as NDMP `version` (2, 3 or 4).
// For a reply whose header error != 0 no body is decoded (body = Empty), even
// for a code the version does not define. unknown_code = this version defines
// no such message (or no body of that direction, e.g. a reply to a post).
// Version 0 = before negotiation: only CONNECT_OPEN, CONNECT_CLOSE and
// NOTIFY_CONNECTION_STATUS (same wire in all versions, facts 1.4).
// Any other version number decodes the header and answers unknown_code.
// Bytes after a complete body are ignored, as ndmjob's record reader does.
DecodeResult decode(int version, std::span<const uint8_t> record);

// What a connection keeps between records so that the bulk request, TAPE_WRITE
// on the control connection, decodes into the same buffer every time instead
// of two fresh allocations per record (libtirpc's and the model's).
struct DecodeScratch {
  std::unique_ptr<msg::TapeWriteRequest> tape_write;
};
// decode() with TAPE_WRITE requests read straight from the record into
// scratch's buffer; the same result otherwise, byte for byte.
DecodeResult decode(int version, std::span<const uint8_t> record, DecodeScratch& scratch);
// After the message was handled: takes a TAPE_WRITE body back into `scratch`.
void recycle(DecodeResult& decoded, DecodeScratch& scratch);

// Encode header + body as NDMP `version` into `out` (replaced, not appended;
// no record marking: see record.h). body may be null when the header is a
// reply with error != no_err (then only the header is written, whatever the
// code, so NOT_SUPPORTED can answer an unknown message) or when the body is
// void. Returns false if the body type does not match the code/type for this
// version, if the code has no codec in that direction, or if a field cannot be
// represented in this version (e.g. a v2/v3 TCP address with no entry).
bool encode(int version, const Header& header, const msg::Body* body, std::vector<uint8_t>& out);

// True if `version` defines a body codec for `code` in direction `type`.
bool has_codec(int version, uint32_t code, MessageType type);

// Every code the version's table holds (ascending), for tests and for
// CONFIG-style introspection. Empty for an unknown version.
std::vector<uint32_t> codes(int version);

}  // namespace ndmp::xdr

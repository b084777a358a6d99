// The fuzz harnesses: one function per decoder an attacker can reach, each
// taking the fuzzer's bytes. A harness returns normally for every input the
// code under test handles (accepting or refusing it); a crash, a sanitizer
// report or a broken invariant (NDMP_FUZZ_CHECK, input.h) is a finding.
//
//   record_reader    xdr/record.h RecordReader: the input is cut into chunks of
//                    fuzzer-chosen sizes and fed like socket reads; compared
//                    with a whole-stream reference parse.
//   message_decoder  xdr/codec.h decode(version, record) for versions 0, 2, 3,
//                    4 (first byte picks); what decodes is re-encoded, and that
//                    encoding must decode and re-encode to the same bytes.
//   cm_frame         cloudmanager/frame.h FrameBuffer fed in chunks, each whole
//                    frame's body parsed as its command's protobuf message.
//   emulated_cdb     devices/emulated: a sequence of CDBs with data through the
//                    drive and changer transports of a fresh library in a
//                    temporary directory.
//   restore_tar      backup/restore_engine.h: a restore of the input as a tar
//                    stream into a temporary directory; nothing may appear
//                    outside the destination.
//
// Input layouts are documented at the top of each harness file; the corpus
// generator (fuzz/seedgen/) writes seeds in those layouts.
//
// Threads: a harness may be called repeatedly from one thread; the emulated
// and restore harnesses create and remove their own temporary directories.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ndmp::fuzz {

int record_reader(const uint8_t* data, size_t size);
int message_decoder(const uint8_t* data, size_t size);
int cm_frame(const uint8_t* data, size_t size);
int emulated_cdb(const uint8_t* data, size_t size);
int restore_tar(const uint8_t* data, size_t size);

// Silences the operator log (the code under test logs every refusal) unless
// NDMP_FUZZ_LOG is set in the environment. Idempotent.
void quiet_log();

struct Target {
  const char* name;  // also the folder name under fuzz/corpus/ and fuzz/regressions/
  int (*run)(const uint8_t*, size_t);
};
std::span<const Target> targets();

}  // namespace ndmp::fuzz

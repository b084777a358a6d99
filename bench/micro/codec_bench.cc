// Micro-benchmarks of the control/data record codec (xdr/): what the server
// pays per TAPE_WRITE record a DMA sends and per MOVER_GET_STATE poll, and
// what the record reader costs per byte received. Run by bench/run.sh;
// never by the test suite.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "xdr/codec.h"
#include "xdr/record.h"

namespace {

using namespace ndmp;

constexpr size_t kRecord = 256 * 1024;  // the largest record ndmpd accepts by default

xdr::Header request(uint32_t code) {
  xdr::Header h;
  h.sequence = 7;
  h.time_stamp = 1700000000;
  h.type = xdr::MessageType::request;
  h.code = code;
  return h;
}

msg::TapeWriteRequest tape_write() {
  msg::TapeWriteRequest w;
  w.data.resize(kRecord);
  for (size_t i = 0; i < kRecord; ++i) w.data[i] = static_cast<uint8_t>(i * 131);
  return w;
}

msg::MoverGetStateReply mover_state() {
  msg::MoverGetStateReply r;
  r.mode = msg::MoverMode::read;
  r.state = msg::MoverState::active;
  r.record_size = kRecord;
  r.record_num = 12345;
  r.bytes_moved = 3'236'954'112;
  r.window_length = ~uint64_t{0};
  r.connection.type = msg::AddrType::local;
  return r;
}

void BM_EncodeTapeWrite256K(benchmark::State& state) {
  const auto body = tape_write();
  const auto h = request(msg::code::TAPE_WRITE);
  std::vector<uint8_t> out;
  for (auto _ : state) {
    if (!xdr::encode(4, h, &body, out)) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kRecord));
}
BENCHMARK(BM_EncodeTapeWrite256K);

void BM_DecodeTapeWrite256K(benchmark::State& state) {
  const auto body = tape_write();
  std::vector<uint8_t> wire;
  xdr::encode(4, request(msg::code::TAPE_WRITE), &body, wire);
  for (auto _ : state) {
    auto r = xdr::decode(4, wire);
    if (r.status != xdr::DecodeStatus::ok) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(r.message.body.get());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kRecord));
}
BENCHMARK(BM_DecodeTapeWrite256K);

// What the server does (issue 19): one buffer per connection, reused.
void BM_DecodeTapeWrite256KReused(benchmark::State& state) {
  const auto body = tape_write();
  std::vector<uint8_t> wire;
  xdr::encode(4, request(msg::code::TAPE_WRITE), &body, wire);
  xdr::DecodeScratch scratch;
  for (auto _ : state) {
    auto r = xdr::decode(4, wire, scratch);
    if (r.status != xdr::DecodeStatus::ok) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(r.message.body.get());
    xdr::recycle(r, scratch);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kRecord));
}
BENCHMARK(BM_DecodeTapeWrite256KReused);

void BM_EncodeMoverGetStateReply(benchmark::State& state) {
  const auto body = mover_state();
  xdr::Header h = request(msg::code::MOVER_GET_STATE);
  h.type = xdr::MessageType::reply;
  h.reply_sequence = 6;
  std::vector<uint8_t> out;
  for (auto _ : state) {
    if (!xdr::encode(4, h, &body, out)) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeMoverGetStateReply);

void BM_DecodeMoverGetStateReply(benchmark::State& state) {
  const auto body = mover_state();
  xdr::Header h = request(msg::code::MOVER_GET_STATE);
  h.type = xdr::MessageType::reply;
  std::vector<uint8_t> wire;
  xdr::encode(4, h, &body, wire);
  for (auto _ : state) {
    auto r = xdr::decode(4, wire);
    if (r.status != xdr::DecodeStatus::ok) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(r.message.body.get());
  }
}
BENCHMARK(BM_DecodeMoverGetStateReply);

// A 256 KiB TAPE_WRITE framed as ndmjob frames it (fragments of ~4000 bytes)
// or as one fragment, fed in 64 KiB socket reads as the session does;
// take_into() reuses one buffer across records.
void BM_RecordReaderFeed(benchmark::State& state) {
  const size_t fragment = static_cast<size_t>(state.range(0));
  const auto body = tape_write();
  std::vector<uint8_t> wire, framed;
  xdr::encode(4, request(msg::code::TAPE_WRITE), &body, wire);
  xdr::append_record(framed, wire, fragment);
  xdr::RecordReader reader(kRecord + 4096);
  std::vector<uint8_t> record;
  constexpr size_t kRead = 64 * 1024;
  for (auto _ : state) {
    std::span<const uint8_t> in(framed);
    while (!in.empty()) {
      size_t consumed = 0;
      auto st = reader.feed(in.first(std::min(in.size(), kRead)), consumed);
      in = in.subspan(consumed);
      if (st == xdr::RecordReader::Status::complete) reader.take_into(record);
      if (st == xdr::RecordReader::Status::too_large) state.SkipWithError("too large");
    }
    benchmark::DoNotOptimize(record.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(framed.size()));
}
BENCHMARK(BM_RecordReaderFeed)->Arg(4000)->Arg(1 << 20)->ArgName("fragment");

}  // namespace

BENCHMARK_MAIN();

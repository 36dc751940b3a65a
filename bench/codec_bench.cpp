// Codec micro-benchmarks: parsing a Binding request and building a Binding
// success response, each on its own (no handler logic).
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <vector>

#include "alloc_count.hpp"
#include "stun/address.hpp"
#include "stun/constants.hpp"
#include "stun/crc32.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"

namespace {

using namespace pinhole::stun;

constexpr std::array<std::byte, 12> txid{std::byte{0xA1}, std::byte{0xB2}, std::byte{3},  std::byte{4},
                                         std::byte{5},    std::byte{6},    std::byte{7},  std::byte{8},
                                         std::byte{9},    std::byte{10},   std::byte{11}, std::byte{12}};

std::vector<std::byte> binding_request_bytes(bool fingerprint) {
  std::vector<std::byte> buf(256);
  message_writer w(buf);
  w.begin(binding_request, txid);
  if (fingerprint) w.add_fingerprint();
  buf.resize(w.size());
  return buf;
}

void BM_ParseBinding(benchmark::State& state) {
  const auto req = binding_request_bytes(state.range(0) != 0);
  const pinhole::bench::alloc_probe allocs;
  for (auto _ : state) {
    message_view m;
    auto ec = message_view::parse(req, m);
    benchmark::DoNotOptimize(ec);
    benchmark::DoNotOptimize(m);
  }
  allocs.report(state);
}
BENCHMARK(BM_ParseBinding)->ArgName("fingerprint")->Arg(0)->Arg(1);

// The success response pinholed sends to a plain RFC 8489 Binding request:
// header + XOR-MAPPED-ADDRESS (+ FINGERPRINT when the request had one).
void BM_BuildResponse(benchmark::State& state) {
  const bool fingerprint = state.range(0) != 0;
  const transport_address src = *transport_address::parse("198.51.100.20:40000");
  std::array<std::byte, 16> cid{};
  store_u32(cid.data(), magic_cookie);
  for (std::size_t i = 0; i < 12; ++i) cid[4 + i] = txid[i];
  alignas(64) std::array<std::byte, 512> out{};
  const pinhole::bench::alloc_probe allocs;
  for (auto _ : state) {
    message_writer w(out);
    w.begin(binding_success, std::span<const std::byte, 16>(cid));
    w.add_xor_address(attr::xor_mapped_address, src);
    if (fingerprint) w.add_fingerprint();
    auto n = w.size();
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  allocs.report(state);
}
BENCHMARK(BM_BuildResponse)->ArgName("fingerprint")->Arg(0)->Arg(1);

// CRC-32 over the 20-byte header + 12-byte XOR-MAPPED-ADDRESS that a
// FINGERPRINT in a response covers.
void BM_Crc32Response(benchmark::State& state) {
  std::array<std::byte, 32> data{};
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 7U);
  for (auto _ : state) {
    auto c = crc32(data);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_Crc32Response);

}  // namespace

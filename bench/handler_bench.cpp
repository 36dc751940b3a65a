// handle_request() micro-benchmarks: parse + checks + build of the whole
// response, in user space only (no sockets), for the request shapes pinholed
// sees: RFC 8489 Binding over IPv4 and IPv6, with FINGERPRINT (WebRTC/ICE
// style), in RFC 5780 behaviour-discovery mode, and classic RFC 3489.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <vector>

#include "alloc_count.hpp"
#include "handler.hpp"
#include "stun/address.hpp"
#include "stun/constants.hpp"
#include "stun/writer.hpp"

namespace {

using namespace pinhole::stun;
using namespace pinhole::daemon;

constexpr std::array<std::byte, 12> txid{std::byte{0xA1}, std::byte{0xB2}, std::byte{3},  std::byte{4},
                                         std::byte{5},    std::byte{6},    std::byte{7},  std::byte{8},
                                         std::byte{9},    std::byte{10},   std::byte{11}, std::byte{12}};

enum class shape { plain, fingerprint, classic };

std::vector<std::byte> request_bytes(shape s) {
  std::vector<std::byte> buf(256);
  message_writer w(buf);
  if (s == shape::classic) {
    std::array<std::byte, 16> id{};
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::byte>(0x40U + i);
    w.begin(binding_request, std::span<const std::byte, 16>(id));
  } else {
    w.begin(binding_request, txid);
  }
  if (s == shape::fingerprint) w.add_fingerprint();
  buf.resize(w.size());
  return buf;
}

handler_config rfc5780_config() {
  handler_config c;
  c.rfc5780 = true;
  c.role_address[0] = *transport_address::parse("192.0.2.1:3478");
  c.role_address[1] = *transport_address::parse("192.0.2.1:3479");
  c.role_address[2] = *transport_address::parse("192.0.2.2:3478");
  c.role_address[3] = *transport_address::parse("192.0.2.2:3479");
  return c;
}

void run(benchmark::State& state, shape s, const char* source, const handler_config& cfg, socket_role role) {
  const auto req = request_bytes(s);
  const transport_address src = *transport_address::parse(source);
  alignas(64) std::array<std::byte, 4096> out{};
  // One untimed call proves the benchmark measures an answered request.
  if (handle_request(req, src, role, cfg, out).what != verdict::success) {
    state.SkipWithError("request not answered with success");
    return;
  }
  const pinhole::bench::alloc_probe allocs;
  for (auto _ : state) {
    auto r = handle_request(req, src, role, cfg, out);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  allocs.report(state);
  state.SetItemsProcessed(state.iterations());
}

void BM_HandleBindingIPv4(benchmark::State& state) {
  run(state, shape::plain, "198.51.100.20:40000", handler_config{}, socket_role::single);
}
void BM_HandleBindingIPv4Fingerprint(benchmark::State& state) {
  run(state, shape::fingerprint, "198.51.100.20:40000", handler_config{}, socket_role::single);
}
void BM_HandleBindingIPv6(benchmark::State& state) {
  run(state, shape::plain, "[2001:db8::20]:40000", handler_config{}, socket_role::single);
}
void BM_HandleBindingRfc5780(benchmark::State& state) {
  run(state, shape::plain, "198.51.100.20:40000", rfc5780_config(), socket_role::pp);
}
void BM_HandleBindingClassic(benchmark::State& state) {
  run(state, shape::classic, "198.51.100.20:40000", handler_config{}, socket_role::single);
}
BENCHMARK(BM_HandleBindingIPv4);
BENCHMARK(BM_HandleBindingIPv4Fingerprint);
BENCHMARK(BM_HandleBindingIPv6);
BENCHMARK(BM_HandleBindingRfc5780);
BENCHMARK(BM_HandleBindingClassic);

}  // namespace

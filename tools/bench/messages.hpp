// The Binding requests pinhole-bench sends and the checks every response
// must pass: a Binding success response (RFC 8489 §6.3.3) whose transaction
// ID is one of ours and whose XOR-MAPPED-ADDRESS is exactly the address the
// request left from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stun/address.hpp"
#include "txid_table.hpp"

namespace pinhole::bench {

// 20 bytes, or 28 with FINGERPRINT.
inline constexpr std::size_t max_request_size = 28;

// Writes a Binding request with the transaction ID of `id` into `out`
// (at least max_request_size bytes); returns its size.
std::size_t build_request(const txid_fields& id, bool fingerprint, std::span<std::byte> out) noexcept;

enum class response_check : std::uint8_t {
  ok,
  not_stun,             // does not parse as a STUN message
  not_binding_success,  // an error response, a request, another method ...
  foreign,              // classic ID or another run's nonce: not ours
  wrong_socket,         // arrived on another socket than the request left from
  bad_mapped_address,   // XOR-MAPPED-ADDRESS missing, malformed or not our address
};
const char* to_string(response_check c) noexcept;

// Checks `response`, received on socket `socket` whose local address is
// `local`, against run `nonce`. On ok, `id` holds the decoded transaction ID.
response_check check_response(std::span<const std::byte> response, std::uint32_t nonce, std::uint16_t socket,
                              const stun::transport_address& local, txid_fields& id) noexcept;

}  // namespace pinhole::bench

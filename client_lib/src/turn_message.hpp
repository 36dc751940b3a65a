// TURN (RFC 8656) requests as libpinhole sends them and validation of the
// server's replies, Data indications and ChannelData. Pure functions over
// bytes, like binding.hpp: whatever a hostile server sends, the checks here
// keep it from becoming a relayed mapping or a datagram from a wrong peer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "binding.hpp"
#include "pinhole/options.hpp"
#include "pinhole/types.hpp"
#include "stun/constants.hpp"

namespace pinhole::client {

struct turn_request {
  stun::method method = stun::method::allocate;
  txid_t txid{};
  std::optional<std::uint32_t> lifetime;   // Allocate, Refresh (0 = deallocate)
  std::optional<ip_endpoint> peer;         // CreatePermission, ChannelBind
  std::uint16_t channel = 0;               // ChannelBind
  ip_family relay_family = ip_family::v4;  // Allocate: REQUESTED-ADDRESS-FAMILY when IPv6
  const credentials* auth = nullptr;
  const long_term* challenge = nullptr;  // with auth: USERNAME, REALM, NONCE, MESSAGE-INTEGRITY
  bool fingerprint = true;
};

std::error_code build_turn_request(const turn_request& r, std::vector<std::byte>& out);

struct turn_expectation {
  stun::method method = stun::method::allocate;
  txid_t txid{};
  ip_endpoint server;
  ip_family relay_family = ip_family::v4;
  std::optional<credentials> auth;
  std::optional<long_term> challenge;
};

struct turn_reply {
  bool success = false;
  std::uint16_t error_code = 0;
  std::string reason;
  std::optional<long_term> challenge;  // 401 / 438 with REALM and NONCE
  ip_endpoint relayed;                 // Allocate success
  ip_endpoint mapped;                  // Allocate success: XOR-MAPPED-ADDRESS, if sent
  std::uint32_t lifetime = 0;          // Allocate / Refresh success
};

// Same verdicts as validate_response (binding.hpp).
verdict validate_turn_response(std::span<const std::byte> data, const ip_endpoint& from, const turn_expectation& e,
                               turn_reply& out) noexcept;

// The pinhole::errc for a TURN error response (437, 441, 442, 486, 508, and
// server_error for the rest).
std::error_code turn_error(std::uint16_t code) noexcept;

// A Send indication (RFC 8656 §11.1) into `out`: XOR-PEER-ADDRESS and DATA.
// Returns its size, 0 if it does not fit. No allocation: the media path.
std::size_t encode_send_indication(const txid_t& txid, const ip_endpoint& peer, std::span<const std::byte> data,
                                   std::span<std::byte> out) noexcept;

// A Data indication (RFC 8656 §11.4): the peer and the data it sent. False if
// `data` is not a well-formed Data indication.
bool decode_data_indication(std::span<const std::byte> data, ip_endpoint& peer,
                            std::span<const std::byte>& payload) noexcept;

}  // namespace pinhole::client

// Builders for the STUN replies the client unit tests feed to the
// transaction and validation code.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "address_conv.hpp"
#include "binding.hpp"
#include "stun/integrity.hpp"
#include "stun/writer.hpp"

namespace pinhole::test {

inline ip_endpoint ep(const char* text) { return *ip_endpoint::parse(text); }

struct reply {
  std::uint16_t type = stun::binding_success;
  client::txid_t txid{};
  std::optional<ip_endpoint> xor_mapped;
  std::optional<ip_endpoint> mapped;
  std::optional<ip_endpoint> other;
  std::optional<ip_endpoint> origin;
  std::uint16_t error = 0;
  std::optional<std::string> integrity_password;
  std::optional<client::long_term> challenge;              // REALM and NONCE attributes
  std::optional<std::array<std::byte, 16>> integrity_key;  // a long-term key instead
  bool fingerprint = true;

  std::vector<std::byte> bytes() const {
    std::vector<std::byte> buf(512);
    stun::message_writer w(buf);
    w.begin(type, std::span<const std::byte, 12>(txid));
    if (error != 0) w.add_error_code(error, "test");
    if (xor_mapped) w.add_xor_address(stun::attr::xor_mapped_address, client::to_stun(*xor_mapped));
    if (mapped) w.add_address(stun::attr::mapped_address, client::to_stun(*mapped));
    if (origin) w.add_address(stun::attr::response_origin, client::to_stun(*origin));
    if (other) w.add_address(stun::attr::other_address, client::to_stun(*other));
    if (challenge) w.add_text(stun::attr::realm, challenge->realm).add_text(stun::attr::nonce, challenge->nonce);
    if (integrity_password) w.add_message_integrity(stun::short_term_key(*integrity_password));
    if (integrity_key) w.add_message_integrity(*integrity_key);
    if (fingerprint) w.add_fingerprint();
    buf.resize(w.size());
    return buf;
  }
};

inline client::txid_t txid(std::uint8_t seed) {
  client::txid_t id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::byte>(seed + i * 7U);
  return id;
}

}  // namespace pinhole::test

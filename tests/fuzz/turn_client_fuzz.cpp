// Fuzz target: libpinhole's TURN input (RFC 8656): reply validation
// (client::validate_turn_response), Data indications and ChannelData, the
// gate between a TURN server we do not control and the relayed mapping and
// datagrams the library reports. Input: one flags byte, then the datagram.
//   bits 0-1: the method expected (Allocate, Refresh, CreatePermission, ChannelBind)
//   bit 2: IPv6 relay asked for (else IPv4)
//   bit 3: a long-term challenge in use (credentials "user"/"pass", realm "r")
//   bit 4: the datagram comes from the server (else a stranger)
//   bit 5: we expect the datagram's own transaction ID (else a fixed one)
// Invariants: only a response of the expected method to our transaction
// from our server is accepted; an accepted Allocate success has a relayed
// address of the family asked for, never port 0 or the unspecified address,
// and a LIFETIME above 0; with a challenge an accepted success carries a
// valid MESSAGE-INTEGRITY; a rejected datagram leaves the result untouched;
// decoded ChannelData and Data indication payloads lie inside the datagram.
// The unwrapping gate of both socket models (relay_directory::unwrap, with
// channel 0x4000 bound and 0x4001 requested, a permission for one IP): data
// only from the server, only from a peer it knows, inside the datagram.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "relay_directory.hpp"
#include "stun/channel_data.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"
#include "stun/turn.hpp"
#include "turn_message.hpp"

namespace {

using namespace pinhole;
using namespace pinhole::client;

bool inside(std::span<const std::byte> part, std::span<const std::byte> whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned flags = data[0];
  const std::span<const std::byte> dgram(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  constexpr stun::method methods[] = {stun::method::allocate, stun::method::refresh, stun::method::create_permission,
                                      stun::method::channel_bind};

  turn_expectation e;
  e.method = methods[flags & 3U];
  e.relay_family = (flags & 4U) != 0 ? ip_family::v6 : ip_family::v4;
  e.server = *ip_endpoint::parse("192.0.2.1:3478");
  for (std::size_t i = 0; i < e.txid.size(); ++i) e.txid[i] = static_cast<std::byte>(0xB0 + i);
  if ((flags & 32U) != 0 && dgram.size() >= stun::header_size) std::copy_n(dgram.begin() + 8, 12, e.txid.begin());
  e.auth = credentials{"user", "pass"};
  if ((flags & 8U) != 0) e.challenge = long_term{"r", "n"};
  const ip_endpoint from = (flags & 16U) != 0 ? e.server : *ip_endpoint::parse("192.0.2.66:3478");

  turn_reply out;
  out.reason = "untouched";
  const auto v = validate_turn_response(dgram, from, e, out);
  if (v != verdict::accepted) {
    FUZZ_CHECK(out.reason == "untouched" && !out.success && out.error_code == 0);
  } else {
    stun::message_view m;
    FUZZ_CHECK(!stun::message_view::parse(dgram, m));
    FUZZ_CHECK(m.method_bits() == static_cast<std::uint16_t>(e.method));
    FUZZ_CHECK(std::ranges::equal(m.transaction_id(), e.txid));
    FUZZ_CHECK(from == e.server);
    if (!out.success) {
      FUZZ_CHECK(m.cls() == stun::msg_class::error && out.error_code >= 300 && out.error_code <= 699);
    } else {
      FUZZ_CHECK(m.cls() == stun::msg_class::success);
      if (e.challenge) FUZZ_CHECK(!stun::verify_integrity(m, stun::long_term_key("user", "r", "pass")));
      if (e.method == stun::method::allocate) {
        FUZZ_CHECK(out.relayed.family == e.relay_family && out.relayed.port != 0 && !out.relayed.is_unspecified());
        FUZZ_CHECK(out.lifetime > 0);
      }
    }
  }

  stun::channel_data_view cd;
  if (!stun::decode_channel_data(dgram, cd)) {
    FUZZ_CHECK(stun::valid_channel(cd.channel) && inside(cd.data, dgram));
    FUZZ_CHECK(stun::channel_data_header_size + cd.data.size() <= dgram.size());
  }
  ip_endpoint peer;
  std::span<const std::byte> payload;
  if (decode_data_indication(dgram, peer, payload)) FUZZ_CHECK(inside(payload, dgram) && peer.port != 0);

  static relay_directory routes;
  static const ip_endpoint internal = *ip_endpoint::parse("198.18.0.10:40000");
  static const ip_endpoint bound = *ip_endpoint::parse("198.51.100.20:5004");
  static const ip_endpoint requested = *ip_endpoint::parse("198.51.100.21:5004");
  static const bool ready = [] {
    routes.add(internal, -1, *ip_endpoint::parse("192.0.2.1:3478"));
    routes.set_channel(internal, bound, 0x4000);
    routes.expect_channel(internal, requested, 0x4001);
    routes.permit(internal, bound);
    return true;
  }();
  (void)ready;
  const auto u = routes.unwrap(internal, from, dgram, peer, payload);
  if (from != e.server) FUZZ_CHECK(u == relay_directory::unwrapped::not_turn);
  if (u == relay_directory::unwrapped::data) {
    FUZZ_CHECK(inside(payload, dgram));
    FUZZ_CHECK(peer == bound || peer == requested || peer.same_ip(bound));
  }
  return 0;
}

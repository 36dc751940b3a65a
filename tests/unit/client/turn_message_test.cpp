// TURN request building and the validation of hostile replies.
#include "turn_message.hpp"

#include <gtest/gtest.h>

#include <array>
#include <functional>

#include "address_conv.hpp"
#include "pinhole/errors.hpp"
#include "stun/attributes.hpp"
#include "stun/channel_data.hpp"
#include "stun/integrity.hpp"
#include "stun/turn.hpp"
#include "stun/writer.hpp"

using namespace pinhole;
using namespace pinhole::client;

namespace {

const ip_endpoint server = *ip_endpoint::parse("192.0.2.1:3478");
const credentials auth{"user", "pass"};
const long_term challenge{"r", "n"};

turn_expectation expect(stun::method m = stun::method::allocate) {
  turn_expectation e;
  e.method = m;
  e.txid.fill(std::byte{7});
  e.server = server;
  e.auth = auth;
  e.challenge = challenge;
  return e;
}

// A reply of `type` to expect()'s transaction; `sign` adds MESSAGE-INTEGRITY
// with the long-term key (or a wrong one).
std::vector<std::byte> reply(std::uint16_t type, const std::function<void(stun::message_writer&)>& attrs,
                             bool sign = true, bool wrong_key = false) {
  std::vector<std::byte> buf(512);
  stun::message_writer w(buf);
  const auto e = expect();
  w.begin(type, std::span<const std::byte, 12>(e.txid));
  attrs(w);
  if (sign) w.add_message_integrity(stun::long_term_key("user", "r", wrong_key ? "nope" : "pass"));
  buf.resize(w.size());
  return buf;
}

void relayed(stun::message_writer& w, const char* addr = "198.51.100.9:50000") {
  w.add_xor_address(stun::attr::xor_relayed_address, to_stun(*ip_endpoint::parse(addr)));
}

}  // namespace

TEST(TurnMessage, AllocateRequestCarriesTransportLifetimeAndCredentials) {
  turn_request r;
  r.method = stun::method::allocate;
  r.lifetime = 600;
  r.auth = &auth;
  r.challenge = &challenge;
  std::vector<std::byte> out;
  ASSERT_FALSE(build_turn_request(r, out));
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(out, m));
  EXPECT_EQ(m.type(), stun::allocate_request);
  std::uint8_t proto = 0;
  ASSERT_TRUE(m.find(stun::attr::requested_transport));
  ASSERT_FALSE(stun::decode_requested_transport(*m.find(stun::attr::requested_transport), proto));
  EXPECT_EQ(proto, 17);
  std::uint32_t life = 0;
  ASSERT_FALSE(stun::decode_lifetime(*m.find(stun::attr::lifetime), life));
  EXPECT_EQ(life, 600U);
  EXPECT_TRUE(m.find(stun::attr::realm) && m.find(stun::attr::nonce) && m.find(stun::attr::username));
  EXPECT_FALSE(stun::verify_integrity(m, stun::long_term_key("user", "r", "pass")));
  EXPECT_TRUE(m.has_fingerprint());
}

TEST(TurnMessage, ChannelBindRequestHasChannelAndPeer) {
  turn_request r;
  r.method = stun::method::channel_bind;
  r.channel = 0x4001;
  r.peer = *ip_endpoint::parse("198.51.100.20:40000");
  std::vector<std::byte> out;
  ASSERT_FALSE(build_turn_request(r, out));
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(out, m));
  std::uint16_t ch = 0;
  ASSERT_FALSE(stun::decode_channel_number(*m.find(stun::attr::channel_number), ch));
  EXPECT_EQ(ch, 0x4001);
  stun::transport_address peer;
  ASSERT_FALSE(stun::decode_xor_address(*m.find(stun::attr::xor_peer_address), m.cookie_and_id(), peer));
  EXPECT_EQ(peer.to_string(), "198.51.100.20:40000");
}

TEST(TurnMessage, AcceptsAGoodAllocateSuccess) {
  const auto d = reply(stun::allocate_success, [](auto& w) {
    relayed(w);
    w.add_u32(stun::attr::lifetime, 600);
  });
  turn_reply r;
  ASSERT_EQ(validate_turn_response(d, server, expect(), r), verdict::accepted);
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.relayed.to_string(), "198.51.100.9:50000");
  EXPECT_EQ(r.lifetime, 600U);
}

TEST(TurnMessage, HostileAllocateSuccessesAreNeverAMapping) {
  turn_reply r;
  // XOR-RELAYED-ADDRESS of the wrong family (IPv6 when IPv4 was asked for).
  auto d = reply(stun::allocate_success, [](auto& w) {
    relayed(w, "[2001:db8::9]:50000");
    w.add_u32(stun::attr::lifetime, 600);
  });
  EXPECT_EQ(validate_turn_response(d, server, expect(), r), verdict::rejected);
  // No relayed address, port 0, unspecified address.
  d = reply(stun::allocate_success, [](auto& w) { w.add_u32(stun::attr::lifetime, 600); });
  EXPECT_EQ(validate_turn_response(d, server, expect(), r), verdict::rejected);
  for (const char* bad : {"198.51.100.9:0", "0.0.0.0:5000"}) {
    d = reply(stun::allocate_success, [bad](auto& w) {
      relayed(w, bad);
      w.add_u32(stun::attr::lifetime, 600);
    });
    EXPECT_EQ(validate_turn_response(d, server, expect(), r), verdict::rejected) << bad;
  }
  // Absurd lifetimes: none, zero, or a LIFETIME of the wrong length.
  d = reply(stun::allocate_success, [](auto& w) { relayed(w); });
  EXPECT_EQ(validate_turn_response(d, server, expect(), r), verdict::rejected);
  d = reply(stun::allocate_success, [](auto& w) {
    relayed(w);
    w.add_u32(stun::attr::lifetime, 0);
  });
  EXPECT_EQ(validate_turn_response(d, server, expect(), r), verdict::rejected);
  // Missing or wrong MESSAGE-INTEGRITY.
  const auto good = [](auto& w) {
    relayed(w);
    w.add_u32(stun::attr::lifetime, 600);
  };
  EXPECT_EQ(validate_turn_response(reply(stun::allocate_success, good, false), server, expect(), r), verdict::rejected);
  EXPECT_EQ(validate_turn_response(reply(stun::allocate_success, good, true, true), server, expect(), r),
            verdict::rejected);
  // From another address, or another transaction / method: not ours.
  EXPECT_EQ(
      validate_turn_response(reply(stun::allocate_success, good), *ip_endpoint::parse("192.0.2.2:3478"), expect(), r),
      verdict::rejected);
  EXPECT_EQ(validate_turn_response(reply(stun::allocate_success, good), server, expect(stun::method::refresh), r),
            verdict::not_ours);
}

TEST(TurnMessage, HugeLifetimeIsAcceptedButNotTrusted) {
  const auto d = reply(stun::allocate_success, [](auto& w) {
    relayed(w);
    w.add_u32(stun::attr::lifetime, 0xFFFFFFFFU);
  });
  turn_reply r;
  ASSERT_EQ(validate_turn_response(d, server, expect(), r), verdict::accepted);
  EXPECT_EQ(r.lifetime, 0xFFFFFFFFU);  // turn_allocation::refresh_interval caps it (turn_client_test)
}

TEST(TurnMessage, ErrorsAndChallenges) {
  const auto err = [](std::uint16_t code, bool with_challenge) {
    return reply(
        stun::allocate_error,
        [=](auto& w) {
          w.add_error_code(code, "x");
          if (with_challenge) {
            w.add_text(stun::attr::realm, "r2");
            w.add_text(stun::attr::nonce, "n2");
          }
        },
        false);
  };
  turn_reply r;
  ASSERT_EQ(validate_turn_response(err(401, true), server, expect(), r), verdict::accepted);
  EXPECT_EQ(r.error_code, 401);
  ASSERT_TRUE(r.challenge);
  EXPECT_EQ(r.challenge->nonce, "n2");
  ASSERT_EQ(validate_turn_response(err(486, false), server, expect(), r), verdict::accepted);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(turn_error(437), errc::allocation_mismatch);
  EXPECT_EQ(turn_error(441), errc::wrong_credentials);
  EXPECT_EQ(turn_error(401), errc::wrong_credentials);
  EXPECT_EQ(turn_error(442), errc::unsupported_transport);
  EXPECT_EQ(turn_error(486), errc::allocation_quota_reached);
  EXPECT_EQ(turn_error(508), errc::insufficient_capacity);
  EXPECT_EQ(turn_error(500), errc::server_error);
}

TEST(TurnMessage, SendAndDataIndicationsRoundTrip) {
  const auto peer = *ip_endpoint::parse("198.51.100.20:40000");
  const std::array<std::byte, 5> payload{std::byte{0x80}, std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  std::array<std::byte, 128> buf{};
  txid_t id{};
  const auto n = encode_send_indication(id, peer, payload, buf);
  ASSERT_GT(n, 0U);
  // A Data indication has the same attributes with the Data method.
  auto data = std::vector<std::byte>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  stun::store_u16(data.data(), stun::data_indication);
  data.resize(data.size() - 0);
  ip_endpoint from;
  std::span<const std::byte> got;
  ASSERT_TRUE(decode_data_indication(data, from, got));
  EXPECT_EQ(from, peer);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), payload.begin(), payload.end()));
  // The Send indication itself is not a Data indication.
  EXPECT_FALSE(decode_data_indication(std::span(buf).first(n), from, got));
  std::array<std::byte, 16> small{};
  EXPECT_EQ(encode_send_indication(id, peer, payload, small), 0U);
}

TEST(TurnMessage, ErrorWithAWrongMessageIntegrityIsRejected) {
  // RFC 8489 §9.2.5 (paraphrased): a response whose MESSAGE-INTEGRITY does
  // not verify is not authenticated and is not acted on -- a forged 437 or
  // 486 must not end or refuse an allocation. Unsigned error responses are
  // accepted (coturn's 486 is one).
  const auto err = [](bool sign, bool wrong_key) {
    return reply(
        stun::make_type(stun::method::refresh, stun::msg_class::error),
        [](auto& w) { w.add_error_code(437, "Allocation Mismatch"); }, sign, wrong_key);
  };
  turn_reply r;
  EXPECT_EQ(validate_turn_response(err(true, true), server, expect(stun::method::refresh), r), verdict::rejected);
  EXPECT_EQ(r.error_code, 0);
  ASSERT_EQ(validate_turn_response(err(true, false), server, expect(stun::method::refresh), r), verdict::accepted);
  EXPECT_EQ(r.error_code, 437);
  ASSERT_EQ(validate_turn_response(err(false, false), server, expect(stun::method::refresh), r), verdict::accepted);
  EXPECT_EQ(r.error_code, 437);
}

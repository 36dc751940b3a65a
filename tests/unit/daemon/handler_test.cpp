// The request handler, byte for byte, without sockets.
#include "handler.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stun/attributes.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"
#include "test_bytes.hpp"

using namespace pinhole::stun;
using namespace pinhole::daemon;
using pinhole::test::hex;

namespace {

const std::array<std::byte, 12> txid{std::byte{0xA1}, std::byte{0xB2}, std::byte{3},  std::byte{4},
                                     std::byte{5},    std::byte{6},    std::byte{7},  std::byte{8},
                                     std::byte{9},    std::byte{10},   std::byte{11}, std::byte{12}};
const transport_address client4 = *transport_address::parse("198.51.100.20:40000");
const transport_address client6 = *transport_address::parse("[2001:db8::20]:40000");

std::vector<std::byte> request(auto&& fill, std::uint16_t type = binding_request) {
  std::vector<std::byte> buf(2048);
  message_writer w(buf);
  w.begin(type, txid);
  fill(w);
  EXPECT_FALSE(w.error());
  buf.resize(w.size());
  return buf;
}
std::vector<std::byte> plain_request() {
  return request([](message_writer&) {});
}

struct answer {
  handler_result result;
  std::vector<std::byte> bytes;
  message_view view;
};

answer run(const std::vector<std::byte>& req, const handler_config& cfg, const transport_address& src = client4,
           socket_role role = socket_role::single) {
  answer a;
  a.bytes.resize(max_response_size);
  a.result = handle_request(req, src, role, cfg, a.bytes);
  a.bytes.resize(a.result.size);
  if (a.result.answered()) {
    EXPECT_FALSE(message_view::parse(a.bytes, a.view));
  }
  return a;
}

transport_address attr_address(const answer& a, std::uint16_t type) {
  transport_address out;
  auto raw = a.view.find(type);
  EXPECT_TRUE(raw) << "attribute " << type << " missing";
  if (!raw) return out;
  if (type == attr::xor_mapped_address) {
    EXPECT_FALSE(decode_xor_address(*raw, a.view.cookie_and_id(), out));
  } else {
    EXPECT_FALSE(decode_address(*raw, out));
  }
  return out;
}

std::uint16_t error_of(const answer& a) {
  error_code_value e;
  auto raw = a.view.find(attr::error_code);
  if (!raw || decode_error_code(*raw, e)) return 0;
  return e.code;
}

handler_config rfc5780_config() {
  handler_config c;
  c.rfc5780 = true;
  c.role_address = {*transport_address::parse("203.0.113.1:3478"), *transport_address::parse("203.0.113.1:3479"),
                    *transport_address::parse("203.0.113.2:3478"), *transport_address::parse("203.0.113.2:3479")};
  return c;
}

}  // namespace

TEST(Handler, RoleNamesAreRfc5780s) {
  EXPECT_STREQ(role_name(socket_role::pp), "PP");
  EXPECT_STREQ(role_name(socket_role::pa), "PA");
  EXPECT_STREQ(role_name(socket_role::ap), "AP");
  EXPECT_STREQ(role_name(socket_role::aa), "AA");
  EXPECT_STREQ(role_name(socket_role::single), "single");
  static_assert(role_name(flip(socket_role::pp, true, true))[0] == 'A');  // constexpr
}

TEST(Handler, BindingIpv4GetsXorMappedAddressFirst) {
  const auto a = run(plain_request(), {});
  ASSERT_EQ(a.result.what, verdict::success);
  EXPECT_EQ(a.view.type(), binding_success);
  EXPECT_TRUE(std::equal(txid.begin(), txid.end(), a.view.transaction_id().begin()));
  ASSERT_NE(a.view.begin(), a.view.end());
  EXPECT_EQ(a.view.begin()->type, attr::xor_mapped_address);
  EXPECT_EQ(attr_address(a, attr::xor_mapped_address), client4);
  EXPECT_FALSE(a.view.find(attr::software));
  EXPECT_FALSE(a.view.find(attr::other_address));  // never without a real alternate
  EXPECT_FALSE(a.view.find(attr::fingerprint));
  EXPECT_EQ(a.result.destination, client4);
  EXPECT_EQ(a.bytes.size(), 32U);  // 20 header + 12 XOR-MAPPED-ADDRESS: 1.6x a 20-byte request
}

TEST(Handler, BindingIpv6) {
  const auto a = run(plain_request(), {}, client6);
  ASSERT_EQ(a.result.what, verdict::success);
  EXPECT_EQ(attr_address(a, attr::xor_mapped_address), client6);
}

TEST(Handler, FingerprintEchoedAndSoftwareWhenConfigured) {
  handler_config cfg;
  cfg.software = "pinhole test";
  const auto a = run(request([](message_writer& w) { w.add_fingerprint(); }), cfg);
  ASSERT_EQ(a.result.what, verdict::success);
  EXPECT_TRUE(a.view.has_fingerprint());  // parse() verified its CRC
  auto sw = a.view.find(attr::software);
  ASSERT_TRUE(sw);
  EXPECT_EQ(sw->value.size(), 12U);
}

TEST(Handler, ClassicRequestGetsMappedAddress) {
  const auto req = hex("0001 0008 0102030405060708090a0b0c0d0e0f10 0003 0004 00000000");
  const auto a = run(req, {});
  ASSERT_EQ(a.result.what, verdict::success);
  EXPECT_TRUE(a.view.classic());
  EXPECT_EQ(attr_address(a, attr::mapped_address), client4);
  EXPECT_FALSE(a.view.find(attr::xor_mapped_address));
  // The 128-bit classic transaction ID comes back unchanged.
  EXPECT_TRUE(std::equal(req.begin() + 4, req.begin() + 20, a.bytes.begin() + 4));
}

TEST(Handler, ClassicRequestInDiscoveryModeGetsSourceAndChangedAddress) {
  const auto req = hex("0001 0008 0102030405060708090a0b0c0d0e0f10 0003 0004 00000004");
  const auto a = run(req, rfc5780_config(), client4, socket_role::pp);
  ASSERT_EQ(a.result.what, verdict::success);
  EXPECT_EQ(a.result.send_from, socket_role::ap);
  EXPECT_EQ(attr_address(a, attr::source_address).to_string(), "203.0.113.2:3478");
  EXPECT_EQ(attr_address(a, attr::changed_address).to_string(), "203.0.113.2:3479");
}

TEST(Handler, IndicationsAndResponsesAreNeverAnswered) {
  EXPECT_EQ(run(request([](message_writer&) {}, binding_indication), {}).result.what, verdict::drop_indication);
  EXPECT_EQ(run(request([](message_writer&) {}, binding_success), {}).result.what, verdict::drop_response);
  EXPECT_EQ(run(request([](message_writer&) {}, binding_error), {}).result.what, verdict::drop_response);
}

TEST(Handler, GarbageIsDroppedSilently) {
  for (const char* h :
       {"", "00", "ffff0000 2112a442 000102030405060708090a0b", "0001 0004 2112a442 000102030405060708090a0b",
        "0001 0002 2112a442 000102030405060708090a0b 0000", "16030100 2112a442 000102030405060708090a0b"}) {
    const auto a = run(hex(h), {});
    EXPECT_EQ(a.result.what, verdict::drop_malformed) << h;
    EXPECT_EQ(a.result.size, 0U) << h;
  }
}

TEST(Handler, WrongFingerprintIsDroppedNotAnswered) {
  auto req = request([](message_writer& w) { w.add_fingerprint(); });
  req.back() ^= std::byte{0xFF};
  const auto a = run(req, {});
  EXPECT_EQ(a.result.what, verdict::drop_malformed);
  EXPECT_EQ(a.result.reason, errc::bad_fingerprint);
}

TEST(Handler, MalformedAttributesGet400) {
  // Valid header, SOFTWARE attribute overruns the message.
  const auto a = run(hex("0001 0008 2112a442 a1b2030405060708090a0b0c 8022 0100 41424344"), {});
  ASSERT_EQ(a.result.what, verdict::error_response);
  EXPECT_EQ(a.view.type(), binding_error);
  EXPECT_EQ(error_of(a), 400);
  EXPECT_EQ(a.result.error_code, 400);
  EXPECT_TRUE(std::equal(txid.begin(), txid.end(), a.view.transaction_id().begin()));
}

TEST(Handler, MalformedIndicationIsDropped) {
  const auto a = run(hex("0011 0008 2112a442 a1b2030405060708090a0b0c 8022 0100 41424344"), {});
  EXPECT_EQ(a.result.what, verdict::drop_malformed);
}

TEST(Handler, UnknownMethodGets400) {
  const auto a = run(request([](message_writer&) {}, make_type(static_cast<method>(0x0003), msg_class::request)), {});
  ASSERT_EQ(a.result.what, verdict::error_response);
  EXPECT_EQ(error_of(a), 400);
}

TEST(Handler, UnknownComprehensionRequiredGets420WithList) {
  const auto req = request([](message_writer& w) {
    w.add_u32(0x0055, 1).add_u32(0x8055, 2).add_u32(0x0066, 3).add_u32(0x0055, 4).add_fingerprint();
  });
  const auto a = run(req, {});
  ASSERT_EQ(a.result.what, verdict::error_response);
  EXPECT_EQ(error_of(a), 420);
  std::array<std::uint16_t, 8> types{};
  std::size_t n = 0;
  ASSERT_FALSE(decode_unknown_attributes(*a.view.find(attr::unknown_attributes), types, n));
  ASSERT_EQ(n, 2U);  // 0x8055 is optional; the duplicate 0x0055 is listed once
  EXPECT_EQ(types[0], 0x0055);
  EXPECT_EQ(types[1], 0x0066);
  EXPECT_TRUE(a.view.has_fingerprint());
}

TEST(Handler, ChangeRequestWithoutAlternateGets420) {
  const auto req = request([](message_writer& w) { w.add_change_request(true, false); });
  const auto a = run(req, {});
  ASSERT_EQ(a.result.what, verdict::error_response);
  EXPECT_EQ(error_of(a), 420);
  std::array<std::uint16_t, 4> types{};
  std::size_t n = 0;
  ASSERT_FALSE(decode_unknown_attributes(*a.view.find(attr::unknown_attributes), types, n));
  ASSERT_EQ(n, 1U);
  EXPECT_EQ(types[0], attr::change_request);
  // With no flags set, nothing needs an alternate: answered normally.
  EXPECT_EQ(run(request([](message_writer& w) { w.add_change_request(false, false); }), {}).result.what,
            verdict::success);
}

TEST(Handler, DiscoveryModeRolesFollowTable1) {
  const auto cfg = rfc5780_config();
  struct row {
    bool ip, port;
    socket_role from;
    const char* origin;
  };
  for (const row r :
       {row{false, false, socket_role::pp, "203.0.113.1:3478"}, row{true, false, socket_role::ap, "203.0.113.2:3478"},
        row{false, true, socket_role::pa, "203.0.113.1:3479"}, row{true, true, socket_role::aa, "203.0.113.2:3479"}}) {
    const auto req = request([&](message_writer& w) { w.add_change_request(r.ip, r.port); });
    const auto a = run(req, cfg, client4, socket_role::pp);
    ASSERT_EQ(a.result.what, verdict::success);
    EXPECT_EQ(a.result.send_from, r.from);
    EXPECT_EQ(attr_address(a, attr::xor_mapped_address), client4);
    EXPECT_EQ(attr_address(a, attr::mapped_address), client4);
    EXPECT_EQ(attr_address(a, attr::response_origin).to_string(), r.origin);
    // OTHER-ADDRESS: alternate IP and port relative to where the request arrived.
    EXPECT_EQ(attr_address(a, attr::other_address).to_string(), "203.0.113.2:3479");
  }
  // A request that reached the AA socket names PP as the other address.
  const auto a = run(plain_request(), cfg, client4, socket_role::aa);
  EXPECT_EQ(attr_address(a, attr::other_address).to_string(), "203.0.113.1:3478");
  EXPECT_EQ(attr_address(a, attr::response_origin).to_string(), "203.0.113.2:3479");
}

TEST(Handler, DiscoveryModeSingleSocketStillRefusesChange) {
  const auto req = request([](message_writer& w) { w.add_change_request(false, true); });
  const auto a = run(req, rfc5780_config(), client6, socket_role::single);
  EXPECT_EQ(error_of(a), 420);
  const auto plain = run(plain_request(), rfc5780_config(), client6, socket_role::single);
  EXPECT_FALSE(plain.view.find(attr::other_address));
}

TEST(Handler, ResponsePortRedirectsOnlyThePort) {
  const auto a = run(request([](message_writer& w) { w.add_response_port(5555); }), {});
  ASSERT_EQ(a.result.what, verdict::success);
  EXPECT_TRUE(a.result.destination.same_ip(client4));
  EXPECT_EQ(a.result.destination.port, 5555);
  EXPECT_EQ(attr_address(a, attr::xor_mapped_address), client4);
}

TEST(Handler, ResponsePortZeroIs400ToTheSource) {
  const auto a = run(request([](message_writer& w) { w.add_response_port(0); }), {});
  EXPECT_EQ(error_of(a), 400);
  EXPECT_EQ(a.result.destination, client4);
}

TEST(Handler, PaddingWithResponsePortIs400) {
  const auto a = run(request([](message_writer& w) { w.add_response_port(5555).add_padding(100); }), {});
  EXPECT_EQ(error_of(a), 400);
  EXPECT_EQ(a.result.destination, client4);
}

TEST(Handler, PaddedResponseMatchesRequestSizeNeverExceedsIt) {
  for (std::size_t pad : {0U, 4U, 100U, 1500U}) {
    const auto req = request([&](message_writer& w) { w.add_padding(pad).add_fingerprint(); });
    const auto a = run(req, rfc5780_config(), client6, socket_role::pp);
    ASSERT_EQ(a.result.what, verdict::success) << pad;
    // Unpadded, this IPv6 discovery response is 100 bytes (XOR-MAPPED, MAPPED,
    // RESPONSE-ORIGIN, OTHER-ADDRESS, FINGERPRINT); padding only fills up to
    // the request's size.
    EXPECT_LE(a.bytes.size(), std::max<std::size_t>(req.size(), 100U + 4U)) << pad;
    if (pad >= 100) {
      EXPECT_EQ(a.bytes.size(), req.size()) << pad;
    }
    EXPECT_TRUE(a.view.has_fingerprint());
  }
}

TEST(Handler, AuthRequired) {
  handler_config cfg;
  cfg.auth_required = true;
  cfg.username = "alice";
  cfg.key = short_term_key("s3cret");

  // Missing USERNAME / MESSAGE-INTEGRITY: 400 (RFC 8489 §9.1.3).
  EXPECT_EQ(error_of(run(plain_request(), cfg)), 400);
  EXPECT_EQ(error_of(run(request([](message_writer& w) { w.add_text(attr::username, "alice"); }), cfg)), 400);
  // Unknown user or wrong password: 401.
  const auto wrong_user = request(
      [](message_writer& w) { w.add_text(attr::username, "mallory").add_message_integrity(short_term_key("s3cret")); });
  EXPECT_EQ(error_of(run(wrong_user, cfg)), 401);
  const auto wrong_pw = request(
      [](message_writer& w) { w.add_text(attr::username, "alice").add_message_integrity(short_term_key("guess")); });
  const auto denied = run(wrong_pw, cfg);
  EXPECT_EQ(error_of(denied), 401);
  EXPECT_FALSE(denied.view.integrity());  // no MESSAGE-INTEGRITY on a 401
  // Right credentials: success, signed with the same key, SHA1 and SHA256.
  for (bool sha256 : {false, true}) {
    const auto ok = request([&](message_writer& w) {
      w.add_text(attr::username, "alice");
      if (sha256) {
        w.add_message_integrity_sha256(short_term_key("s3cret"));
      } else {
        w.add_message_integrity(short_term_key("s3cret"));
      }
      w.add_fingerprint();
    });
    const auto a = run(ok, cfg);
    ASSERT_EQ(a.result.what, verdict::success) << sha256;
    EXPECT_FALSE(verify_integrity(a.view, short_term_key("s3cret"))) << sha256;
    EXPECT_EQ(sha256, a.view.integrity_sha256().has_value());
    EXPECT_TRUE(a.view.has_fingerprint());
  }
}

TEST(Handler, AuthenticationComesBeforeUnknownAttributes) {
  handler_config cfg;
  cfg.auth_required = true;
  cfg.username = "alice";
  cfg.key = short_term_key("s3cret");
  // RFC 8489 §6.3: authentication first, then unknown comprehension-required
  // attributes. Unauthenticated, an unknown attribute earns no 420 (which
  // would tell a stranger what the server understands): 400 / 401.
  EXPECT_EQ(error_of(run(request([](message_writer& w) { w.add_u32(0x0055, 1); }), cfg)), 400);
  const auto wrong_pw = request([](message_writer& w) {
    w.add_u32(0x0055, 1).add_text(attr::username, "alice").add_message_integrity(short_term_key("guess"));
  });
  const auto denied = run(wrong_pw, cfg);
  EXPECT_EQ(error_of(denied), 401);
  EXPECT_FALSE(denied.view.integrity());
  // Same for CHANGE-REQUEST without an alternate address, and a bad RESPONSE-PORT.
  EXPECT_EQ(error_of(run(request([](message_writer& w) { w.add_change_request(true, true); }), cfg)), 400);
  EXPECT_EQ(error_of(run(request([](message_writer& w) { w.add_response_port(0); }), cfg)), 400);
  const auto a = run(request([](message_writer& w) { w.add_response_port(0); }), cfg);
  EXPECT_EQ(a.result.reason, errc::integrity_missing);
}

TEST(Handler, ErrorsAfterAuthenticationAreSigned) {
  handler_config cfg;
  cfg.auth_required = true;
  cfg.username = "alice";
  cfg.key = short_term_key("s3cret");
  for (bool sha256 : {false, true}) {
    const auto req = request([&](message_writer& w) {
      w.add_u32(0x0055, 1).add_text(attr::username, "alice");
      if (sha256) {
        w.add_message_integrity_sha256(short_term_key("s3cret"));
      } else {
        w.add_message_integrity(short_term_key("s3cret"));
      }
      w.add_fingerprint();
    });
    const auto a = run(req, cfg);
    ASSERT_EQ(a.result.what, verdict::error_response) << sha256;
    EXPECT_EQ(error_of(a), 420) << sha256;
    // RFC 8489 §9.1.3: "Any response generated by a server to a request that
    // contains ... MESSAGE-INTEGRITY ... MUST include" it, same key, same kind.
    EXPECT_FALSE(verify_integrity(a.view, short_term_key("s3cret"))) << sha256;
    EXPECT_EQ(sha256, a.view.integrity_sha256().has_value());
    EXPECT_FALSE(a.view.find(attr::username));
    EXPECT_TRUE(a.view.has_fingerprint());
    ASSERT_TRUE(a.view.find(attr::unknown_attributes));
  }
  // A 400 from usage processing (RESPONSE-PORT 0) after authentication is signed too.
  const auto zero =
      run(request([](message_writer& w) {
            w.add_response_port(0).add_text(attr::username, "alice").add_message_integrity(short_term_key("s3cret"));
          }),
          cfg);
  EXPECT_EQ(error_of(zero), 400);
  EXPECT_FALSE(verify_integrity(zero.view, short_term_key("s3cret")));
}

TEST(Handler, ResponsePortIsHonouredWithoutAnAlternateAddress) {
  // Decision (RFC 5780 §5): RESPONSE-PORT and PADDING work on a single-address
  // server; only CHANGE-REQUEST needs RFC 5780 mode. Plain mode, and the
  // extra (single) listener of an RFC 5780 server, redirect the port only.
  for (const auto& [cfg, role] :
       {std::pair{handler_config{}, socket_role::single}, std::pair{rfc5780_config(), socket_role::single},
        std::pair{rfc5780_config(), socket_role::pp}}) {
    const auto a = run(request([](message_writer& w) { w.add_response_port(5555); }), cfg, client6, role);
    ASSERT_EQ(a.result.what, verdict::success);
    EXPECT_TRUE(a.result.destination.same_ip(client6));
    EXPECT_EQ(a.result.destination.port, 5555);
    EXPECT_EQ(attr_address(a, attr::xor_mapped_address), client6);
  }
}

TEST(Handler, TooSmallOutputBufferDropsInsteadOfOverflowing) {
  std::array<std::byte, 24> out{};
  const auto req = plain_request();
  const auto r = handle_request(req, client4, socket_role::single, {}, out);
  EXPECT_EQ(r.what, verdict::drop_malformed);
  EXPECT_EQ(r.reason, errc::buffer_too_small);
}

// Binding request construction and the validation that keeps bogus replies
// from ever being reported as a mapping.
#include "binding.hpp"

#include <gtest/gtest.h>

#include "stun/attributes.hpp"
#include "stun/reader.hpp"
#include "stun_replies.hpp"

using namespace pinhole;
using namespace pinhole::client;

namespace {

const ip_endpoint server = test::ep("192.0.2.1:3478");
const ip_endpoint mapped = test::ep("203.0.113.7:40000");

expectation expect(std::uint8_t seed = 1) {
  expectation e;
  e.txid = test::txid(seed);
  e.source = server;
  return e;
}

test::reply success(std::uint8_t seed = 1) {
  test::reply r;
  r.txid = test::txid(seed);
  r.xor_mapped = mapped;
  return r;
}

// An error response to transaction `seed` (0 = no ERROR-CODE attribute).
test::reply error_reply(std::uint16_t code, std::uint8_t seed = 1) {
  test::reply r;
  r.type = stun::binding_error;
  r.txid = test::txid(seed);
  r.error = code;
  return r;
}

verdict check(const test::reply& r, const expectation& e, binding_result& out, const ip_endpoint& from = server) {
  const auto bytes = r.bytes();
  return validate_response(bytes, from, e, out);
}

}  // namespace

TEST(BindingRequest, CarriesIdFingerprintAndChangeRequest) {
  request_spec spec;
  spec.txid = test::txid(7);
  spec.change_ip = true;
  std::vector<std::byte> req;
  ASSERT_FALSE(build_binding_request(spec, req));
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(req, m));
  EXPECT_EQ(m.type(), stun::binding_request);
  EXPECT_FALSE(m.classic());
  EXPECT_TRUE(std::equal(spec.txid.begin(), spec.txid.end(), m.transaction_id().begin()));
  EXPECT_TRUE(m.has_fingerprint());
  stun::change_request_value cr;
  ASSERT_TRUE(m.find(stun::attr::change_request));
  ASSERT_FALSE(stun::decode_change_request(*m.find(stun::attr::change_request), cr));
  EXPECT_TRUE(cr.change_ip);
  EXPECT_FALSE(cr.change_port);
}

TEST(BindingRequest, ShortTermCredentialsAddUsernameAndIntegrity) {
  credentials c{"alice", "secret"};
  request_spec spec;
  spec.txid = test::txid(8);
  spec.auth = &c;
  std::vector<std::byte> req;
  ASSERT_FALSE(build_binding_request(spec, req));
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(req, m));
  ASSERT_TRUE(m.find(stun::attr::username));
  EXPECT_FALSE(stun::verify_integrity(m, stun::short_term_key("secret")));
  EXPECT_TRUE(stun::verify_integrity(m, stun::short_term_key("wrong")));
  EXPECT_FALSE(m.find(stun::attr::change_request));
}

TEST(BindingRequest, LongTermCredentialsAnswerTheChallenge) {
  // RFC 8489 §9.2.3: USERNAME, REALM, NONCE and MESSAGE-INTEGRITY keyed
  // with MD5(username ":" realm ":" password).
  credentials c{"alice", "secret"};
  const long_term lt{"pinhole.test", "n0nce"};
  request_spec spec;
  spec.txid = test::txid(9);
  spec.auth = &c;
  spec.challenge = &lt;
  std::vector<std::byte> req;
  ASSERT_FALSE(build_binding_request(spec, req));
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(req, m));
  std::string_view v;
  ASSERT_TRUE(m.find(stun::attr::username));
  ASSERT_FALSE(stun::decode_text(*m.find(stun::attr::realm), 763, v));
  EXPECT_EQ(v, "pinhole.test");
  ASSERT_FALSE(stun::decode_text(*m.find(stun::attr::nonce), 763, v));
  EXPECT_EQ(v, "n0nce");
  EXPECT_FALSE(stun::verify_integrity(m, stun::long_term_key("alice", "pinhole.test", "secret")));
  EXPECT_TRUE(stun::verify_integrity(m, stun::short_term_key("secret")));  // not the short-term key
}

TEST(BindingIndication, IsAnIndication) {
  std::vector<std::byte> ind;
  ASSERT_FALSE(build_binding_indication(test::txid(2), ind));
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(ind, m));
  EXPECT_EQ(m.type(), stun::binding_indication);
}

TEST(ValidateResponse, AcceptsXorMappedAddress) {
  binding_result r;
  ASSERT_EQ(check(success(), expect(), r), verdict::accepted);
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.mapped, mapped);
  EXPECT_EQ(r.from, server);
  EXPECT_FALSE(r.other);
}

TEST(ValidateResponse, FallsBackToMappedAddress) {
  auto rep = success();
  rep.xor_mapped.reset();
  rep.mapped = mapped;
  binding_result r;
  ASSERT_EQ(check(rep, expect(), r), verdict::accepted);
  EXPECT_EQ(r.mapped, mapped);
}

TEST(ValidateResponse, OtherTransactionIdIsNotOurs) {
  binding_result r;
  EXPECT_EQ(check(success(2), expect(1), r), verdict::not_ours);
}

TEST(ValidateResponse, WrongSourceIsRejected) {
  binding_result r;
  EXPECT_EQ(check(success(), expect(), r, test::ep("192.0.2.1:3479")), verdict::rejected);
  EXPECT_EQ(check(success(), expect(), r, test::ep("192.0.2.2:3478")), verdict::rejected);
}

TEST(ValidateResponse, BadFingerprintIsRejected) {
  auto bytes = success().bytes();
  bytes.back() ^= std::byte{0x01};
  binding_result r;
  EXPECT_EQ(validate_response(bytes, server, expect(), r), verdict::rejected);
}

TEST(ValidateResponse, Ipv6MappedAddressOnIpv4SocketIsRejected) {
  auto rep = success();
  rep.xor_mapped = test::ep("[2001:db8::1]:40000");
  binding_result r;
  EXPECT_EQ(check(rep, expect(), r), verdict::rejected);
  // ... and the other way round.
  auto e = expect();
  e.socket_family = ip_family::v6;
  e.source = test::ep("[2001:db8::5]:3478");
  EXPECT_EQ(check(success(), e, r, e.source), verdict::rejected);
}

TEST(ValidateResponse, ZeroPortOrUnspecifiedMappingIsRejected) {
  auto rep = success();
  rep.xor_mapped = test::ep("203.0.113.7:0");
  binding_result r;
  EXPECT_EQ(check(rep, expect(), r), verdict::rejected);
  rep.xor_mapped = test::ep("0.0.0.0:4000");
  EXPECT_EQ(check(rep, expect(), r), verdict::rejected);
}

TEST(ValidateResponse, MissingMappedAddressIsRejected) {
  auto rep = success();
  rep.xor_mapped.reset();
  binding_result r;
  EXPECT_EQ(check(rep, expect(), r), verdict::rejected);
}

TEST(ValidateResponse, OtherAddressEqualToPrimaryMeansNoAlternate) {
  auto rep = success();
  rep.other = server;
  binding_result r;
  ASSERT_EQ(check(rep, expect(), r), verdict::accepted);
  EXPECT_FALSE(r.other);
  rep.other = test::ep("192.0.2.2:3479");
  rep.origin = server;
  ASSERT_EQ(check(rep, expect(), r), verdict::accepted);
  ASSERT_TRUE(r.other);
  EXPECT_EQ(*r.other, test::ep("192.0.2.2:3479"));
  EXPECT_EQ(*r.origin, server);
}

TEST(ValidateResponse, OtherAddressOfTheWrongFamilyIsIgnored) {
  auto rep = success();
  rep.other = test::ep("[2001:db8::2]:3479");
  binding_result r;
  ASSERT_EQ(check(rep, expect(), r), verdict::accepted);
  EXPECT_FALSE(r.other);
}

TEST(ValidateResponse, CredentialsRequireValidIntegrity) {
  auto e = expect();
  e.auth = credentials{"alice", "secret"};
  binding_result r;
  auto rep = success();
  EXPECT_EQ(check(rep, e, r), verdict::rejected);  // missing
  rep.integrity_password = "wrong";
  EXPECT_EQ(check(rep, e, r), verdict::rejected);  // mismatch
  rep.integrity_password = "secret";
  ASSERT_EQ(check(rep, e, r), verdict::accepted);
  EXPECT_EQ(r.mapped, mapped);
}

TEST(ValidateResponse, ChallengeIsReadFrom401And438) {
  for (const std::uint16_t code : {std::uint16_t{401}, std::uint16_t{438}}) {
    auto rep = error_reply(code);
    rep.challenge = long_term{"pinhole.test", "abc"};
    binding_result r;
    auto e = expect();
    e.auth = credentials{"alice", "secret"};
    ASSERT_EQ(check(rep, e, r), verdict::accepted) << code;
    ASSERT_TRUE(r.challenge) << code;
    EXPECT_EQ(r.challenge->realm, "pinhole.test");
    EXPECT_EQ(r.challenge->nonce, "abc");
  }
  // Other codes carry no challenge.
  auto rep = error_reply(400);
  rep.challenge = long_term{"r", "n"};
  binding_result r;
  ASSERT_EQ(check(rep, expect(), r), verdict::accepted);
  EXPECT_FALSE(r.challenge);
}

TEST(ValidateResponse, LongTermSuccessMustBeSignedWithTheLongTermKey) {
  auto e = expect();
  e.auth = credentials{"alice", "secret"};
  e.challenge = long_term{"pinhole.test", "abc"};
  binding_result r;
  auto rep = success();
  rep.integrity_password = "secret";  // the short-term key: not what was asked for
  EXPECT_EQ(check(rep, e, r), verdict::rejected);
  rep.integrity_password.reset();
  rep.integrity_key = stun::long_term_key("alice", "pinhole.test", "secret");
  ASSERT_EQ(check(rep, e, r), verdict::accepted);
  EXPECT_EQ(r.mapped, mapped);
}

TEST(ValidateResponse, ErrorResponseCarriesItsCode) {
  auto rep = error_reply(401);
  binding_result r;
  auto e = expect();
  e.auth = credentials{"alice", "secret"};  // 401 without integrity is still an answer
  ASSERT_EQ(check(rep, e, r), verdict::accepted);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error_code, 401);
  EXPECT_EQ(r.reason, "test");
}

TEST(ValidateResponse, ErrorResponseWithoutErrorCodeIsRejected) {
  const auto rep = error_reply(0);
  binding_result r;
  EXPECT_EQ(check(rep, expect(), r), verdict::rejected);
}

TEST(ValidateResponse, RequestsIndicationsAndNoiseAreNotOurs) {
  binding_result r;
  auto rep = success();
  rep.type = stun::binding_request;
  EXPECT_EQ(check(rep, expect(), r), verdict::not_ours);
  rep.type = stun::binding_indication;
  EXPECT_EQ(check(rep, expect(), r), verdict::not_ours);
  const std::vector<std::byte> rtp(172, std::byte{0x80});
  EXPECT_EQ(validate_response(rtp, server, expect(), r), verdict::not_ours);
  EXPECT_EQ(validate_response({}, server, expect(), r), verdict::not_ours);
}

TEST(Challenge, OnlyANewOneIsAnsweredAndStaleNonceAlways) {
  const long_term a{"pinhole.test", "n1"}, b{"pinhole.test", "n2"};
  binding_result r;
  r.error_code = 401;
  r.challenge = a;
  EXPECT_TRUE(is_new_challenge(r, std::nullopt));  // the first challenge
  EXPECT_TRUE(is_new_challenge(r, b));             // another nonce
  EXPECT_FALSE(is_new_challenge(r, a));            // the same again: wrong credentials
  r.error_code = 438;
  EXPECT_TRUE(is_new_challenge(r, a));  // Stale Nonce: always retried
  r.error_code = 400;
  EXPECT_FALSE(is_new_challenge(r, std::nullopt));
  r.error_code = 401;
  r.challenge.reset();
  EXPECT_FALSE(is_new_challenge(r, std::nullopt));  // no REALM/NONCE: nothing to answer
  r.success = true;
  r.challenge = a;
  EXPECT_FALSE(is_new_challenge(r, std::nullopt));
}

// RFC 5769 "Test Vectors for STUN": every sample message parses, its
// FINGERPRINT and MESSAGE-INTEGRITY verify, and its addresses decode.
#include <gtest/gtest.h>

#include "stun/attributes.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"
#include "test_bytes.hpp"

using namespace pinhole::stun;
using pinhole::test::as_bytes;
using pinhole::test::hex;

namespace {

// RFC 5769 §2.1 Sample Request.
const auto sample_request = hex(R"(
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf)");
// RFC 5769 §2.2 Sample IPv4 Response.
const auto ipv4_response = hex(R"(
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96)");
// RFC 5769 §2.3 Sample IPv6 Response.
const auto ipv6_response = hex(R"(
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c)");
// RFC 5769 §2.4 Sample Request with Long-Term Authentication.
const auto long_term_request = hex(R"(
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66)");

constexpr std::string_view short_term_password = "VOkJxbRl1RmTxUk/WvJxBt";

}  // namespace

TEST(Rfc5769, SampleRequestParsesAndVerifies) {
  message_view m;
  ASSERT_FALSE(message_view::parse(sample_request, m));
  EXPECT_EQ(m.type(), binding_request);
  EXPECT_FALSE(m.classic());
  EXPECT_TRUE(m.has_fingerprint());
  ASSERT_TRUE(m.integrity());
  EXPECT_FALSE(verify_integrity(m, short_term_key(short_term_password)));
  EXPECT_EQ(verify_integrity(m, short_term_key("wrong password")), errc::integrity_mismatch);

  auto user = m.find(attr::username);
  ASSERT_TRUE(user);
  std::string_view text;
  ASSERT_FALSE(decode_text(*user, 513, text));
  EXPECT_EQ(text, "evtj:h6vY");  // the 0x20 padding bytes are ignored
  auto sw = m.find(attr::software);
  ASSERT_TRUE(sw);
  ASSERT_FALSE(decode_text(*sw, 763, text));
  EXPECT_EQ(text, "STUN test client");
}

TEST(Rfc5769, Ipv4ResponseDecodesMappedAddress) {
  message_view m;
  ASSERT_FALSE(message_view::parse(ipv4_response, m));
  EXPECT_EQ(m.type(), binding_success);
  EXPECT_FALSE(verify_integrity(m, short_term_key(short_term_password)));
  auto xma = m.find(attr::xor_mapped_address);
  ASSERT_TRUE(xma);
  transport_address a;
  ASSERT_FALSE(decode_xor_address(*xma, m.cookie_and_id(), a));
  EXPECT_EQ(a, *transport_address::parse("192.0.2.1:32853"));
}

TEST(Rfc5769, Ipv6ResponseDecodesMappedAddress) {
  message_view m;
  ASSERT_FALSE(message_view::parse(ipv6_response, m));
  EXPECT_FALSE(verify_integrity(m, short_term_key(short_term_password)));
  auto xma = m.find(attr::xor_mapped_address);
  ASSERT_TRUE(xma);
  transport_address a;
  ASSERT_FALSE(decode_xor_address(*xma, m.cookie_and_id(), a));
  EXPECT_EQ(a, *transport_address::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853"));
}

TEST(Rfc5769, LongTermRequestVerifiesWithDerivedKey) {
  message_view m;
  ASSERT_FALSE(message_view::parse(long_term_request, m));
  EXPECT_FALSE(m.has_fingerprint());
  // Username "マトリックス", realm "example.org", password after SASLprep "TheMatrIX".
  const auto key = long_term_key("\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9",
                                 "example.org", "TheMatrIX");
  EXPECT_FALSE(verify_integrity(m, key));
  EXPECT_EQ(verify_integrity(m, long_term_key("x", "example.org", "TheMatrIX")), errc::integrity_mismatch);
}

TEST(Rfc5769, WriterReproducesIpv4ResponseByteForByte) {
  message_view req;
  ASSERT_FALSE(message_view::parse(ipv4_response, req));
  std::array<std::byte, 256> buf{};
  message_writer w(buf);
  w.begin(binding_success, req.transaction_id());
  // The vector pads SOFTWARE with a space; we pad with zeros as RFC 8489
  // requires, so write the 12 bytes including the space and fix the length.
  w.add_text(attr::software, "test vector");
  w.add_xor_address(attr::xor_mapped_address, *transport_address::parse("192.0.2.1:32853"));
  w.add_message_integrity(short_term_key(short_term_password));
  w.add_fingerprint();
  ASSERT_FALSE(w.error());
  ASSERT_EQ(w.size(), ipv4_response.size());
  // Everything up to the SOFTWARE padding byte matches exactly.
  EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + 35, ipv4_response.begin()));
  EXPECT_TRUE(std::equal(buf.begin() + 36, buf.begin() + 48, ipv4_response.begin() + 36));
  // And our own message verifies as a whole.
  message_view ours;
  ASSERT_FALSE(message_view::parse(w.bytes(), ours));
  EXPECT_FALSE(verify_integrity(ours, short_term_key(short_term_password)));
}

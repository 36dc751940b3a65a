// Round-trip property of the codec over randomly generated valid messages
// (seeded PRNG, reproducible): whatever message_writer builds, message_view
// parses back to the same header and attribute list, every typed attribute
// decodes to the value it was written from, integrity verifies, and
// re-encoding the parsed attributes gives the identical bytes. The fuzz
// target tests/fuzz/stun_decoder_fuzz.cpp checks the other direction
// (anything the decoder accepts re-encodes equivalently) on arbitrary input.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "stun/attributes.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"
#include "test_bytes.hpp"

using namespace pinhole::stun;
using pinhole::test::to_hex;

namespace {

constexpr std::string_view password = "round-trip password";

// One generated attribute: what was written, to compare with what is read.
struct address_attr {
  std::uint16_t type;
  transport_address addr;
  bool xored;
};
struct error_attr {
  std::uint16_t code;
  std::string reason;
};
struct unknown_attr {
  std::vector<std::uint16_t> types;
};
struct change_attr {
  bool ip, port;
};
struct port_attr {
  std::uint16_t port;
};
struct raw_attr {
  std::uint16_t type;
  std::vector<std::byte> value;
};
using attribute = std::variant<address_attr, error_attr, unknown_attr, change_attr, port_attr, raw_attr>;

struct generated {
  std::uint16_t type = 0;
  std::array<std::byte, 16> cookie_and_id{};
  std::vector<attribute> attrs;
  bool mi = false, mi256 = false, fingerprint = false;
};

class generator {
 public:
  explicit generator(std::uint32_t seed) : rng_(seed) {}

  generated message() {
    generated g;
    // Any 14-bit type: every method and class.
    g.type = static_cast<std::uint16_t>(pick(0, 0x3FFF));
    const bool classic = pick(0, 9) == 0;
    for (auto& b : g.cookie_and_id) b = static_cast<std::byte>(pick(0, 255));
    if (!classic) store_u32(g.cookie_and_id.data(), magic_cookie);
    if (classic && load_u32(g.cookie_and_id.data()) == magic_cookie) g.cookie_and_id[0] ^= std::byte{1};
    const int n = pick(0, 12);
    for (int i = 0; i < n; ++i) g.attrs.push_back(attr());
    g.mi = pick(0, 3) == 0;
    g.mi256 = pick(0, 3) == 0;
    g.fingerprint = pick(0, 1) == 0;
    return g;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  transport_address address() {
    transport_address a;
    a.fam = pick(0, 1) == 0 ? family::ipv4 : family::ipv6;
    for (std::size_t i = 0; i < a.ip_size(); ++i) a.ip[i] = static_cast<std::uint8_t>(pick(0, 255));
    a.port = static_cast<std::uint16_t>(pick(0, 65535));
    return a;
  }

  std::string text(int max) {
    std::string s(static_cast<std::size_t>(pick(0, max)), ' ');
    for (auto& c : s) c = static_cast<char>(pick(0x20, 0x7E));
    return s;
  }

  attribute attr() {
    static constexpr std::array<std::uint16_t, 6> plain{attr::mapped_address,  attr::source_address,
                                                        attr::changed_address, attr::response_origin,
                                                        attr::other_address,   attr::alternate_server};
    switch (pick(0, 6)) {
      case 0: return address_attr{plain[static_cast<std::size_t>(pick(0, 5))], address(), false};
      case 1: return address_attr{attr::xor_mapped_address, address(), true};
      case 2: return error_attr{static_cast<std::uint16_t>(pick(300, 699)), text(100)};
      case 3: {
        unknown_attr u;
        for (int i = pick(0, 8); i > 0; --i) u.types.push_back(static_cast<std::uint16_t>(pick(0, 0xFFFF)));
        return u;
      }
      case 4: return change_attr{pick(0, 1) == 1, pick(0, 1) == 1};
      case 5: return port_attr{static_cast<std::uint16_t>(pick(0, 65535))};
      default: {
        raw_attr r;
        // Any type but the three the parser gives a meaning to.
        do {
          r.type = static_cast<std::uint16_t>(pick(0, 0xFFFF));
        } while (r.type == attr::fingerprint || r.type == attr::message_integrity ||
                 r.type == attr::message_integrity_sha256);
        r.value.resize(static_cast<std::size_t>(pick(0, pick(0, 1) == 0 ? 16 : 600)));
        for (auto& b : r.value) b = static_cast<std::byte>(pick(0, 255));
        return r;
      }
    }
  }

  std::mt19937 rng_;
};

void encode(const generated& g, message_writer& w) {
  w.begin(g.type, g.cookie_and_id);
  for (const auto& a : g.attrs) {
    if (const auto* x = std::get_if<address_attr>(&a)) {
      if (x->xored) {
        w.add_xor_address(x->type, x->addr);
      } else {
        w.add_address(x->type, x->addr);
      }
    } else if (const auto* e = std::get_if<error_attr>(&a)) {
      w.add_error_code(e->code, e->reason);
    } else if (const auto* u = std::get_if<unknown_attr>(&a)) {
      w.add_unknown_attributes(u->types);
    } else if (const auto* c = std::get_if<change_attr>(&a)) {
      w.add_change_request(c->ip, c->port);
    } else if (const auto* p = std::get_if<port_attr>(&a)) {
      w.add_response_port(p->port);
    } else {
      const auto& r = std::get<raw_attr>(a);
      w.add_raw(r.type, r.value);
    }
  }
  if (g.mi) w.add_message_integrity(short_term_key(password));
  if (g.mi256) w.add_message_integrity_sha256(short_term_key(password));
  if (g.fingerprint) w.add_fingerprint();
}

// Compares one decoded attribute with what was written; "" when equal.
std::string mismatch(const raw_attribute& got, const attribute& want, const message_view& m) {
  if (const auto* x = std::get_if<address_attr>(&want)) {
    transport_address a;
    const auto ec = x->xored ? decode_xor_address(got, m.cookie_and_id(), a) : decode_address(got, a);
    if (got.type != x->type || ec || !(a == x->addr)) return "address " + x->addr.to_string() + " -> " + a.to_string();
  } else if (const auto* e = std::get_if<error_attr>(&want)) {
    error_code_value v;
    if (got.type != attr::error_code || decode_error_code(got, v) || v.code != e->code || v.reason != e->reason) {
      return "error code " + std::to_string(e->code);
    }
  } else if (const auto* u = std::get_if<unknown_attr>(&want)) {
    std::array<std::uint16_t, 16> types{};
    std::size_t count = 0;
    if (got.type != attr::unknown_attributes || decode_unknown_attributes(got, types, count) ||
        count != u->types.size() || !std::equal(u->types.begin(), u->types.end(), types.begin())) {
      return "unknown attributes";
    }
  } else if (const auto* c = std::get_if<change_attr>(&want)) {
    change_request_value v;
    if (got.type != attr::change_request || decode_change_request(got, v) || v.change_ip != c->ip ||
        v.change_port != c->port) {
      return "change request";
    }
  } else if (const auto* p = std::get_if<port_attr>(&want)) {
    std::uint16_t port = 0;
    if (got.type != attr::response_port || decode_response_port(got, port) || port != p->port) return "response port";
  } else {
    const auto& r = std::get<raw_attr>(want);
    if (got.type != r.type || !std::ranges::equal(got.value, r.value)) return "raw attribute " + std::to_string(r.type);
  }
  return "";
}

}  // namespace

TEST(RoundTrip, GeneratedMessagesParseReencodeAndDecodeToTheirValues) {
  constexpr int cases = 5000;
  generator gen(20240229U);
  std::vector<std::byte> buf(8192), again(8192);
  for (int i = 0; i < cases; ++i) {
    const generated g = gen.message();
    message_writer w(buf);
    encode(g, w);
    ASSERT_FALSE(w.error()) << "case " << i;
    SCOPED_TRACE("case " + std::to_string(i) + ": " + to_hex(w.bytes()));

    message_view m;
    ASSERT_FALSE(message_view::parse(w.bytes(), m));
    EXPECT_EQ(m.type(), g.type);
    EXPECT_TRUE(std::ranges::equal(m.cookie_and_id(), g.cookie_and_id));
    EXPECT_EQ(m.classic(), load_u32(g.cookie_and_id.data()) != magic_cookie);
    EXPECT_EQ(m.has_fingerprint(), g.fingerprint);
    EXPECT_EQ(m.integrity().has_value(), g.mi);
    EXPECT_EQ(m.integrity_sha256().has_value(), g.mi256);
    if (g.mi || g.mi256) {
      EXPECT_FALSE(verify_integrity(m, short_term_key(password)));
      EXPECT_EQ(verify_integrity(m, short_term_key("not the password")), errc::integrity_mismatch);
    }

    // The processed attributes, in order: the generated ones, then the
    // integrity attributes and FINGERPRINT.
    std::size_t k = 0;
    message_writer re(again);
    re.begin(m.type(), m.cookie_and_id());
    for (const auto& a : m) {
      if (k < g.attrs.size()) {
        const auto diff = mismatch(a, g.attrs[k], m);
        ASSERT_EQ(diff, "") << "attribute " << k;
      }
      ++k;
      // Re-encode from the parsed view: integrity recomputed, the rest copied.
      if (a.type == attr::message_integrity) {
        re.add_message_integrity(short_term_key(password));
      } else if (a.type == attr::message_integrity_sha256) {
        re.add_message_integrity_sha256(short_term_key(password));
      } else if (a.type == attr::fingerprint) {
        re.add_fingerprint();
      } else {
        re.add_raw(a.type, a.value);
      }
    }
    EXPECT_EQ(k, g.attrs.size() + (g.mi ? 1U : 0U) + (g.mi256 ? 1U : 0U) + (g.fingerprint ? 1U : 0U));
    ASSERT_FALSE(re.error());
    EXPECT_EQ(to_hex(re.bytes()), to_hex(w.bytes()));
  }
}

TEST(RoundTrip, AttributesAfterIntegrityAreDroppedNotReordered) {
  // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY (other than
  // -SHA256/FINGERPRINT) are ignored; re-encoding the processed list drops
  // them and the result still parses to the same processed list.
  std::vector<std::byte> buf(256), again(256);
  const std::array<std::byte, 12> id{std::byte{1}, std::byte{2}};
  message_writer w(buf);
  w.begin(binding_request, id).add_text(attr::username, "user").add_message_integrity(short_term_key(password));
  w.add_text(attr::software, "ignored").add_fingerprint();
  ASSERT_FALSE(w.error());
  message_view m;
  ASSERT_FALSE(message_view::parse(w.bytes(), m));
  message_writer re(again);
  re.begin(m.type(), m.cookie_and_id());
  std::vector<std::uint16_t> types;
  for (const auto& a : m) {
    types.push_back(a.type);
    if (a.type == attr::fingerprint) {
      re.add_fingerprint();
    } else {
      re.add_raw(a.type, a.value);
    }
  }
  EXPECT_EQ(types, (std::vector<std::uint16_t>{attr::username, attr::message_integrity, attr::fingerprint}));
  message_view m2;
  ASSERT_FALSE(message_view::parse(re.bytes(), m2));
  std::vector<std::uint16_t> types2;
  for (const auto& a : m2) types2.push_back(a.type);
  EXPECT_EQ(types2, types);
  EXPECT_FALSE(verify_integrity(m2, short_term_key(password)));  // the ignored bytes were after the MAC
}

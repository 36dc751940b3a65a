// The requests pinhole-bench sends and the checks on every response.
#include "messages.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stun/constants.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"

using namespace pinhole;
using namespace pinhole::bench;
using stun::transport_address;

namespace {

const transport_address local = *transport_address::parse("127.0.0.1:40001");
const txid_fields id{0xCAFEF00D, 7, 123456};

std::vector<std::byte> response(const txid_fields& f, const transport_address& mapped,
                                std::uint16_t type = stun::binding_success, bool xor_address = true) {
  std::array<std::byte, 12> tid{};
  encode_txid(f, tid);
  std::vector<std::byte> buf(256);
  stun::message_writer w(buf);
  w.begin(type, tid);
  if (xor_address) {
    w.add_xor_address(stun::attr::xor_mapped_address, mapped);
  } else {
    w.add_address(stun::attr::mapped_address, mapped);
  }
  w.add_text(stun::attr::software, "test");
  buf.resize(w.size());
  return buf;
}

}  // namespace

TEST(Messages, RequestIsAPlainBindingWithOurId) {
  std::array<std::byte, max_request_size> buf{};
  const auto n = build_request(id, false, buf);
  ASSERT_EQ(n, 20U);
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(std::span<const std::byte>(buf.data(), n), m));
  EXPECT_EQ(m.type(), stun::binding_request);
  EXPECT_FALSE(m.classic());
  EXPECT_FALSE(m.has_fingerprint());
  const auto f = decode_txid(m.transaction_id());
  EXPECT_EQ(f.nonce, id.nonce);
  EXPECT_EQ(f.socket, id.socket);
  EXPECT_EQ(f.seq, id.seq);
}

TEST(Messages, RequestWithFingerprint) {
  std::array<std::byte, max_request_size> buf{};
  const auto n = build_request(id, true, buf);
  ASSERT_EQ(n, 28U);
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(std::span<const std::byte>(buf.data(), n), m));
  EXPECT_TRUE(m.has_fingerprint());
}

TEST(Messages, AcceptsTheRightAnswer) {
  txid_fields got;
  EXPECT_EQ(check_response(response(id, local), id.nonce, id.socket, local, got), response_check::ok);
  EXPECT_EQ(got.seq, id.seq);
}

TEST(Messages, RejectsEverythingElse) {
  txid_fields got;
  const auto other_addr = *transport_address::parse("127.0.0.1:40002");
  EXPECT_EQ(check_response(std::vector<std::byte>(20, std::byte{0xFF}), id.nonce, id.socket, local, got),
            response_check::not_stun);
  EXPECT_EQ(check_response(response(id, local, stun::binding_error), id.nonce, id.socket, local, got),
            response_check::not_binding_success);
  EXPECT_EQ(check_response(response(id, local), id.nonce + 1, id.socket, local, got), response_check::foreign);
  EXPECT_EQ(check_response(response(id, local), id.nonce, 8, local, got), response_check::wrong_socket);
  EXPECT_EQ(check_response(response(id, other_addr), id.nonce, id.socket, local, got),
            response_check::bad_mapped_address);
  // MAPPED-ADDRESS alone does not do: the check is on XOR-MAPPED-ADDRESS.
  EXPECT_EQ(check_response(response(id, local, stun::binding_success, false), id.nonce, id.socket, local, got),
            response_check::bad_mapped_address);
}

TEST(Messages, CheckNamesAreStable) {
  EXPECT_STREQ(to_string(response_check::ok), "ok");
  EXPECT_STREQ(to_string(response_check::bad_mapped_address), "bad_mapped_address");
}

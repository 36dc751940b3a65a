// hash_block: the block framing MD5, SHA-1 and SHA-256 share, tested on its
// own (which bytes reach the compression function) and through the three
// hashes (streaming in any split equals hashing at once; finish resets).
// Each hash's own test file checks its published test vectors.
#include "stun/hash_block.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "stun/md5.hpp"
#include "stun/sha1.hpp"
#include "stun/sha256.hpp"

namespace {

using pinhole::stun::detail::hash_block;
using block = std::array<std::byte, hash_block::size>;

std::vector<std::byte> counting_bytes(std::size_t n) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(i + 1);  // never 0x00 or 0x80 early
  return out;
}

// Everything hash_block hands to the compression function for one message
// fed in `chunk`-sized pieces.
std::vector<block> frame(std::span<const std::byte> msg, std::size_t chunk,
                         hash_block::length_order order = hash_block::length_order::big_endian) {
  std::vector<block> blocks;
  hash_block b;
  const auto record = [&](const std::byte* p) {
    block copy;
    std::copy_n(p, copy.size(), copy.begin());
    blocks.push_back(copy);
  };
  for (std::size_t pos = 0; pos < msg.size(); pos += chunk) {
    b.update(msg.subspan(pos, std::min(chunk, msg.size() - pos)), record);
  }
  b.finish(record, order);
  return blocks;
}

TEST(HashBlock, PaddingLayoutAtEveryBoundary) {
  // 55 bytes leave room for 0x80 and the 8-byte length in one block; 56..63
  // do not and need a second block; 64 fills a block and pads a new one.
  for (std::size_t len : {0U, 1U, 55U, 56U, 57U, 63U, 64U, 65U, 119U, 120U, 128U, 300U}) {
    const auto msg = counting_bytes(len);
    const auto blocks = frame(msg, 7);
    ASSERT_EQ(blocks.size(), (len + 1 + 8 + 63) / 64) << "len " << len;
    // Concatenated blocks: the message, 0x80, zeros, then the bit length.
    std::vector<std::byte> all;
    for (const auto& b : blocks) all.insert(all.end(), b.begin(), b.end());
    EXPECT_TRUE(std::equal(msg.begin(), msg.end(), all.begin())) << "len " << len;
    EXPECT_EQ(all[len], std::byte{0x80}) << "len " << len;
    for (std::size_t i = len + 1; i < all.size() - 8; ++i)
      ASSERT_EQ(all[i], std::byte{0}) << "len " << len << " at " << i;
    std::uint64_t bits = 0;
    for (std::size_t i = all.size() - 8; i < all.size(); ++i)
      bits = (bits << 8) | std::to_integer<std::uint64_t>(all[i]);
    EXPECT_EQ(bits, len * 8) << "len " << len << ": 64-bit big-endian (FIPS 180-4 §5.1.1)";
  }
}

TEST(HashBlock, Md5LengthIsLowOrderWordFirstEachLowByteFirst) {
  // RFC 1321 §3.2: "a 64-bit representation of b ... appended as two 32-bit
  // words and appended low-order word first"; §2: words low-order byte first.
  const auto msg = counting_bytes(300);  // 2400 bits = 0x960
  const auto blocks = frame(msg, 64, hash_block::length_order::little_endian);
  const block& last = blocks.back();
  const std::array<std::byte, 8> expected{std::byte{0x60}, std::byte{0x09}, std::byte{0}, std::byte{0},
                                          std::byte{0},    std::byte{0},    std::byte{0}, std::byte{0}};
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), last.end() - 8));
}

TEST(HashBlock, ChunkingDoesNotChangeTheBlocks) {
  const auto msg = counting_bytes(300);
  const auto whole = frame(msg, msg.size());
  for (std::size_t chunk : {1U, 3U, 63U, 64U, 65U, 129U}) EXPECT_EQ(frame(msg, chunk), whole) << "chunk " << chunk;
}

TEST(HashBlock, FinishLeavesItEmptyForTheNextMessage) {
  hash_block b;
  std::vector<block> seen;
  const auto record = [&](const std::byte* p) {
    block copy;
    std::copy_n(p, copy.size(), copy.begin());
    seen.push_back(copy);
  };
  const auto msg = counting_bytes(10);
  b.update(msg, record);
  b.finish(record, hash_block::length_order::big_endian);
  ASSERT_EQ(seen.size(), 1U);
  b.finish(record, hash_block::length_order::big_endian);  // an empty message now
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen.back(), frame({}, 1).front());
}

TEST(HashBlock, WordHelpers) {
  std::array<std::byte, 4> w{};
  pinhole::stun::detail::store_be32(w.data(), 0x01020304U);
  EXPECT_EQ(w[0], std::byte{1});
  EXPECT_EQ(pinhole::stun::detail::load_be32(w.data()), 0x01020304U);
  EXPECT_EQ(pinhole::stun::detail::load_le32(w.data()), 0x04030201U);
  pinhole::stun::detail::store_le32(w.data(), 0x01020304U);
  EXPECT_EQ(w[0], std::byte{4});
  EXPECT_EQ(pinhole::stun::detail::load_le32(w.data()), 0x01020304U);
}

// ---- the three hashes built on it ------------------------------------------

std::vector<std::byte> random_bytes(std::mt19937& rng, std::size_t n) {
  std::uniform_int_distribution<unsigned> dist(0, 255);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(dist(rng));
  return out;
}

template <class Hash>
class Streaming : public ::testing::Test {};
using hashes = ::testing::Types<pinhole::stun::md5, pinhole::stun::sha1, pinhole::stun::sha256>;
TYPED_TEST_SUITE(Streaming, hashes);

TYPED_TEST(Streaming, IncrementalEqualsOneShotAtEveryLength) {
  // Lengths 0..200 cross every padding case (55/56/63/64/119/120 ...), fed
  // in growing pieces 1, 2, 3, ... bytes long.
  std::mt19937 rng(5);
  const std::vector<std::byte> buf = random_bytes(rng, 200);
  for (std::size_t len = 0; len <= buf.size(); ++len) {
    const auto msg = std::span(buf).first(len);
    TypeParam h;
    std::size_t pos = 0;
    for (std::size_t step = 1; pos < len; ++step) {
      const std::size_t take = std::min(step, len - pos);
      h.update(msg.subspan(pos, take));
      pos += take;
    }
    ASSERT_EQ(h.finish(), TypeParam::hash(msg)) << "len " << len;
  }
}

TYPED_TEST(Streaming, IncrementalEqualsOneShotOverRandomSplits) {
  std::mt19937 rng(6);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 1000)(rng);
    const std::vector<std::byte> msg = random_bytes(rng, n);
    TypeParam h;
    std::size_t pos = 0;
    while (pos < n) {
      const std::size_t take = std::uniform_int_distribution<std::size_t>(0, n - pos)(rng);
      h.update(std::span(msg).subspan(pos, take));
      pos += take;
    }
    ASSERT_EQ(h.finish(), TypeParam::hash(msg)) << "round " << round << " size " << n;
  }
}

TYPED_TEST(Streaming, FinishResetsForReuse) {
  constexpr std::string_view garbage = "garbage that must not leak into the next message";
  constexpr std::string_view abc = "abc";
  TypeParam h;
  h.update(std::as_bytes(std::span(garbage)));
  (void)h.finish();
  h.update(std::as_bytes(std::span(abc)));
  EXPECT_EQ(h.finish(), TypeParam::hash(std::as_bytes(std::span(abc))));
  EXPECT_EQ(h.finish(), TypeParam::hash({}));  // nothing since: the empty message
}

}  // namespace

// The slot's transition table and learning external addresses.
#include "slot.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "stun_replies.hpp"

using namespace pinhole;
using namespace pinhole::client;

namespace {

constexpr slot_state all[] = {slot_state::reserved,   slot_state::mapping,   slot_state::pooled,
                              slot_state::handed_out, slot_state::listening, slot_state::released};

TEST(SlotState, TheTableHoldsExactlyTheDocumentedTransitions) {
  const std::vector<std::pair<slot_state, slot_state>> expected{
      {slot_state::reserved, slot_state::mapping},    {slot_state::mapping, slot_state::pooled},
      {slot_state::mapping, slot_state::handed_out},  {slot_state::mapping, slot_state::listening},
      {slot_state::pooled, slot_state::handed_out},   {slot_state::reserved, slot_state::released},
      {slot_state::mapping, slot_state::released},    {slot_state::pooled, slot_state::released},
      {slot_state::handed_out, slot_state::released}, {slot_state::listening, slot_state::released},
  };
  for (const auto from : all) {
    for (const auto to : all) {
      const bool listed = std::find(expected.begin(), expected.end(), std::pair{from, to}) != expected.end();
      EXPECT_EQ(transition_allowed(from, to), listed) << to_string(from) << " -> " << to_string(to);
    }
  }
}

TEST(SlotState, ReleasedIsTerminalAndNoStateReturnsToReserved) {
  for (const auto to : all) EXPECT_FALSE(transition_allowed(slot_state::released, to)) << to_string(to);
  for (const auto from : all) EXPECT_FALSE(transition_allowed(from, slot_state::reserved)) << to_string(from);
}

TEST(SlotState, NamesAreDistinct) {
  for (const auto a : all) {
    for (const auto b : all) {
      if (a != b) {
        EXPECT_NE(to_string(a), to_string(b));
      }
    }
  }
}

TEST(Slot, EnterReturnsTheStateLeftAndVisibilityFollowsTheState) {
  asio::io_context io;
  slot s(io);
  EXPECT_EQ(s.state, slot_state::mapping);
  EXPECT_FALSE(s.visible());
  EXPECT_EQ(s.enter(slot_state::pooled), slot_state::mapping);
  EXPECT_FALSE(s.visible());  // the cache is no one's yet: no events
  EXPECT_EQ(s.enter(slot_state::handed_out), slot_state::pooled);
  EXPECT_TRUE(s.visible());
  EXPECT_FALSE(s.released());
  EXPECT_EQ(s.enter(slot_state::released), slot_state::handed_out);
  EXPECT_TRUE(s.released());
  EXPECT_FALSE(s.visible());
}

TEST(Slot, AnnouncedCoversAListenPortBeingMapped) {
  asio::io_context io;
  slot s(io);
  EXPECT_FALSE(s.announced());
  s.listen_key = test::ep("198.51.100.7:5060");
  // Still mapping for StartListen: not visible yet, but its changes must
  // reach the application that is about to get it.
  EXPECT_FALSE(s.visible());
  EXPECT_TRUE(s.announced());
  slot h(io);
  h.enter(slot_state::handed_out);
  EXPECT_TRUE(h.announced());
}

TEST(Slot, LearnConfirmsAndKeepsFormerExternals) {
  asio::io_context io;
  slot s(io);
  EXPECT_FALSE(s.mapped());
  // The first address is no change, whatever it is.
  EXPECT_FALSE(s.learn(test::ep("198.51.100.1:4000"), test::ep("203.0.113.1:3478"), mapping_origin::stun));
  EXPECT_TRUE(s.mapped());
  EXPECT_EQ(s.health, mapping_health::confirmed);
  EXPECT_EQ(s.server, test::ep("203.0.113.1:3478"));
  EXPECT_TRUE(s.former_externals.empty());
  // The same address again: confirmed, no change, lost cleared.
  s.health = mapping_health::lost;
  EXPECT_FALSE(s.learn(test::ep("198.51.100.1:4000"), test::ep("203.0.113.1:3478"), mapping_origin::stun));
  EXPECT_FALSE(s.lost());
  // A rebinding: the old address stays known.
  EXPECT_TRUE(s.learn(test::ep("198.51.100.1:4001"), test::ep("203.0.113.1:3478"), mapping_origin::stun));
  EXPECT_TRUE(s.known_as(test::ep("198.51.100.1:4000")));
  EXPECT_TRUE(s.known_as(test::ep("198.51.100.1:4001")));
  EXPECT_TRUE(s.known_as(test::ep("0.0.0.0:0")));  // "any"
  EXPECT_FALSE(s.known_as(test::ep("198.51.100.1:4002")));
}

TEST(Slot, AtMostEightFormerExternalsOldestDropped) {
  asio::io_context io;
  slot s(io);
  const auto server = test::ep("203.0.113.1:3478");
  for (std::uint16_t p = 5000; p <= 5010; ++p) {
    s.learn(ip_endpoint{ip_family::v4, test::ep("198.51.100.1:1").ip, p}, server, mapping_origin::stun);
  }
  ASSERT_EQ(s.former_externals.size(), 8U);
  EXPECT_EQ(s.former_externals.front().port, 5002);
  EXPECT_EQ(s.former_externals.back().port, 5009);
  EXPECT_FALSE(s.known_as(test::ep("198.51.100.1:5001")));
}

}  // namespace

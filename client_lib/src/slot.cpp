// The slot's one transition table, and learning a new external address.
#include "slot.hpp"

#include <array>
#include <cassert>

namespace pinhole::client {

namespace {

constexpr std::size_t state_count = static_cast<std::size_t>(slot_state::released) + 1;
constexpr std::size_t former_kept = 8;

// allowed[from][to]. Every state may be released; nothing leaves released.
constexpr std::array<std::array<bool, state_count>, state_count> allowed = [] {
  std::array<std::array<bool, state_count>, state_count> t{};
  const auto set = [&t](slot_state from, slot_state to) {
    t[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)] = true;
  };
  set(slot_state::reserved, slot_state::mapping);    // GetMapping(RTCP) takes the port
  set(slot_state::mapping, slot_state::pooled);      // a pre-warmed mapping is ready
  set(slot_state::mapping, slot_state::handed_out);  // GetMapping, adopt, attach answered
  set(slot_state::mapping, slot_state::listening);   // StartListen answered
  set(slot_state::pooled, slot_state::handed_out);   // GetMapping served from the cache
  for (std::size_t from = 0; from + 1 < state_count; ++from) {
    set(static_cast<slot_state>(from), slot_state::released);
  }
  return t;
}();

}  // namespace

bool transition_allowed(slot_state from, slot_state to) noexcept {
  return allowed[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)];
}

std::string_view to_string(slot_state s) noexcept {
  switch (s) {
    case slot_state::reserved: return "reserved";
    case slot_state::mapping: return "mapping";
    case slot_state::pooled: return "pooled";
    case slot_state::handed_out: return "handed_out";
    case slot_state::listening: return "listening";
    case slot_state::released: return "released";
  }
  return "?";
}

slot_state slot::enter(slot_state to) noexcept {
  assert(transition_allowed(state, to));
  const auto from = state;
  state = to;
  return from;
}

void slot::move_external(const ip_endpoint& to) {
  former_externals.push_back(external);
  if (former_externals.size() > former_kept) former_externals.erase(former_externals.begin());
  external = to;
}

bool slot::learn(const ip_endpoint& mapped_to, const ip_endpoint& from_server, mapping_origin how) {
  const bool changed = mapped() && !(external == mapped_to);
  if (changed) move_external(mapped_to);
  external = mapped_to;
  server = from_server;
  origin = how;
  health = mapping_health::confirmed;
  return changed;
}

}  // namespace pinhole::client

// pinhole::errc messages and category.
#include "pinhole/errors.hpp"

#include <string>

namespace pinhole {

namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "pinhole"; }
  std::string message(int ev) const override { return message_of(ev); }

  static const char* message_of(int ev) noexcept {
    switch (static_cast<errc>(ev)) {
      case errc::ok: return "success";
      case errc::invalid_argument: return "invalid argument";
      case errc::timeout: return "timed out waiting for the STUN server";
      case errc::server_unreachable: return "STUN server unreachable (ICMP port or host unreachable)";
      case errc::bad_response: return "invalid response from the STUN server";
      case errc::server_error: return "the STUN server answered with an error response";
      case errc::integrity_failure: return "MESSAGE-INTEGRITY missing or wrong in the server's response";
      case errc::unknown_mapping: return "no such mapping";
      case errc::not_listening: return "not listening on that address";
      case errc::no_port_available: return "no free port in the configured range";
      case errc::address_in_use: return "address already in use";
      case errc::family_not_supported: return "address family not supported by the configured servers";
      case errc::resolve_failed: return "could not resolve the STUN server name";
      case errc::no_servers: return "no usable STUN server";
      case errc::socket_error: return "socket error";
      case errc::shutting_down: return "the port manager is shutting down";
      case errc::would_deadlock: return "blocking call from the port manager's own thread";
      case errc::no_alternate_server: return "the server has no alternate address (RFC 5780 OTHER-ADDRESS)";
      case errc::destination_dependent_mapping:
        return "the NAT maps this port differently for each destination: the external address is only valid towards "
               "the STUN server";
      case errc::no_server_resolved: return "no STUN server name has resolved yet (still resolving in the background)";
      case errc::out_of_memory: return "out of memory";
      case errc::allocation_mismatch: return "the TURN server has no such allocation (437 Allocation Mismatch)";
      case errc::wrong_credentials: return "the TURN server refused the username or password (401/441)";
      case errc::unsupported_transport:
        return "the TURN server does not relay UDP (442 Unsupported Transport Protocol)";
      case errc::allocation_quota_reached: return "the TURN user's allocation quota is reached (486)";
      case errc::insufficient_capacity: return "the TURN server has no capacity left (508)";
    }
    return "unknown pinhole error";
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const category c;
  return c;
}

// Used by the C ABI: never allocates.
const char* errc_message(int ev) noexcept { return category::message_of(ev); }

}  // namespace pinhole

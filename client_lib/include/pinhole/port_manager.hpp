// The port manager: the libpinhole counterpart of the Windows RTC API's
// IRTCPortManager (KB 826283). Thread-safe; every blocking call returns within
// options::call_timeout (default 500 ms) and never calls back into the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "pinhole/errors.hpp"
#include "pinhole/export.h"
#include "pinhole/options.hpp"
#include "pinhole/types.hpp"

namespace pinhole {

class port_manager;
namespace client {  // the library's internals (not installed)
class dns_resolver;
std::unique_ptr<port_manager> create_port_manager(options opts, std::shared_ptr<dns_resolver> dns,
                                                  std::error_code& ec) noexcept;
}  // namespace client

struct port_manager_stats {
  std::size_t mappings = 0;   // handed out (GetMapping/StartListen/adopt), not released
  std::size_t prewarmed = 0;  // ready in the cache
  std::size_t listens = 0;
  std::uint64_t requests_sent = 0;   // Binding requests incl. retransmissions
  std::uint64_t responses_ok = 0;    // validated success responses
  std::uint64_t responses_rejected = 0;  // replies dropped by validation
  std::uint64_t keepalives = 0;      // keep-alive transactions completed
  std::uint64_t server_list_updates = 0;  // DNS re-resolutions that changed the server list
};

class PINHOLE_API port_manager {
 public:
  // Resolves the servers (getaddrinfo, SRV), starts the internal thread and
  // pre-warms. Returns nullptr and sets `ec` on failure.
  static std::unique_ptr<port_manager> create(options opts, std::error_code& ec) noexcept;
  ~port_manager();
  port_manager(const port_manager&) = delete;
  port_manager& operator=(const port_manager&) = delete;

  // GetMapping: a new mapping for a stream of `type` towards `remote` (its
  // family picks IPv4/IPv6; port may be 0). Served from the pre-warmed cache
  // when possible, otherwise one STUN transaction bounded by call_timeout.
  std::error_code get_mapping(const ip_endpoint& remote, port_type type, mapping& out) noexcept;
  std::error_code get_mapping(std::string_view remote_address, port_type type, mapping& out) noexcept;

  // UpdateRemoteAddress: the remote of the mapping (internal, external)
  // changed. Sends a punch packet (a STUN Binding indication) from the mapped
  // socket to `remote` so address-dependent filters open, then re-checks the
  // mapping with the server. `remote.port` 0 = punch to the remote IP at the
  // mapping's external port number. `updated` (optional) gets the mapping
  // after the re-check; a change is also reported as event mapping_changed.
  std::error_code update_remote_address(const ip_endpoint& remote, const ip_endpoint& internal,
                                        const ip_endpoint& external, mapping* updated = nullptr) noexcept;

  // ReleaseMapping: stop keep-alives, close the socket, forget the mapping.
  std::error_code release_mapping(const ip_endpoint& internal, const ip_endpoint& external) noexcept;

  // StartListen/StopListen: a SIP listen port for incoming calls whose
  // external address goes in the Contact header. Reference-counted: the socket
  // lives until every StartListen is matched by StopListen and no SIP mapping
  // handed out by GetMapping still uses it. Port 0 picks one from the SIP range.
  std::error_code start_listen(const ip_endpoint& internal, mapping& out) noexcept;
  std::error_code stop_listen(const ip_endpoint& internal) noexcept;

  // GetPortRange.
  std::error_code get_port_range(port_type type, port_range& out) const noexcept;

  // Takes ownership of an already-bound UDP socket of the application and maps
  // it (the library then receives on it; use options::on_datagram).
  std::error_code adopt_socket(native_handle_type fd, port_type type, const ip_endpoint& remote,
                               mapping& out) noexcept;

  // Sends `data` from the mapped socket identified by `internal` (same as a
  // sendto() on mapping::native_handle).
  std::error_code send(const ip_endpoint& internal, const ip_endpoint& to, std::span<const std::byte> data) noexcept;

  port_manager_stats stats() const noexcept;

 private:
  friend std::unique_ptr<port_manager> client::create_port_manager(options, std::shared_ptr<client::dns_resolver>,
                                                                   std::error_code&) noexcept;
  struct impl;
  explicit port_manager(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

// The name used by the Windows RTC API.
using PortManager = port_manager;

}  // namespace pinhole

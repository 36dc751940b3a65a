// The seam between the UPnP-IGD client (upnp_client) and libminiupnpc: the
// few blocking calls it makes, with the library's raw text results, so the
// client's validation and its lease logic are unit-tested with a fake IGD.
// SSDP, the device description and SOAP are libminiupnpc's (never
// hand-written here). Every call blocks: upnp_client runs them on its
// worker thread, never on the io thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace pinhole::client::upnp {

// UPnP error codes this client acts on (WANIPConnection's, as libminiupnpc's
// upnpcommands.h lists them).
inline constexpr int err_conflict = 718;                // ConflictInMappingEntry
inline constexpr int err_same_port_required = 724;      // SamePortValuesRequired
inline constexpr int err_only_permanent = 725;          // OnlyPermanentLeasesSupported
inline constexpr int err_no_such_entry = 714;           // NoSuchEntryInArray
inline constexpr int err_no_port_maps_available = 728;  // NoPortMapsAvailable

// The Internet Gateway Device discovery found.
struct igd {
  std::string control_url;   // the WANIPConnection (or WANPPPConnection) control URL
  std::string service_type;  // "urn:schemas-upnp-org:service:WANIPConnection:2", ...
  std::string lan_address;   // this host's address as the IGD sees it (libminiupnpc's lanaddr)
  // UPNP_GetValidIGD: 1 a connected IGD, 2 an IGD reporting itself not
  // connected (libminiupnpc >= 2.2.3 also says so when its external address
  // is private or reserved), 3 a UPnP device that is not an IGD.
  int status = 0;
  // IGDv2 (WANIPConnection:2) offers AddAnyPortMapping.
  bool v2() const noexcept {
    return service_type.size() >= 2 && service_type.compare(service_type.size() - 2, 2, ":2") == 0;
  }
};

// GetSpecificPortMappingEntry's answer, as text.
struct entry {
  std::string internal_client;
  std::string internal_port;
  std::string enabled;
  std::string lease;
};

// Return values of the calls: 0 success, a UPnP error code (> 0), or a
// negative libminiupnpc error (UPNPCOMMAND_*: HTTP error, invalid response).
class backend {
 public:
  virtual ~backend() = default;
  // SSDP search (waits `delay` per search type) and the device description.
  virtual std::optional<igd> discover(std::chrono::milliseconds delay) = 0;
  virtual int external_ip(const igd& g, std::string& out) = 0;
  // AddPortMapping (UDP, any remote host); lease 0 = permanent.
  virtual int add(const igd& g, std::uint16_t external_port, std::uint16_t internal_port, const std::string& client,
                  std::uint32_t lease) = 0;
  // AddAnyPortMapping (IGDv2): the IGD picks the port when `external_port`
  // is taken; `reserved` is its NewReservedPort, as text.
  virtual int add_any(const igd& g, std::uint16_t external_port, std::uint16_t internal_port, const std::string& client,
                      std::uint32_t lease, std::string& reserved) = 0;
  virtual int remove(const igd& g, std::uint16_t external_port) = 0;
  virtual int get_entry(const igd& g, std::uint16_t external_port, entry& out) = 0;
};

// The real one, on libminiupnpc.
std::unique_ptr<backend> make_miniupnpc_backend();

}  // namespace pinhole::client::upnp

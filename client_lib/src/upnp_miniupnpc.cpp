// upnp::backend on libminiupnpc (Debian's libminiupnpc-dev): SSDP discovery,
// the IGD's description and its SOAP actions. Only libminiupnpc parses the
// gateway's text; upnp_validate checks what it returns.
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>

#include <array>
#include <string>

#include "upnp_backend.hpp"

namespace pinhole::client::upnp {

namespace {

constexpr const char* protocol = "UDP";
constexpr const char* description = "pinhole";

std::string text(const char* buf, std::size_t cap) {
  std::size_t n = 0;
  while (n < cap && buf[n] != '\0') ++n;  // never past the buffer, terminated or not
  return std::string(buf, n);
}

class miniupnpc_backend final : public backend {
 public:
  std::optional<igd> discover(std::chrono::milliseconds delay) override {
    // One search, for InternetGatewayDevice:1: the UPnP Device Architecture
    // has a device answer searches for earlier versions of its type, so
    // IGDv2 devices answer it too, and a silent network costs one `delay`.
    // TTL 2 as libminiupnpc recommends; any source port; the default
    // MiniSSDPd socket (used when a local minissdpd runs).
    static const char* const types[] = {"urn:schemas-upnp-org:device:InternetGatewayDevice:1", nullptr};
    int error = 0;
    UPNPDev* list = upnpDiscoverDevices(types, static_cast<int>(delay.count()), nullptr, nullptr, UPNP_LOCAL_PORT_ANY,
                                        0, 2, &error, 0);
    if (list == nullptr) return std::nullopt;
    UPNPUrls urls{};
    IGDdatas data{};
    std::array<char, 64> lan{};
    const int status = UPNP_GetValidIGD(list, &urls, &data, lan.data(), static_cast<int>(lan.size()));
    freeUPNPDevlist(list);
    std::optional<igd> out;
    if (status != 0) {
      igd g;
      g.status = status;
      if (urls.controlURL != nullptr) g.control_url = urls.controlURL;
      g.service_type = text(data.first.servicetype, sizeof(data.first.servicetype));
      g.lan_address = text(lan.data(), lan.size());
      out = std::move(g);
    }
    FreeUPNPUrls(&urls);  // free(NULL) for what status 0 left unset
    return out;
  }

  int external_ip(const igd& g, std::string& out) override {
    std::array<char, 64> ip{};  // libminiupnpc writes at most 16 bytes
    const int r = UPNP_GetExternalIPAddress(g.control_url.c_str(), g.service_type.c_str(), ip.data());
    out = text(ip.data(), ip.size());
    return r;
  }

  int add(const igd& g, std::uint16_t external_port, std::uint16_t internal_port, const std::string& client,
          std::uint32_t lease) override {
    const auto ext = std::to_string(external_port), in = std::to_string(internal_port), l = std::to_string(lease);
    return UPNP_AddPortMapping(g.control_url.c_str(), g.service_type.c_str(), ext.c_str(), in.c_str(), client.c_str(),
                               description, protocol, nullptr, l.c_str());
  }

  int add_any(const igd& g, std::uint16_t external_port, std::uint16_t internal_port, const std::string& client,
              std::uint32_t lease, std::string& reserved) override {
    const auto ext = std::to_string(external_port), in = std::to_string(internal_port), l = std::to_string(lease);
    std::array<char, 16> port{};  // libminiupnpc writes at most 6 bytes
    const int r = UPNP_AddAnyPortMapping(g.control_url.c_str(), g.service_type.c_str(), ext.c_str(), in.c_str(),
                                         client.c_str(), description, protocol, nullptr, l.c_str(), port.data());
    reserved = text(port.data(), port.size());
    return r;
  }

  int remove(const igd& g, std::uint16_t external_port) override {
    const auto ext = std::to_string(external_port);
    return UPNP_DeletePortMapping(g.control_url.c_str(), g.service_type.c_str(), ext.c_str(), protocol, nullptr);
  }

  int get_entry(const igd& g, std::uint16_t external_port, entry& out) override {
    const auto ext = std::to_string(external_port);
    // Sizes from upnpcommands.h (16, 6, 80, 4, 16 bytes), with room to spare.
    std::array<char, 64> client{}, port{}, enabled{}, lease{};
    std::array<char, 128> desc{};
    const int r =
        UPNP_GetSpecificPortMappingEntry(g.control_url.c_str(), g.service_type.c_str(), ext.c_str(), protocol, nullptr,
                                         client.data(), port.data(), desc.data(), enabled.data(), lease.data());
    out.internal_client = text(client.data(), client.size());
    out.internal_port = text(port.data(), port.size());
    out.enabled = text(enabled.data(), enabled.size());
    out.lease = text(lease.data(), lease.size());
    return r;
  }
};

}  // namespace

std::unique_ptr<backend> make_miniupnpc_backend() { return std::make_unique<miniupnpc_backend>(); }

}  // namespace pinhole::client::upnp

// A fake Internet Gateway Device behind the upnp::backend seam, for the
// UPnP client's tests (its calls come from the client's worker thread).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "upnp_backend.hpp"

namespace pinhole::client::testing {

struct fake_igd : upnp::backend {
  std::mutex m;
  bool present = true;
  bool v2 = true;
  std::string external = "203.0.113.254";
  std::string client_override;  // GetSpecificPortMappingEntry names another client
  std::string reserved_override;
  bool only_permanent = false;
  std::chrono::milliseconds discover_takes{0};
  std::map<std::uint16_t, std::pair<std::string, std::uint32_t>> table;  // port -> client, lease
  std::map<std::uint16_t, std::uint16_t> internal_ports;                 // port -> internal port
  std::set<std::uint16_t> taken;                                         // another host's ports
  unsigned adds = 0, removes = 0, discovers = 0;

  std::optional<upnp::igd> discover(std::chrono::milliseconds) override {
    std::this_thread::sleep_for(discover_takes);
    std::lock_guard<std::mutex> lock(m);
    ++discovers;
    if (!present) return std::nullopt;
    upnp::igd g;
    g.status = 2;
    g.control_url = "http://127.0.0.1:2869/ctl/IPConn";
    g.service_type = std::string("urn:schemas-upnp-org:service:WANIPConnection:") + (v2 ? "2" : "1");
    g.lan_address = "127.0.0.1";
    return g;
  }
  int external_ip(const upnp::igd&, std::string& out) override {
    std::lock_guard<std::mutex> lock(m);
    out = external;
    return 0;
  }
  int add(const upnp::igd&, std::uint16_t ext, std::uint16_t in, const std::string& client,
          std::uint32_t lease) override {
    std::lock_guard<std::mutex> lock(m);
    ++adds;
    if (only_permanent && lease != 0) return upnp::err_only_permanent;
    if (taken.count(ext) != 0) return upnp::err_conflict;
    table[ext] = {client, lease};
    internal_ports[ext] = in;
    return 0;
  }
  int add_any(const upnp::igd& g, std::uint16_t ext, std::uint16_t in, const std::string& client, std::uint32_t lease,
              std::string& reserved) override {
    std::uint16_t p = ext;
    {
      std::lock_guard<std::mutex> lock(m);
      if (!reserved_override.empty()) {
        reserved = reserved_override;
        return 0;
      }
      while (taken.count(p) != 0) ++p;
    }
    reserved = std::to_string(p);
    return add(g, p, in, client, lease);
  }
  int remove(const upnp::igd&, std::uint16_t ext) override {
    std::lock_guard<std::mutex> lock(m);
    ++removes;
    return table.erase(ext) != 0 ? 0 : upnp::err_no_such_entry;
  }
  int get_entry(const upnp::igd&, std::uint16_t ext, upnp::entry& out) override {
    std::lock_guard<std::mutex> lock(m);
    const auto it = table.find(ext);
    if (it == table.end()) return upnp::err_no_such_entry;
    out.internal_client = client_override.empty() ? it->second.first : client_override;
    out.internal_port = std::to_string(internal_ports[ext]);
    out.enabled = "1";
    out.lease = std::to_string(it->second.second);
    return 0;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(m);
    return table.size();
  }
};

}  // namespace pinhole::client::testing

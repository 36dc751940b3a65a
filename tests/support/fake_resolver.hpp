// A scriptable dns_resolver for tests: SRV records and host addresses by
// name, every query recorded. Thread-safe (the server refresher resolves on
// its own thread while a test changes the answers).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pinhole/errors.hpp"
#include "resolver.hpp"

namespace pinhole::client {

class fake_resolver final : public dns_resolver {
 public:
  std::map<std::string, std::vector<srv_record>> srv_records;
  std::map<std::string, std::vector<std::string>> hosts;
  std::vector<std::string> srv_queries;
  int host_queries = 0;
  // Every host lookup first hangs this long (a DNS server that does not answer).
  std::atomic<int> host_delay_ms{0};

  // Changes what `name` resolves to, safely while another thread resolves.
  void set_host(const std::string& name, std::vector<std::string> ips) {
    std::lock_guard lk(m_);
    hosts[name] = std::move(ips);
  }
  void set_srv(const std::string& name, std::vector<srv_record> records) {
    std::lock_guard lk(m_);
    srv_records[name] = std::move(records);
  }
  int host_query_count() {
    std::lock_guard lk(m_);
    return host_queries;
  }

  std::error_code srv(const std::string& name, std::vector<srv_record>& out) override {
    std::lock_guard lk(m_);
    srv_queries.push_back(name);
    const auto it = srv_records.find(name);
    if (it == srv_records.end()) return make_error_code(errc::resolve_failed);
    out = it->second;
    return {};
  }
  std::error_code host(const std::string& name, std::uint16_t port, std::vector<ip_endpoint>& out) override {
    if (const int d = host_delay_ms.load(); d > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d));
    std::lock_guard lk(m_);
    ++host_queries;
    out.clear();
    const auto it = hosts.find(name);
    if (it == hosts.end()) return make_error_code(errc::resolve_failed);
    for (const auto& ip : it->second) out.push_back(*ip_endpoint::parse_ip(ip, port));
    return {};
  }

 private:
  std::mutex m_;
};

}  // namespace pinhole::client

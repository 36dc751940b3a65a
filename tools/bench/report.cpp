#include "report.hpp"

#include <cstdio>

namespace pinhole::bench {
namespace {

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

// v with `decimals` digits after the point.
std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

double result::loss_pct() const noexcept {
  return sent == 0 ? 0.0 : 100.0 * static_cast<double>(lost()) / static_cast<double>(sent);
}
double result::offered_rps() const noexcept {
  return send_window_s > 0 ? static_cast<double>(sent) / send_window_s : 0.0;
}
double result::answered_rps() const noexcept {
  return send_window_s > 0 ? static_cast<double>(answered) / send_window_s : 0.0;
}

std::string to_text(const result& r) {
  std::string s;
  s += "server        " + r.server + "\n";
  s += "offered       " +
       (r.target_rate == 0 ? std::string("max (open loop)") : std::to_string(r.target_rate) + " req/s") + " for " +
       fixed(r.duration_s, 1) + " s from " + std::to_string(r.sockets) + " source ports\n";
  s += "sent          " + std::to_string(r.sent) + "  (" + fixed(r.offered_rps(), 0) + " req/s)" + "\n";
  s += "answered      " + std::to_string(r.answered) + "  (" + fixed(r.answered_rps(), 0) + " req/s)" + "\n";
  s += "lost          " + std::to_string(r.lost()) + "  (" + fixed(r.loss_pct(), 4) + " %)" + "\n";
  if (r.invalid + r.duplicates + r.unknown + r.send_errors > 0) {
    s += "invalid " + std::to_string(r.invalid) + ", duplicates " + std::to_string(r.duplicates) + ", unknown " +
         std::to_string(r.unknown) + ", send errors " + std::to_string(r.send_errors) + "\n";
  }
  s += "latency us    p50 " + fixed(us(r.latency.percentile(0.50)), 1) + "  p99 " +
       fixed(us(r.latency.percentile(0.99)), 1) + "  p99.9 " + fixed(us(r.latency.percentile(0.999)), 1) + "  max " +
       fixed(us(r.latency.max()), 1) + "  mean " + fixed(r.latency.mean() / 1000.0, 1) + "\n";
  s += "send lag us   p99 " + fixed(us(r.send_lag.percentile(0.99)), 1) + "  max " + fixed(us(r.send_lag.max()), 1) +
       "\n";
  return s;
}

std::string to_json(const result& r) {
  std::string s = "{";
  auto key = [&s](const char* k) {
    if (s.size() > 1) s += ',';
    s += '"';
    s += k;
    s += "\":";
  };
  auto num = [&](const char* k, std::uint64_t v) { key(k), s += std::to_string(v); };
  auto real = [&](const char* k, double v, int decimals) { key(k), s += fixed(v, decimals); };
  key("server"), s += json_string(r.server);
  num("target_rate", r.target_rate);
  real("duration_s", r.duration_s, 3);
  num("sockets", r.sockets);
  num("sent", r.sent);
  num("answered", r.answered);
  num("lost", r.lost());
  real("loss_pct", r.loss_pct(), 5);
  num("invalid", r.invalid);
  num("duplicates", r.duplicates);
  num("unknown", r.unknown);
  num("send_errors", r.send_errors);
  real("offered_rps", r.offered_rps(), 1);
  real("rps", r.answered_rps(), 1);
  real("p50_us", us(r.latency.percentile(0.50)), 2);
  real("p99_us", us(r.latency.percentile(0.99)), 2);
  real("p999_us", us(r.latency.percentile(0.999)), 2);
  real("max_us", us(r.latency.max()), 2);
  real("mean_us", r.latency.mean() / 1000.0, 2);
  real("send_lag_p99_us", us(r.send_lag.percentile(0.99)), 2);
  return s + "}\n";
}

}  // namespace pinhole::bench

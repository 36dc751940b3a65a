#include "metrics.hpp"

#include <cstdio>

#include "handler.hpp"
#include "server.hpp"

#ifndef PINHOLE_VERSION
#define PINHOLE_VERSION "0.1.0"
#endif

namespace pinhole::daemon {
namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

struct writer {
  std::string out;
  void family(const char* name, const char* type, const char* help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  }
  void sample(const std::string& name, const std::string& labels, const std::string& value) {
    out += name;
    if (!labels.empty()) out += "{" + labels + "}";
    out += ' ';
    out += value;
    out += '\n';
  }
  void sample(const std::string& name, const std::string& labels, std::uint64_t value) {
    sample(name, labels, std::to_string(value));
  }
};

std::string listener_labels(const listener_sample& l) {
  return "listener=\"" + escape_label(l.name) + "\",family=\"" + l.family + "\",role=\"" + l.role + "\"";
}

}  // namespace

std::string escape_label(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

metrics_sample sample(const server& s) {
  metrics_sample m;
  const auto& ls = s.listeners();
  for (std::size_t i = 0; i < ls.size(); ++i) {
    listener_sample l;
    l.name = ls[i].name;
    l.family = ls[i].bound.fam == stun::family::ipv4 ? "ipv4" : "ipv6";
    l.role = role_name(ls[i].role);
    l.values = s.listener_totals(i);
    m.listeners.push_back(std::move(l));
  }
  m.totals = s.counters().total();
  m.latency = s.latency();
  const auto activity = s.worker_activity();
  m.wakeups = activity.wakeups;
  m.polls = activity.polls;
  m.workers = s.worker_count();
  const auto st = s.state();
  m.limiter_slots = st && st->per_source ? st->per_source->slots() : 0;
  m.acl_prefixes = st ? st->allow.size() : 0;
  m.socket_activated = s.socket_activated();
  return m;
}

namespace {

// Per listener: requests by outcome and error responses by code.
void render_outcomes(writer& w, const metrics_sample& m) {
  // Requests by result: every received datagram ends in exactly one of these.
  static constexpr std::pair<counter, const char*> results[] = {
      {counter::answered, "answered"},
      {counter::dropped_malformed, "dropped_malformed"},
      {counter::dropped_indication, "dropped_indication"},
      {counter::dropped_response, "dropped_response"},
      {counter::dropped_rate_limited, "dropped_rate_limited"},
      {counter::dropped_global_limit, "dropped_global_limit"},
      {counter::dropped_acl, "dropped_acl"},
      {counter::send_failed, "send_failed"},  // answered, but the kernel did not take the response
      {counter::dropped_draining, "dropped_draining"},
  };
  w.family("pinholed_requests_total", "counter",
           "Datagrams received, by outcome (error_4xx = answered with a STUN error response; "
           "send_failed = the response could not be sent).");
  for (const auto& l : m.listeners) {
    const std::string base = listener_labels(l);
    for (const auto& [c, name] : results)
      w.sample("pinholed_requests_total", base + ",result=\"" + name + "\"", get(l.values, c));
    const std::uint64_t errors = get(l.values, counter::error_400) + get(l.values, counter::error_401) +
                                 get(l.values, counter::error_420) + get(l.values, counter::error_other);
    w.sample("pinholed_requests_total", base + ",result=\"error_4xx\"", errors);
  }
  w.family("pinholed_error_responses_total", "counter", "STUN error responses sent, by error code.");
  for (const auto& l : m.listeners) {
    const std::string base = listener_labels(l);
    w.sample("pinholed_error_responses_total", base + ",code=\"400\"", get(l.values, counter::error_400));
    w.sample("pinholed_error_responses_total", base + ",code=\"401\"", get(l.values, counter::error_401));
    w.sample("pinholed_error_responses_total", base + ",code=\"420\"", get(l.values, counter::error_420));
    w.sample("pinholed_error_responses_total", base + ",code=\"other\"", get(l.values, counter::error_other));
  }
}

// Per listener: datagrams and bytes; then the all-listener total.
void render_traffic(writer& w, const metrics_sample& m) {
  static constexpr std::tuple<counter, const char*, const char*> plain[] = {
      {counter::received, "pinholed_received_datagrams_total", "UDP datagrams read from the listener."},
      {counter::send_failed, "pinholed_send_failures_total", "Responses the kernel did not accept."},
      {counter::bytes_in, "pinholed_received_bytes_total", "UDP payload bytes received."},
      {counter::bytes_out, "pinholed_sent_bytes_total", "UDP payload bytes of responses sent."},
  };
  for (const auto& [c, name, help] : plain) {
    w.family(name, "counter", help);
    for (const auto& l : m.listeners) w.sample(name, listener_labels(l), get(l.values, c));
  }
  w.family("pinholed_all_requests_total", "counter",
           "Datagrams received on all listeners since start, including listeners removed by a reload.");
  w.sample("pinholed_all_requests_total", "", get(m.totals, counter::received));
}

// Time inside pinholed and how the workers woke up.
void render_latency(writer& w, const metrics_sample& m) {
  w.family("pinholed_request_duration_seconds", "histogram",
           "Time a request spends inside pinholed, from recvmmsg return to sendmmsg return of its batch.");
  for (std::size_t i = 0; i < latency_bounds_ns.size(); ++i) {
    w.sample("pinholed_request_duration_seconds_bucket",
             "le=\"" + number(static_cast<double>(latency_bounds_ns[i]) / 1e9) + "\"", m.latency.cumulative[i]);
  }
  w.sample("pinholed_request_duration_seconds_bucket", "le=\"+Inf\"", m.latency.count);
  w.sample("pinholed_request_duration_seconds_sum", "", number(static_cast<double>(m.latency.sum_ns) / 1e9));
  w.sample("pinholed_request_duration_seconds_count", "", m.latency.count);

  w.family("pinholed_worker_wakeups_total", "counter", "Readiness events the workers served.");
  w.sample("pinholed_worker_wakeups_total", "", m.wakeups);
  w.family("pinholed_coalesce_polls_total", "counter",
           "Timed reads of the sockets made under load instead of waiting for readiness (coalesce_us).");
  w.sample("pinholed_coalesce_polls_total", "", m.polls);
}

// The process: uptime, build, configuration, health.
void render_process(writer& w, const metrics_sample& m) {
  w.family("pinholed_uptime_seconds", "gauge", "Seconds since pinholed started.");
  w.sample("pinholed_uptime_seconds", "", number(m.uptime_seconds));
  w.family("pinholed_start_time_seconds", "gauge", "Start time of pinholed, Unix seconds.");
  char start[32];
  std::snprintf(start, sizeof start, "%.3f", m.start_time_seconds);
  w.sample("pinholed_start_time_seconds", "", start);
  w.family("pinholed_build_info", "gauge", "Always 1; the labels describe the build.");
  w.sample("pinholed_build_info", "version=\"" PINHOLE_VERSION "\",compiler=\"" + escape_label(__VERSION__) + "\"", 1);
  w.family("pinholed_workers", "gauge", "Packet worker threads.");
  w.sample("pinholed_workers", "", m.workers);
  w.family("pinholed_listeners", "gauge", "Listening UDP addresses.");
  w.sample("pinholed_listeners", "", m.listeners.size());
  w.family("pinholed_socket_activated", "gauge", "1 if the sockets came from systemd.");
  w.sample("pinholed_socket_activated", "", m.socket_activated ? 1U : 0U);
  w.family("pinholed_config_reloads_total", "counter", "Configuration reloads, by result.");
  w.sample("pinholed_config_reloads_total", "result=\"ok\"", m.reloads_ok);
  w.sample("pinholed_config_reloads_total", "result=\"rejected\"", m.reloads_rejected);
  w.family("pinholed_rate_limiter_slots", "gauge", "Sources the per-source rate limiter tracks (0 = off).");
  w.sample("pinholed_rate_limiter_slots", "", m.limiter_slots);
  w.family("pinholed_acl_prefixes", "gauge", "Prefixes in the client allow-list (0 = everyone allowed).");
  w.sample("pinholed_acl_prefixes", "", m.acl_prefixes);
  w.family("pinholed_healthy", "gauge", "1 if every worker answered its last heartbeat.");
  w.sample("pinholed_healthy", "", m.healthy ? 1U : 0U);
  w.family("pinholed_draining", "gauge", "1 in drain mode (SIGUSR1 until SIGUSR2 or a reload): /healthz is 503.");
  w.sample("pinholed_draining", "", m.draining ? 1U : 0U);
}

// The metrics HTTP endpoint itself.
void render_http(writer& w, const metrics_sample& m) {
  w.family("pinholed_http_open_connections", "gauge", "Connections open to the metrics endpoint.");
  w.sample("pinholed_http_open_connections", "", m.http_open);
  w.family("pinholed_http_connections_accepted_total", "counter", "Connections accepted by the metrics endpoint.");
  w.sample("pinholed_http_connections_accepted_total", "", m.http_accepted);
  w.family("pinholed_http_connections_evicted_total", "counter",
           "Metrics connections closed to make room for a newer one (the oldest still sending its request).");
  w.sample("pinholed_http_connections_evicted_total", "", m.http_evicted);
  w.family("pinholed_http_connections_timed_out_total", "counter",
           "Metrics connections closed for sending no byte within 1 s or no request within 3 s.");
  w.sample("pinholed_http_connections_timed_out_total", "", m.http_timed_out);
  w.family("pinholed_http_accept_paused_total", "counter",
           "Times the metrics endpoint paused accepting because accept() failed (out of file descriptors).");
  w.sample("pinholed_http_accept_paused_total", "", m.http_accept_paused);
}

}  // namespace

std::string render_prometheus(const metrics_sample& m) {
  writer w;
  render_outcomes(w, m);
  render_traffic(w, m);
  render_latency(w, m);
  render_process(w, m);
  render_http(w, m);
  return std::move(w.out);
}

}  // namespace pinhole::daemon

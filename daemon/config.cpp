// Configuration model: embedded defaults, JSON loading, validation, effective-config dump.
// Startup/reload path only: exceptions from nlohmann_json are caught here and turned into
// one-line "config: ..." errors; nothing escapes.
#include "config.hpp"

#include "log.hpp"
#include "stun/limits.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <utility>

namespace pinhole::daemon {

namespace {

using json = nlohmann::json;

constexpr std::uint64_t k_max_workers = 1024;
constexpr std::uint64_t k_max_batch = 1024;
constexpr std::uint64_t k_max_coalesce_us = 10000;
constexpr std::uint64_t k_max_table = 16777216;
constexpr std::uint64_t k_max_drain_grace_ms = 3600000;  // an hour
constexpr double k_max_rate = 1e9;
constexpr std::size_t k_max_file = 1U << 20;        // 1 MiB is plenty for a config file
constexpr std::size_t k_max_username = stun::limits::username_bytes;    // RFC 8489 §14.3: fewer than 509 bytes
constexpr std::size_t k_max_software_chars = stun::limits::text_chars;  // RFC 8489 §14.14: fewer than 128 characters
constexpr std::size_t k_max_software_bytes = stun::limits::text_bytes;
// RFC 8489 sets no length for a short-term password; this cap is ours (the
// key is the password itself, RFC 8489 §9.1.1: "key = OpaqueString(password)").
constexpr std::size_t k_max_password = 1024;
// Deepest nesting a config file may have. The schema needs 2 levels; deeper
// documents are refused before parsing, so nothing after it (the parser's
// DOM, a value shown in an error message, the destructor) can recurse
// without bound: 100,000 nested arrays (200 KB) overflowed the stack.
constexpr std::size_t k_max_depth = 32;

// Internal control flow of the loader; never escapes this file.
struct config_error {
  std::string message;  // without the "config: " prefix
};

// Makes any text safe for a one-line message.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

// Appends a compact rendering of `v` to `out` (nlohmann's dump(-1) format),
// stopping once `out` is longer than `limit` and never more than 4 levels
// deep: a message shows the start of a value, never all of it.
void render(const json& v, std::string& out, std::size_t limit, int depth) {
  constexpr int k_levels = 4;
  if (out.size() > limit) return;
  if (v.is_array() || v.is_object()) {
    const bool array = v.is_array();
    if (depth >= k_levels) {
      out += array ? "[...]" : "{...}";
      return;
    }
    out += array ? '[' : '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end() && out.size() <= limit; ++it) {
      if (!first) out += ',';
      first = false;
      if (!array) {
        render(json(it.key()), out, limit, depth + 1);
        out += ':';
      }
      render(*it, out, limit, depth + 1);
    }
    out += array ? ']' : '}';
    return;
  }
  if (v.is_string() && v.get_ref<const std::string&>().size() > limit) {
    out += json(v.get_ref<const std::string&>().substr(0, limit + 1)).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A short rendering of a JSON value for "got ..." (strings quoted and escaped).
std::string describe(const json& v) {
  constexpr std::size_t k_limit = 40;
  std::string s;
  render(v, s, k_limit, 0);
  if (s.size() > k_limit) {
    std::size_t cut = k_limit - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0U) == 0x80U) --cut;
    s.resize(cut);
    s += "...";
  }
  return s;
}

std::string json_quote(std::string_view s) {
  return describe(json(std::string(s)));
}

[[noreturn]] void fail(const std::string& path, const std::string& what, const json& got) {
  throw config_error{path + ": expected " + what + ", got " + describe(got)};
}

void expect_object(const json& v, const std::string& path) {
  if (!v.is_object()) fail(path.empty() ? "/" : path, "object", v);
}

[[noreturn]] void unknown_key(const std::string& key, const std::string& path) {
  throw config_error{"unknown key " + json_quote(key) + " at " + (path.empty() ? "/" : path)};
}

std::string get_string(const json& v, const std::string& path) {
  if (!v.is_string()) fail(path, "string", v);
  return v.get<std::string>();
}

bool get_bool(const json& v, const std::string& path) {
  if (!v.is_boolean()) fail(path, "true or false", v);
  return v.get<bool>();
}

std::uint64_t get_uint(const json& v, const std::string& path, std::uint64_t lo, std::uint64_t hi) {
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n >= lo && n <= hi) return n;
  } else if (v.is_number_integer()) {
    const auto n = v.get<std::int64_t>();
    if (n >= 0 && static_cast<std::uint64_t>(n) >= lo && static_cast<std::uint64_t>(n) <= hi) {
      return static_cast<std::uint64_t>(n);
    }
  }
  fail(path, "integer " + std::to_string(lo) + "-" + std::to_string(hi), v);
}

double get_rate(const json& v, const std::string& path) {
  if (v.is_number()) {
    const auto d = v.get<double>();
    if (std::isfinite(d) && d >= 0 && d <= k_max_rate) return d;
  }
  fail(path, "number 0-1000000000", v);
}

std::vector<std::string> get_string_array(const json& v, const std::string& path) {
  if (!v.is_array()) fail(path, "array of strings", v);
  std::vector<std::string> out;
  out.reserve(v.size());
  std::size_t i = 0;
  for (const auto& e : v) {
    out.push_back(get_string(e, path + "/" + std::to_string(i)));
    ++i;
  }
  return out;
}

std::string get_ip_string(const json& v, const std::string& path) {
  std::string s = get_string(v, path);
  if (!s.empty() && !stun::transport_address::parse_literal(s)) fail(path, "IP address or \"\"", v);
  return s;
}

void apply_rfc5780(const json& obj, rfc5780_config& r, const std::string& path) {
  expect_object(obj, path);
  for (const auto& [key, v] : obj.items()) {
    const std::string p = path + "/" + key;
    if (key == "enabled") r.enabled = get_bool(v, p);
    else if (key == "primary_ip") r.primary_ip = get_ip_string(v, p);
    else if (key == "alternate_ip") r.alternate_ip = get_ip_string(v, p);
    else if (key == "primary_port") r.primary_port = static_cast<std::uint16_t>(get_uint(v, p, 1, 65535));
    else if (key == "alternate_port") r.alternate_port = static_cast<std::uint16_t>(get_uint(v, p, 1, 65535));
    else if (key == "advertised_primary_ip") r.advertised_primary_ip = get_ip_string(v, p);
    else if (key == "advertised_alternate_ip") r.advertised_alternate_ip = get_ip_string(v, p);
    else unknown_key(key, path);
  }
}

void apply_auth(const json& obj, auth_config& a, const std::string& path) {
  expect_object(obj, path);
  for (const auto& [key, v] : obj.items()) {
    const std::string p = path + "/" + key;
    if (key == "required") a.required = get_bool(v, p);
    else if (key == "username") a.username = get_string(v, p);
    else if (key == "password") a.password = get_string(v, p);
    else unknown_key(key, path);
  }
}

void apply_rate_limit(const json& obj, rate_limit_config& r, const std::string& path) {
  expect_object(obj, path);
  for (const auto& [key, v] : obj.items()) {
    const std::string p = path + "/" + key;
    if (key == "per_ip_rate") r.per_ip_rate = get_rate(v, p);
    else if (key == "per_ip_burst") r.per_ip_burst = get_rate(v, p);
    else if (key == "table_size") r.table_size = static_cast<std::uint32_t>(get_uint(v, p, 1, k_max_table));
    else if (key == "global_rate") r.global_rate = get_rate(v, p);
    else unknown_key(key, path);
  }
}

void apply_xdp(const json& obj, xdp_config& x, const std::string& path) {
  expect_object(obj, path);
  for (const auto& [key, v] : obj.items()) {
    const std::string p = path + "/" + key;
    if (key == "interfaces") {
      x.interfaces = get_string_array(v, p);
    } else if (key == "mode") {
      x.mode = get_string(v, p);
      if (x.mode != "native" && x.mode != "generic") fail(p, "\"native\" or \"generic\"", v);
    } else {
      unknown_key(key, path);
    }
  }
}

void apply_root(const json& root, config& cfg) {
  expect_object(root, "");
  for (const auto& [key, v] : root.items()) {
    const std::string p = "/" + key;
    if (key == "listen") {
      const auto items = get_string_array(v, p);
      std::vector<listen_spec> specs;
      specs.reserve(items.size());
      for (std::size_t i = 0; i < items.size(); ++i) {
        listen_spec s;
        if (!parse_listen(items[i], s)) {
          fail(p + "/" + std::to_string(i), "IP:PORT (IPv6 as [addr]:port)", v[i]);
        }
        specs.push_back(std::move(s));
      }
      cfg.listen = std::move(specs);
    } else if (key == "rfc5780") {
      apply_rfc5780(v, cfg.rfc5780, p);
    } else if (key == "software") {
      cfg.software = get_string(v, p);
    } else if (key == "log_level") {
      const std::string s = get_string(v, p);
      if (!parse_log_level(s, cfg.level)) fail(p, "one of \"debug\", \"info\", \"warning\", \"error\"", v);
    } else if (key == "workers") {
      cfg.workers = static_cast<unsigned>(get_uint(v, p, 0, k_max_workers));
    } else if (key == "batch") {
      cfg.batch = static_cast<unsigned>(get_uint(v, p, 1, k_max_batch));
    } else if (key == "coalesce_us") {
      cfg.coalesce_us = static_cast<unsigned>(get_uint(v, p, 0, k_max_coalesce_us));
    } else if (key == "auth") {
      apply_auth(v, cfg.auth, p);
    } else if (key == "rate_limit") {
      apply_rate_limit(v, cfg.rate_limit, p);
    } else if (key == "metrics_listen") {
      std::string s = get_string(v, p);
      listen_spec ls;
      if (!s.empty() && !parse_listen(s, ls)) fail(p, "IP:PORT or \"\"", v);
      cfg.metrics_listen = std::move(s);
    } else if (key == "allow") {
      auto items = get_string_array(v, p);
      for (std::size_t i = 0; i < items.size(); ++i) {
        ip_prefix pfx;
        if (!parse_prefix(items[i], pfx)) {
          fail(p + "/" + std::to_string(i), "IP prefix like \"198.51.100.0/24\" with zero host bits", v[i]);
        }
      }
      cfg.allow = std::move(items);
    } else if (key == "user") {
      cfg.user = get_string(v, p);
    } else if (key == "share_port") {
      cfg.share_port = get_bool(v, p);
    } else if (key == "drain_grace_ms") {
      cfg.drain_grace_ms = static_cast<unsigned>(get_uint(v, p, 0, k_max_drain_grace_ms));
    } else if (key == "xdp") {
      apply_xdp(v, cfg.xdp, p);
    } else if (key == "xdp_required") {
      cfg.xdp_required = get_bool(v, p);
    } else {
      unknown_key(key, "");
    }
  }
}

// The byte offset (0-based) of the first '[' or '{' nested deeper than
// k_max_depth, or npos. Skips strings and comments (the parser allows them);
// does not validate anything else: the parser does.
std::size_t too_deep(std::string_view text) {
  std::size_t depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const auto end = text.find("*/", i + 2);
      if (end == std::string_view::npos) return std::string_view::npos;  // the parser reports it
      i = end + 1;
    } else if (c == '[' || c == '{') {
      if (++depth > k_max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

// "[json.exception.out_of_range.406] number overflow parsing '1e400'" -> "number overflow parsing '1e400'"
std::string strip_json_prefix(std::string what) {
  if (const auto pos = what.find("] "); what.rfind("[json.exception.", 0) == 0 && pos != std::string::npos) {
    what.erase(0, pos + 2);
  }
  return what;
}

// Parses with a callback that rejects duplicate object keys (nlohmann would keep the last).
json parse_strict(const std::string& text) {
  if (const auto at = too_deep(text); at != std::string_view::npos) {
    throw config_error{"invalid JSON: nested deeper than " + std::to_string(k_max_depth) + " levels (byte " +
                       std::to_string(at + 1) + ")"};
  }
  struct frame {
    bool object;
    std::set<std::string> keys;
    std::string key;
    std::size_t index = 0;
  };
  std::vector<frame> stack;
  auto container_path = [&stack]() {
    std::string path;
    for (std::size_t i = 0; i + 1 < stack.size(); ++i) {
      path += "/";
      path += stack[i].object ? stack[i].key : std::to_string(stack[i].index);
    }
    return path.empty() ? std::string("/") : path;
  };
  json::parser_callback_t cb = [&](int /*depth*/, json::parse_event_t ev, json& parsed) {
    switch (ev) {
      case json::parse_event_t::object_start:
        stack.push_back(frame{true, {}, {}, 0});
        break;
      case json::parse_event_t::array_start:
        stack.push_back(frame{false, {}, {}, 0});
        break;
      case json::parse_event_t::key: {
        if (stack.empty()) break;
        std::string k = parsed.get<std::string>();
        if (!stack.back().keys.insert(k).second) {
          throw config_error{"duplicate key " + json_quote(k) + " at " + container_path()};
        }
        stack.back().key = std::move(k);
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!stack.empty()) stack.pop_back();
        if (!stack.empty() && !stack.back().object) ++stack.back().index;
        break;
      case json::parse_event_t::value:
        if (!stack.empty() && !stack.back().object) ++stack.back().index;
        break;
    }
    return true;
  };
  return json::parse(text, cb, /*allow_exceptions=*/true, /*ignore_comments=*/true);
}

// Counts UTF-8 code points; false if the text is not valid UTF-8.
bool utf8_length(std::string_view s, std::size_t& chars) {
  chars = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80U) { n = 1; cp = c; }
    else if ((c & 0xE0U) == 0xC0U) { n = 2; cp = c & 0x1FU; }
    else if ((c & 0xF0U) == 0xE0U) { n = 3; cp = c & 0x0FU; }
    else if ((c & 0xF8U) == 0xF0U) { n = 4; cp = c & 0x07U; }
    else return false;
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0U) != 0x80U) return false;
      cp = (cp << 6U) | (cc & 0x3FU);
    }
    if ((n == 2 && cp < 0x80U) || (n == 3 && cp < 0x800U) || (n == 4 && (cp < 0x10000U || cp > 0x10FFFFU)) ||
        (cp >= 0xD800U && cp <= 0xDFFFU)) {
      return false;
    }
    i += n;
    ++chars;
  }
  return true;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20U || u == 0x7FU;
  });
}

// Control characters, ASCII (C0, DEL) and C1 (U+0080-U+009F, UTF-8 C2 80-C2 9F):
// RFC 8265's OpaqueString profile (required for USERNAME and the password by
// RFC 8489 §14.3 and §9.1.1) disallows them, NUL included.
bool has_control_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20U || u == 0x7FU) return true;
    if (u == 0xC2U && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80U &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9FU) {
      return true;
    }
  }
  return false;
}

std::string sys_error(int err) { return std::error_code(err, std::generic_category()).message(); }

}  // namespace

bool parse_listen(std::string_view text, listen_spec& out) {
  const auto addr = stun::transport_address::parse(text);
  if (!addr) return false;
  out.text = std::string(text);
  out.addr = *addr;
  return true;
}

bool parse_prefix(std::string_view text, ip_prefix& out) {
  const auto slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  const auto parsed = stun::transport_address::parse_literal(addr);
  if (!parsed) return false;
  const auto& ip = parsed->ip;
  const unsigned max_len = parsed->fam == stun::family::ipv4 ? 32U : 128U;
  unsigned len = max_len;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || len > max_len) return false;
  }
  // Host bits must be zero: "198.51.100.1/24" is almost always a typo.
  for (unsigned bit = len; bit < max_len; ++bit) {
    if ((ip[bit / 8U] & (0x80U >> (bit % 8U))) != 0U) return false;
  }
  out.family = parsed->fam;
  out.ip = ip;
  out.length = len;
  return true;
}

config default_config() {
  config cfg;
  for (const char* text : {"0.0.0.0:3478", "[::]:3478"}) {
    listen_spec s;
    parse_listen(text, s);
    cfg.listen.push_back(std::move(s));
  }
  return cfg;
}

bool apply_json(const std::string& json_text, config& cfg, std::string& error) {
  try {
    const json root = parse_strict(json_text);
    config next = cfg;
    apply_root(root, next);
    cfg = std::move(next);
    return true;
  } catch (const config_error& e) {
    error = "config: " + one_line(e.message);
  } catch (const json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 2, column 7: syntax error ..."
    error = "config: invalid JSON: " + one_line(strip_json_prefix(e.what())) + " (byte " + std::to_string(e.byte) + ")";
  } catch (const json::out_of_range& e) {
    // 406: "number overflow parsing '1e400'" (a number no double can hold).
    const std::string what = e.what();
    const auto open = what.find('\'');
    const auto close = what.rfind('\'');
    if (e.id == 406 && open != std::string::npos && close > open) {
      std::string number = one_line(what.substr(open + 1, close - open - 1));
      if (number.size() > 40) number = number.substr(0, 37) + "...";
      error = "config: invalid JSON: number " + number + " is out of range";
    } else {
      error = "config: invalid JSON: " + one_line(strip_json_prefix(what));
    }
  } catch (const std::exception& e) {
    error = "config: " + one_line(strip_json_prefix(e.what()));
  }
  return false;
}

bool load_file(const std::string& path, config& cfg, std::string& error) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (that would block
  // the control thread on SIGHUP); anything but a regular file is refused.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    error = path + ": cannot read: " + sys_error(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    error = path + ": cannot read: " + sys_error(err);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    error = path + ": cannot read: " + (S_ISDIR(st.st_mode) ? sys_error(EISDIR) : std::string("not a regular file"));
    return false;
  }
  std::string text;
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      error = path + ": cannot read: " + sys_error(err);
      return false;
    }
    if (n == 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() > k_max_file) {
      ::close(fd);
      error = path + ": cannot read: file larger than 1 MiB";
      return false;
    }
  }
  ::close(fd);
  std::string inner;
  if (!apply_json(text, cfg, inner)) {
    // "config: <msg>" -> "FILE: <msg>"
    constexpr std::string_view prefix = "config: ";
    if (inner.rfind(prefix, 0) == 0) inner.erase(0, prefix.size());
    error = path + ": " + inner;
    return false;
  }
  return true;
}

bool validate(const config& cfg, std::string& error) {
  auto bad = [&error](std::string msg) {
    error = "config: " + one_line(std::move(msg));
    return false;
  };

  // listen
  // RFC 5780 mode may bind only its four sockets.
  if (cfg.listen.empty() && !cfg.rfc5780.enabled) return bad("listen: at least one address is required");
  for (std::size_t i = 0; i < cfg.listen.size(); ++i) {
    const auto& s = cfg.listen[i];
    if (s.text.empty()) return bad("listen: " + json_quote(s.text) + " has no address family");
    for (std::size_t j = 0; j < i; ++j) {
      const auto& o = cfg.listen[j];
      if (o.addr == s.addr && s.addr.port != 0) {
        return bad("listen: duplicate address " + json_quote(s.text));
      }
    }
  }

  // rfc5780
  const auto& r = cfg.rfc5780;
  const auto pip = stun::transport_address::parse_literal(r.primary_ip);
  const auto aip = stun::transport_address::parse_literal(r.alternate_ip);
  if (!r.primary_ip.empty() && !pip) {
    return bad("rfc5780: primary_ip " + json_quote(r.primary_ip) + " is not an IP address");
  }
  if (!r.alternate_ip.empty() && !aip) {
    return bad("rfc5780: alternate_ip " + json_quote(r.alternate_ip) + " is not an IP address");
  }
  for (const auto* adv : {&r.advertised_primary_ip, &r.advertised_alternate_ip}) {
    const char* name = adv == &r.advertised_primary_ip ? "advertised_primary_ip" : "advertised_alternate_ip";
    if (adv->empty()) continue;
    const auto ip = stun::transport_address::parse_literal(*adv);
    if (!ip) return bad(std::string("rfc5780: ") + name + " " + json_quote(*adv) + " is not an IP address");
    if (r.enabled && pip && ip->fam != pip->fam) {
      return bad(std::string("rfc5780: ") + name + " must be the same address family as primary_ip");
    }
    if (r.enabled && ip->is_unspecified()) return bad(std::string("rfc5780: ") + name + " must be a specific address, not " + *adv);
  }
  if (r.enabled) {
    if (r.primary_ip.empty()) return bad("rfc5780: enabled but primary_ip is empty");
    if (r.alternate_ip.empty()) return bad("rfc5780: enabled but alternate_ip is empty");
    if (pip->fam != aip->fam) return bad("rfc5780: primary_ip and alternate_ip must be the same address family");
    if (pip->ip == aip->ip) return bad("rfc5780: primary_ip and alternate_ip must be different addresses");
    if (pip->is_unspecified()) return bad("rfc5780: primary_ip must be a specific address, not " + r.primary_ip);
    if (aip->is_unspecified()) return bad("rfc5780: alternate_ip must be a specific address, not " + r.alternate_ip);
    if (r.primary_port == 0 || r.alternate_port == 0) return bad("rfc5780: ports must be 1-65535");
    if (r.primary_port == r.alternate_port) return bad("rfc5780: primary_port and alternate_port must differ");
  }

  // software (RFC 8489 §14.14)
  if (!cfg.software.empty()) {
    std::size_t chars = 0;
    if (!utf8_length(cfg.software, chars)) return bad("software: not valid UTF-8");
    if (chars > k_max_software_chars || cfg.software.size() > k_max_software_bytes) {
      return bad("software: must be fewer than 128 characters");
    }
    if (has_control_text(cfg.software)) return bad("software: must not contain control characters (NUL, newline, ...)");
  }

  // log level
  if (cfg.level != log_level::debug && cfg.level != log_level::info && cfg.level != log_level::warning &&
      cfg.level != log_level::error) {
    return bad("log_level: invalid value");
  }

  // threading / batching
  if (cfg.workers > k_max_workers) return bad("workers: must be 0-1024 (0 = one per CPU core)");
  if (cfg.batch < 1 || cfg.batch > k_max_batch) return bad("batch: must be 1-1024");
  if (cfg.coalesce_us > k_max_coalesce_us) return bad("coalesce_us: must be 0-10000 (0 = off)");

  // auth
  const auto& a = cfg.auth;
  if (a.required && a.username.empty()) return bad("auth: required but username is empty");
  if (a.required && a.password.empty()) return bad("auth: required but password is empty");
  if (a.username.empty() != a.password.empty()) return bad("auth: username and password must be set together");
  if (a.username.size() > k_max_username) return bad("auth: username must be fewer than 509 bytes");
  if (std::size_t chars = 0; !a.username.empty() && !utf8_length(a.username, chars)) {
    return bad("auth: username is not valid UTF-8");
  }
  if (has_control_text(a.username)) return bad("auth: username must not contain control characters (NUL, newline, ...)");
  if (a.password.size() > k_max_password) return bad("auth: password must be at most 1024 bytes");
  if (std::size_t chars = 0; !utf8_length(a.password, chars)) return bad("auth: password is not valid UTF-8");
  if (has_control_text(a.password)) return bad("auth: password must not contain control characters (NUL, newline, ...)");

  // rate limiting
  const auto& rl = cfg.rate_limit;
  for (const auto& [name, v] : {std::pair<const char*, double>{"per_ip_rate", rl.per_ip_rate},
                                {"per_ip_burst", rl.per_ip_burst},
                                {"global_rate", rl.global_rate}}) {
    if (!std::isfinite(v) || v < 0 || v > k_max_rate) {
      return bad(std::string("rate_limit: ") + name + " must be a number 0-1000000000");
    }
  }
  if (rl.per_ip_burst != 0 && rl.per_ip_burst < 1) return bad("rate_limit: per_ip_burst must be 0 or at least 1");
  if (rl.table_size < 1 || rl.table_size > k_max_table) return bad("rate_limit: table_size must be 1-16777216");

  // metrics
  if (!cfg.metrics_listen.empty()) {
    listen_spec ls;
    if (!parse_listen(cfg.metrics_listen, ls)) {
      return bad("metrics_listen: " + json_quote(cfg.metrics_listen) + " is not IP:PORT (IPv6 as [addr]:port)");
    }
  }

  // ACL
  for (const auto& p : cfg.allow) {
    ip_prefix pfx;
    if (!parse_prefix(p, pfx)) {
      return bad("allow: " + json_quote(p) + " is not an IP prefix like \"198.51.100.0/24\" with zero host bits");
    }
  }

  // privilege drop
  if (has_control(cfg.user) || cfg.user.find_first_of(" :/") != std::string::npos) {
    return bad("user: " + json_quote(cfg.user) + " is not a valid user name");
  }

  // drain mode
  if (cfg.drain_grace_ms > k_max_drain_grace_ms) return bad("drain_grace_ms: must be 0-3600000");

  // XDP fast path
  if (cfg.xdp.mode != "native" && cfg.xdp.mode != "generic") return bad("xdp: mode must be \"native\" or \"generic\"");
  for (const auto& name : cfg.xdp.interfaces) {
    if (name.empty() || name.size() > 15 || has_control(name) || name.find_first_of(" /") != std::string::npos) {
      return bad("xdp: interfaces: " + json_quote(name) + " is not an interface name");
    }
  }
  return true;
}

std::string to_json(const config& cfg) {
  using ojson = nlohmann::ordered_json;
  ojson listen = ojson::array();
  for (const auto& s : cfg.listen) listen.push_back(s.text);
  ojson allow = ojson::array();
  for (const auto& p : cfg.allow) allow.push_back(p);
  ojson j;
  j["listen"] = std::move(listen);
  j["rfc5780"] = ojson{
      {"enabled", cfg.rfc5780.enabled},
      {"primary_ip", cfg.rfc5780.primary_ip},
      {"alternate_ip", cfg.rfc5780.alternate_ip},
      {"primary_port", cfg.rfc5780.primary_port},
      {"alternate_port", cfg.rfc5780.alternate_port},
      {"advertised_primary_ip", cfg.rfc5780.advertised_primary_ip},
      {"advertised_alternate_ip", cfg.rfc5780.advertised_alternate_ip},
  };
  j["software"] = cfg.software;
  j["log_level"] = std::string(to_string(cfg.level));
  j["workers"] = cfg.workers;
  j["batch"] = cfg.batch;
  j["coalesce_us"] = cfg.coalesce_us;
  j["auth"] = ojson{
      {"required", cfg.auth.required},
      {"username", cfg.auth.username},
      {"password", cfg.auth.password},
  };
  j["rate_limit"] = ojson{
      {"per_ip_rate", cfg.rate_limit.per_ip_rate},
      {"per_ip_burst", cfg.rate_limit.per_ip_burst},
      {"table_size", cfg.rate_limit.table_size},
      {"global_rate", cfg.rate_limit.global_rate},
  };
  j["metrics_listen"] = cfg.metrics_listen;
  j["allow"] = std::move(allow);
  j["user"] = cfg.user;
  j["share_port"] = cfg.share_port;
  j["drain_grace_ms"] = cfg.drain_grace_ms;
  ojson xdp_ifaces = ojson::array();
  for (const auto& i : cfg.xdp.interfaces) xdp_ifaces.push_back(i);
  j["xdp"] = ojson{{"interfaces", std::move(xdp_ifaces)}, {"mode", cfg.xdp.mode}};
  j["xdp_required"] = cfg.xdp_required;
  // Strings set from the command line may not be valid UTF-8; never throw here.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace pinhole::daemon

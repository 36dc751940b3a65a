// The JSON loader: a strict parse (bounded depth, no duplicate keys) and the
// settings of option_table.hpp read into their types. Startup/reload path
// only: exceptions from nlohmann_json are caught here and turned into
// one-line "config: ..." errors; nothing escapes.
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>
#include <utility>

#include "config.hpp"
#include "config_messages.hpp"
#include "log.hpp"
#include "option_table.hpp"

namespace pinhole::daemon {

namespace {

using json = nlohmann::json;

// Deepest nesting a config file may have. The schema needs 2 levels; deeper
// documents are refused before parsing, so nothing after it (the parser's
// DOM, a value shown in an error message, the destructor) can recurse
// without bound: 100,000 nested arrays (200 KB) overflowed the stack.
constexpr std::size_t k_max_depth = 32;

// Internal control flow of the loader; never escapes this file.
struct config_error {
  daemon_errc code;
  std::string message;  // without the "config: " prefix
};

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
    out +=
        json(v.get_ref<const std::string&>().substr(0, limit + 1)).dump(-1, ' ', false, json::error_handler_t::replace);
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

[[noreturn]] void fail(const std::string& path, const std::string& what, const json& got) {
  throw config_error{daemon_errc::invalid_setting, path + ": expected " + what + ", got " + describe(got)};
}

[[noreturn]] void unknown_key(const std::string& key, const std::string& path) {
  throw config_error{daemon_errc::invalid_setting,
                     "unknown key " + json_quote(key) + " at " + (path.empty() ? "/" : path)};
}

void expect_object(const json& v, const std::string& path) {
  if (!v.is_object()) fail(path.empty() ? "/" : path, "object", v);
}

const std::string& get_string(const json& v, const std::string& path) {
  if (!v.is_string()) fail(path, "string", v);
  return v.get_ref<const std::string&>();
}

// A string that parses into T (or is "" when `empty_ok`), at `path`.
template <class T>
T get_parsed(const json& v, const std::string& path, const char* what, bool empty_ok) {
  T out(get_string(v, path));
  if (!out.valid() && !(empty_ok && out.empty())) fail(path, what, v);
  return out;
}

std::uint64_t get_uint(const json& v, const std::string& path, const option& o) {
  const auto lo = static_cast<std::uint64_t>(o.lo);
  const auto hi = static_cast<std::uint64_t>(o.hi);
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n >= lo && n <= hi) return n;
  } else if (v.is_number_integer()) {
    const auto n = v.get<std::int64_t>();
    if (n >= 0 && static_cast<std::uint64_t>(n) >= lo && static_cast<std::uint64_t>(n) <= hi) {
      return static_cast<std::uint64_t>(n);
    }
  }
  fail(path, range_text(o), v);
}

double get_rate(const json& v, const std::string& path, const option& o) {
  if (v.is_number()) {
    const auto d = v.get<double>();
    if (std::isfinite(d) && d >= o.lo && d <= o.hi) return d;
  }
  fail(path, range_text(o), v);
}

// A list replaces the configured one; element i is checked at path/i.
template <class T, class Parse>
std::vector<T> get_list(const json& v, const std::string& path, Parse parse) {
  if (!v.is_array()) fail(path, "array of strings", v);
  std::vector<T> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(parse(v[i], path + "/" + std::to_string(i)));
  return out;
}

listen_spec get_listen(const json& v, const std::string& path) {
  listen_spec s;
  if (!parse_listen(get_string(v, path), s)) fail(path, "IP:PORT (IPv6 as [addr]:port)", v);
  return s;
}

prefix_setting get_prefix(const json& v, const std::string& path) {
  return get_parsed<prefix_setting>(v, path, "IP prefix like \"198.51.100.0/24\" with zero host bits", false);
}

// Reads `v` into the setting `o` of `cfg`, by the setting's type.
void apply_value(const option& o, const json& v, const std::string& path, config& cfg) {
  std::visit(
      [&](auto* field) {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, bool>) {
          if (!v.is_boolean()) fail(path, "true or false", v);
          *field = v.get<bool>();
        } else if constexpr (std::is_same_v<T, double>) {
          *field = get_rate(v, path, o);
        } else if constexpr (std::is_integral_v<T>) {
          *field = static_cast<T>(get_uint(v, path, o));
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!is_choice(o, get_string(v, path))) fail(path, choices_text(o), v);
          *field = get_string(v, path);
        } else if constexpr (std::is_same_v<T, log_level>) {
          if (!parse_log_level(get_string(v, path), *field)) {
            fail(path, "one of \"debug\", \"info\", \"warning\", \"error\"", v);
          }
        } else if constexpr (std::is_same_v<T, ip_setting>) {
          *field = get_parsed<ip_setting>(v, path, "IP address or \"\"", true);
        } else if constexpr (std::is_same_v<T, endpoint_setting>) {
          *field = get_parsed<endpoint_setting>(v, path, "IP:PORT or \"\"", true);
        } else if constexpr (std::is_same_v<T, std::vector<listen_spec>>) {
          *field = get_list<listen_spec>(v, path, get_listen);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          *field = get_list<std::string>(v, path, [](const json& e, const std::string& p) { return get_string(e, p); });
        } else {
          static_assert(std::is_same_v<T, std::vector<prefix_setting>>);
          *field = get_list<prefix_setting>(v, path, get_prefix);
        }
      },
      o.field(cfg));
}

bool is_section(std::string_view key) {
  for (const auto& o : options()) {
    if (!o.section.empty() && o.section == key) return true;
  }
  return false;
}

// The keys of one JSON object: `section` "" is the document itself.
void apply_object(const json& obj, std::string_view section, config& cfg) {
  std::string base;
  if (!section.empty()) base.append("/").append(section);
  expect_object(obj, base);
  for (const auto& [key, v] : obj.items()) {
    std::string path = base;
    path.append("/").append(key);
    if (const option* o = find_option(section, key)) {
      apply_value(*o, v, path, cfg);
    } else if (section.empty() && is_section(key)) {
      apply_object(v, key, cfg);
    } else {
      unknown_key(key, base);
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
    throw config_error{daemon_errc::invalid_json, "invalid JSON: nested deeper than " + std::to_string(k_max_depth) +
                                                      " levels (byte " + std::to_string(at + 1) + ")"};
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
      case json::parse_event_t::object_start: stack.push_back(frame{true, {}, {}, 0}); break;
      case json::parse_event_t::array_start: stack.push_back(frame{false, {}, {}, 0}); break;
      case json::parse_event_t::key: {
        if (stack.empty()) break;
        std::string k = parsed.get<std::string>();
        if (!stack.back().keys.insert(k).second) {
          throw config_error{daemon_errc::invalid_json, "duplicate key " + json_quote(k) + " at " + container_path()};
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

}  // namespace

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

std::string json_quote(std::string_view s) { return describe(json(std::string(s))); }

outcome apply_json(const std::string& json_text, config& cfg) {
  try {
    const json root = parse_strict(json_text);
    config next = cfg;
    apply_object(root, "", next);
    cfg = std::move(next);
    return {};
  } catch (const config_error& e) {
    return {e.code, "config: " + one_line(e.message)};
  } catch (const json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 2, column 7: syntax error ..."
    return {daemon_errc::invalid_json, "config: invalid JSON: " + one_line(strip_json_prefix(e.what())) + " (byte " +
                                           std::to_string(e.byte) + ")"};
  } catch (const json::out_of_range& e) {
    // 406: "number overflow parsing '1e400'" (a number no double can hold).
    const std::string what = e.what();
    const auto open = what.find('\'');
    const auto close = what.rfind('\'');
    if (e.id == 406 && open != std::string::npos && close > open) {
      std::string number = one_line(what.substr(open + 1, close - open - 1));
      if (number.size() > 40) number = number.substr(0, 37) + "...";
      return {daemon_errc::invalid_json, "config: invalid JSON: number " + number + " is out of range"};
    }
    return {daemon_errc::invalid_json, "config: invalid JSON: " + one_line(strip_json_prefix(what))};
  } catch (const std::exception& e) {
    return {daemon_errc::invalid_json, "config: " + one_line(strip_json_prefix(e.what()))};
  }
}

}  // namespace pinhole::daemon

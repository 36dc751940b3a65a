// logfmt logger to stderr; see log.hpp.
#include "log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace pinhole::daemon {

namespace {

std::atomic<log_level> g_min_level{log_level::info};
std::atomic<bool> g_journald{false};

constexpr std::size_t k_max_value = 1024;

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20U || u == 0x7FU || c == '=' || c == '"') return true;
  }
  return false;
}

void append_value(std::string& out, std::string_view v) {
  bool truncated = false;
  if (v.size() > k_max_value) {
    std::size_t cut = k_max_value;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0U) == 0x80U) --cut;  // keep UTF-8 whole
    v = v.substr(0, cut);
    truncated = true;
  }
  if (!needs_quotes(v) && !truncated) {
    out += v;
    return;
  }
  if (!needs_quotes(v)) {
    out += v;
    out += "...";
    return;
  }
  out += '"';
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20U || u == 0x7FU) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[u >> 4U];
          out += hex[u & 0x0FU];
        } else {
          out += c;
        }
    }
  }
  if (truncated) out += "...";
  out += '"';
}

void append_key(std::string& out, std::string_view k) {
  if (k.empty()) {
    out += '_';
    return;
  }
  for (const char c : k.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u <= 0x20U || u == 0x7FU || c == '=' || c == '"') ? '_' : c;
  }
}

char priority_digit(log_level level) {
  switch (level) {
    case log_level::debug: return '7';
    case log_level::info: return '6';
    case log_level::warning: return '4';
    case log_level::error: return '3';
  }
  return '6';
}

void append_timestamp(std::string& out) {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ts.tv_nsec / 1000000));
  if (n > 0) out.append(buf, static_cast<std::size_t>(n) < sizeof buf ? static_cast<std::size_t>(n) : sizeof buf - 1);
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing stderr
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

void log_init(log_level min, bool journald_prefix) {
  g_min_level.store(min, std::memory_order_relaxed);
  g_journald.store(journald_prefix, std::memory_order_relaxed);
}

void log_set_level(log_level min) { g_min_level.store(min, std::memory_order_relaxed); }

log_level log_get_level() { return g_min_level.load(std::memory_order_relaxed); }

bool log_enabled(log_level level) {
  return static_cast<int>(level) >= static_cast<int>(g_min_level.load(std::memory_order_relaxed));
}

std::string log_format(log_level level, std::string_view event, std::initializer_list<log_field> fields,
                       bool journald_prefix) {
  std::string line;
  line.reserve(128);
  if (journald_prefix) {
    line += '<';
    line += priority_digit(level);
    line += '>';
  } else {
    line += "ts=";
    append_timestamp(line);
    line += ' ';
  }
  line += "level=";
  line += to_string(level);
  line += " event=";
  append_value(line, event);
  for (const auto& [k, v] : fields) {
    line += ' ';
    append_key(line, k);
    line += '=';
    append_value(line, v);
  }
  return line;
}

void log(log_level level, std::string_view event, std::initializer_list<log_field> fields) {
  if (!log_enabled(level)) return;
  std::string line = log_format(level, event, fields, g_journald.load(std::memory_order_relaxed));
  line += '\n';
  write_all(STDERR_FILENO, line.data(), line.size());
}

bool stderr_is_journal() {
  // systemd sets JOURNAL_STREAM="<device>:<inode>" of the stream it connected; only trust it if
  // fd 2 is still that stream (a redirected stderr must get timestamps again).
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  const std::string_view s(env);
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  const char* const dev_end = s.data() + colon;
  const char* const ino_end = s.data() + s.size();
  const auto r1 = std::from_chars(s.data(), dev_end, dev);
  const auto r2 = std::from_chars(dev_end + 1, ino_end, ino);
  if (r1.ec != std::errc{} || r1.ptr != dev_end || r2.ec != std::errc{} || r2.ptr != ino_end) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

bool parse_log_level(std::string_view text, log_level& out) {
  if (text == "debug")
    out = log_level::debug;
  else if (text == "info")
    out = log_level::info;
  else if (text == "warning" || text == "warn")
    out = log_level::warning;
  else if (text == "error")
    out = log_level::error;
  else
    return false;
  return true;
}

std::string_view to_string(log_level level) {
  switch (level) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
  }
  return "info";
}

}  // namespace pinhole::daemon

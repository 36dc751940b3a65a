// A small structured (logfmt) logger writing one line per event to stderr.
//
//   ts=2024-05-01T12:00:00.123Z level=info event=listening addr=0.0.0.0:3478   (terminal/file)
//   <6>level=info event=listening addr=0.0.0.0:3478                            (journald)
//
// Thread-safe: each line is formatted privately and emitted with a single write(2) to fd 2.
// Values that are empty or contain spaces, '=', '"' or control characters are double-quoted
// with \" \\ \n \r \t \u00XX escapes, so a line never contains a raw newline. Each value is
// capped at 1024 bytes ("..." appended). Keys are sanitised the same way but never quoted.
#pragma once

#include "config.hpp"  // log_level

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace pinhole::daemon {

using log_field = std::pair<std::string_view, std::string_view>;

// Sets the minimum level and the output style. journald_prefix: "<7>".."<3>" sd-daemon
// priority prefixes and no timestamp; otherwise an RFC 3339 UTC timestamp (ts=...).
// Before log_init: level info, no journald prefix.
void log_init(log_level min, bool journald_prefix);

// Runtime level change (e.g. on reload). Atomic; safe from any thread.
void log_set_level(log_level min);
log_level log_get_level();
// True if an event at `level` would be written (to skip expensive field formatting).
bool log_enabled(log_level level);

// Writes `level=L event=E k=v ...` if level >= the minimum.
void log(log_level level, std::string_view event, std::initializer_list<log_field> fields = {});

// Formats the line `log` would write (without the trailing newline); exposed for tests.
std::string log_format(log_level level, std::string_view event, std::initializer_list<log_field> fields,
                       bool journald_prefix);

// True if stderr is connected to the systemd journal (JOURNAL_STREAM matches fd 2's dev:inode).
bool stderr_is_journal();

// "debug" / "info" / "warning" (also "warn") / "error", case-sensitive.
bool parse_log_level(std::string_view text, log_level& out);
std::string_view to_string(log_level level);

}  // namespace pinhole::daemon

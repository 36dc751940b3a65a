// Helpers for the one-line messages of the config loader and validate()
// (internal to the config files).
#pragma once

#include <string>
#include <string_view>

namespace pinhole::daemon {

// Makes any text safe for a one-line message (newlines and tabs become spaces).
std::string one_line(std::string s);

// `s` as a short JSON string: quoted, escaped, at most about 40 characters.
std::string json_quote(std::string_view s);

}  // namespace pinhole::daemon

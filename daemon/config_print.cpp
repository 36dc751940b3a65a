// to_json(): the effective config as the JSON document apply_json reads, in
// the order of option_table.hpp (--print-config; round-trips).
#include <nlohmann/json.hpp>
#include <type_traits>
#include <variant>

#include "config.hpp"
#include "log.hpp"
#include "option_table.hpp"

namespace pinhole::daemon {

namespace {

using ojson = nlohmann::ordered_json;

// The JSON value of one setting, by its type.
ojson value_of(const option_field& field) {
  return std::visit(
      [](const auto* f) -> ojson {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(f)>>;
        if constexpr (std::is_same_v<T, log_level>) {
          return std::string(to_string(*f));
        } else if constexpr (std::is_same_v<T, ip_setting> || std::is_same_v<T, endpoint_setting>) {
          return f->text();
        } else if constexpr (std::is_same_v<T, std::vector<listen_spec>>) {
          ojson list = ojson::array();
          for (const auto& s : *f) list.push_back(s.text);
          return list;
        } else if constexpr (std::is_same_v<T, std::vector<prefix_setting>>) {
          ojson list = ojson::array();
          for (const auto& p : *f) list.push_back(p.text());
          return list;
        } else {
          return *f;  // bool, numbers, strings
        }
      },
      field);
}

}  // namespace

std::string to_json(const config& cfg) {
  ojson j = ojson::object();
  for (const auto& o : options()) {
    ojson& parent = o.section.empty() ? j : j[std::string(o.section)];
    parent[std::string(o.key)] = value_of(read_field(o, cfg));
  }
  // Strings set from the command line may not be valid UTF-8; never throw here.
  return j.dump(2, ' ', false, ojson::error_handler_t::replace);
}

}  // namespace pinhole::daemon

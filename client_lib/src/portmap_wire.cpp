#include "portmap_wire.hpp"

#include <string>

namespace pinhole::client::portmap {

namespace {
class wire_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "pinhole.portmap"; }
  std::string message(int v) const override {
    switch (static_cast<wire_errc>(v)) {
      case wire_errc::ok: return "ok";
      case wire_errc::too_short: return "message too short";
      case wire_errc::too_long: return "message too long";
      case wire_errc::bad_length: return "length not a multiple of 4";
      case wire_errc::not_response: return "not a response";
      case wire_errc::bad_version: return "unexpected version";
      case wire_errc::bad_opcode: return "unexpected opcode";
      case wire_errc::bad_option: return "malformed option";
      case wire_errc::mismatch: return "answer to another request";
      case wire_errc::bad_address: return "implausible external address";
    }
    return "unknown port-mapping wire error";
  }
};
}  // namespace

const std::error_category& wire_category() noexcept {
  static const wire_category_impl c;
  return c;
}

}  // namespace pinhole::client::portmap

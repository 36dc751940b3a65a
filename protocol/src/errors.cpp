#include "stun/errors.hpp"

#include <string>

namespace pinhole::stun {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "stun"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok: return "success";
      case errc::truncated: return "message truncated";
      case errc::not_stun: return "not a STUN message";
      case errc::bad_length: return "message length invalid";
      case errc::attribute_overflow: return "attribute runs past end of message";
      case errc::attribute_after_fingerprint: return "attribute after FINGERPRINT";
      case errc::bad_fingerprint: return "FINGERPRINT mismatch";
      case errc::bad_attribute_length: return "attribute length invalid for its type";
      case errc::bad_address_family: return "unknown address family";
      case errc::bad_attribute_value: return "attribute value invalid";
      case errc::integrity_missing: return "MESSAGE-INTEGRITY missing";
      case errc::integrity_mismatch: return "MESSAGE-INTEGRITY mismatch";
      case errc::buffer_too_small: return "output buffer too small";
      case errc::message_too_large: return "message too large";
      case errc::not_found: return "attribute not found";
      case errc::value_too_long: return "attribute value longer than RFC 8489 allows";
    }
    return "unknown stun error";
  }
};

}  // namespace

const std::error_category& stun_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace pinhole::stun

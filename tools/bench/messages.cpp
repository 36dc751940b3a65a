#include "messages.hpp"

#include "stun/attributes.hpp"
#include "stun/constants.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"

namespace pinhole::bench {

std::size_t build_request(const txid_fields& id, bool fingerprint, std::span<std::byte> out) noexcept {
  std::array<std::byte, 12> tid{};
  encode_txid(id, tid);
  stun::message_writer w(out);
  w.begin(stun::binding_request, tid);
  if (fingerprint) w.add_fingerprint();
  return w.size();
}

const char* to_string(response_check c) noexcept {
  switch (c) {
    case response_check::ok: return "ok";
    case response_check::not_stun: return "not_stun";
    case response_check::not_binding_success: return "not_binding_success";
    case response_check::foreign: return "foreign";
    case response_check::wrong_socket: return "wrong_socket";
    case response_check::bad_mapped_address: return "bad_mapped_address";
  }
  return "?";
}

response_check check_response(std::span<const std::byte> response, std::uint32_t nonce, std::uint16_t socket,
                              const stun::transport_address& local, txid_fields& id) noexcept {
  stun::message_view m;
  if (stun::message_view::parse(response, m)) return response_check::not_stun;
  if (m.type() != stun::binding_success) return response_check::not_binding_success;
  if (m.classic()) return response_check::foreign;
  const txid_fields f = decode_txid(m.transaction_id());
  if (f.nonce != nonce) return response_check::foreign;
  if (f.socket != socket) return response_check::wrong_socket;
  const auto xma = m.find(stun::attr::xor_mapped_address);
  stun::transport_address mapped;
  if (!xma || stun::decode_xor_address(*xma, m.cookie_and_id(), mapped) || mapped != local) {
    return response_check::bad_mapped_address;
  }
  id = f;
  return response_check::ok;
}

}  // namespace pinhole::bench

// The TURN allocation state machine (turn_client.hpp).
#include "turn_client.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "pinhole/errors.hpp"
#include "random.hpp"
#include "stun/reader.hpp"
#include "stun/turn.hpp"

namespace pinhole::client {

namespace {
// RFC 8656 §9: "The Permission Lifetime MUST be 300 seconds (= 5 minutes)";
// §12: a channel binding lasts 10 minutes. Both are renewed well before.
constexpr auto permission_renewal = std::chrono::seconds(240);
constexpr auto channel_bind_budget = std::chrono::seconds(5);
}  // namespace

turn_allocation::turn_allocation(asio::io_context& io, std::shared_ptr<mapped_socket> sock, turn_config cfg,
                                 relay_directory& routes, const ip_endpoint& internal)
    : io_(io),
      sock_(std::move(sock)),
      cfg_(std::move(cfg)),
      routes_(routes),
      internal_(internal),
      refresh_timer_(io),
      permission_timer_(io) {}

turn_allocation::~turn_allocation() {
  try {
    refresh_timer_.cancel();
    permission_timer_.cancel();
  } catch (...) {
    // asio's cancel() and close() throw only if the reactor fails; a destructor must not throw.
  }
}

std::chrono::milliseconds turn_allocation::refresh_interval(std::uint32_t lifetime) noexcept {
  // RFC 8656 §8: the client refreshes the allocation before it expires; a
  // server granting days is refreshed as if it granted 600 s, one granting
  // a second is refreshed every second, not in a busy loop.
  const std::uint64_t capped = std::min<std::uint64_t>(lifetime, 600);
  return std::chrono::milliseconds(std::clamp<std::uint64_t>(capped * 500, 1000, 300000));
}

std::optional<long_term> turn_allocation::known_challenge() const {
  if (challenge_) return challenge_;
  if (cfg_.challenges) {
    if (const auto it = cfg_.challenges->find(cfg_.server); it != cfg_.challenges->end()) return it->second;
  }
  return std::nullopt;
}

void turn_allocation::request(turn_request r, clock::time_point deadline, reply_fn done) {
  auto p = std::make_shared<pending>(io_);
  p->req = r;
  p->give_up = deadline;
  p->done = std::move(done);
  p->rto = cfg_.tx.rto;
  const auto ch = known_challenge();
  if (ch) challenge_ = ch;
  pending_.push_back(p);
  transmit(p);
}

void turn_allocation::transmit(const std::shared_ptr<pending>& p) {
  if (p->sent == 0) {
    // A new transaction (first try, or the retry after a challenge).
    if (p->tracked) sock_->untrack(p->req.txid);
    p->req.txid = new_transaction_id();
    sock_->track(p->req.txid);
    p->tracked = true;
    p->req.auth = &cfg_.auth;
    p->req.challenge = challenge_ ? &*challenge_ : nullptr;
    p->req.fingerprint = cfg_.fingerprint;
    p->req.relay_family = cfg_.relay_family;
    if (build_turn_request(p->req, p->bytes)) return complete(p, make_error_code(errc::invalid_argument), {});
    p->expect = turn_expectation{p->req.method, p->req.txid, cfg_.server, cfg_.relay_family, cfg_.auth, challenge_};
  }
  const auto now = clock::now();
  if (now >= p->give_up || p->sent >= cfg_.tx.rc) return complete(p, make_error_code(errc::timeout), {});
  if (const auto ec = sock_->send(p->bytes, cfg_.server); ec) {
    return complete(p, make_error_code(errc::socket_error), {});
  }
  ++p->sent;
  // RFC 8489 §6.2.1: the RTO doubles after each retransmission.
  const auto wait = p->rto;
  p->rto = std::min<clock::duration>(p->rto * 2, std::chrono::seconds(30));
  p->timer.expires_at(std::min(p->give_up, now + wait));
  p->timer.async_wait([self = shared_from_this(), p](const boost::system::error_code& ec) {
    if (ec || !p->done) return;
    self->transmit(p);
  });
}

void turn_allocation::complete(const std::shared_ptr<pending>& p, std::error_code ec, const turn_reply& r) {
  const auto it = std::find(pending_.begin(), pending_.end(), p);
  if (it != pending_.end()) pending_.erase(it);
  p->timer.cancel();
  if (p->tracked) sock_->untrack(p->req.txid);  // a late answer is still ours
  p->tracked = false;
  if (!p->done) return;
  asio::post(io_, [done = std::move(p->done), ec, r] { done(ec, r); });
  p->done = nullptr;
}

bool turn_allocation::answer(const ip_endpoint& from, std::span<const std::byte> datagram) {
  const auto copy = pending_;
  for (const auto& p : copy) {
    turn_reply r;
    const auto v = validate_turn_response(datagram, from, p->expect, r);
    if (v == verdict::not_ours) continue;
    if (v == verdict::rejected) return true;  // ours but forged or corrupt: never used
    // RFC 8489 §9.2.5: a 401 with a new REALM/NONCE, or a 438 Stale Nonce,
    // is answered once more with the challenge; the same 401 again means
    // the credentials are wrong.
    const bool stale = r.error_code == 438 && r.challenge;
    const bool challenged = r.error_code == 401 && r.challenge && !(p->expect.challenge == r.challenge);
    if ((stale || challenged) && p->challenges_left > 0) {
      --p->challenges_left;
      challenge_ = r.challenge;
      if (cfg_.challenges) cfg_.challenges->insert_or_assign(cfg_.server, *r.challenge);
      p->timer.cancel();
      p->sent = 0;
      p->rto = cfg_.tx.rto;
      transmit(p);
      return true;
    }
    complete(p, {}, r);
    return true;
  }
  return false;
}

void turn_allocation::allocate(clock::time_point deadline, done_fn done) {
  turn_request r;
  r.method = stun::method::allocate;
  r.lifetime = cfg_.lifetime;
  request(r, deadline, [self = shared_from_this(), done = std::move(done)](std::error_code ec, const turn_reply& rep) {
    if (self->stopped_) return done(make_error_code(errc::shutting_down));
    if (ec) return done(ec);
    if (!rep.success) return done(turn_error(rep.error_code));
    self->relayed_ = rep.relayed;
    self->allocated_ = true;
    self->routes_.add(self->internal_, self->sock_->native_handle(), self->cfg_.server);
    self->schedule_refresh(rep.lifetime);
    self->schedule_permissions();
    done({});
  });
}

void turn_allocation::schedule_refresh(std::uint32_t lifetime) {
  // The shorter of what was granted and what we asked for: a server that
  // grants more than asked (coturn 4.6 answers every Refresh with 600 s,
  // whatever its --max-allocate-lifetime) is refreshed as the application
  // wanted; refreshing early is harmless.
  refresh_timer_.expires_after(refresh_interval(std::min(lifetime, cfg_.lifetime)));
  refresh_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    self->refresh();
  });
}

void turn_allocation::refresh() {
  turn_request r;
  r.method = stun::method::refresh;
  r.lifetime = cfg_.lifetime;
  const auto deadline = clock::now() + std::chrono::seconds(10);
  request(r, deadline, [self = shared_from_this()](std::error_code ec, const turn_reply& rep) {
    if (self->stopped_) return;
    if (!ec && rep.success) {
      ++self->refreshes_;
      // §18.2: LIFETIME is "the number of seconds remaining until expiration".
      self->schedule_refresh(rep.lifetime != 0 ? rep.lifetime : self->cfg_.lifetime);
      return;
    }
    const auto why = ec ? ec : turn_error(rep.error_code);
    if (self->lost_) self->lost_(why);
    // 437: the server has no allocation any more; nothing to refresh.
    if (why == errc::allocation_mismatch) {
      self->allocated_ = false;
      return;
    }
    self->refresh_timer_.expires_after(std::chrono::seconds(5));
    self->refresh_timer_.async_wait([self](const boost::system::error_code& e) {
      if (!e && !self->stopped_) self->refresh();
    });
  });
}

void turn_allocation::permit(const ip_endpoint& peer, clock::time_point deadline, done_fn done) {
  if (!allocated_ || stopped_) return done(make_error_code(errc::unknown_mapping));
  if (peer.family != relayed_.family) return done(make_error_code(errc::family_not_supported));
  const bool known = std::any_of(peers_.begin(), peers_.end(), [&](const peer_state& s) { return s.peer == peer; });
  if (!known) peers_.push_back(peer_state{peer, 0});
  routes_.permit(internal_, peer);
  turn_request r;
  r.method = stun::method::create_permission;
  r.peer = peer;
  request(r, deadline,
          [self = shared_from_this(), peer, done = std::move(done)](std::error_code ec, const turn_reply& rep) {
            if (self->stopped_) return done(make_error_code(errc::shutting_down));
            if (ec) return done(ec);
            if (!rep.success) return done(turn_error(rep.error_code));
            // A channel needs the peer's port; the permission alone covers its IP.
            if (peer.port != 0) self->bind_channel(peer, clock::now() + channel_bind_budget);
            done({});
          });
}

void turn_allocation::bind_channel(const ip_endpoint& peer, clock::time_point deadline) {
  const auto it = std::find_if(peers_.begin(), peers_.end(), [&](const peer_state& s) { return s.peer == peer; });
  if (it == peers_.end()) return;
  std::uint16_t ch = it->channel;
  if (ch == 0) {
    const auto bound = static_cast<std::size_t>(
        std::count_if(peers_.begin(), peers_.end(), [](const peer_state& s) { return s.channel != 0; }));
    if (bound >= relay_directory::max_channels || next_channel_ > stun::channel_max) return;  // Send indications
    ch = it->requested != 0 ? it->requested : next_channel_++;
    it->requested = ch;
    routes_.expect_channel(internal_, peer, ch);
  }
  turn_request r;
  r.method = stun::method::channel_bind;
  r.peer = peer;
  r.channel = ch;
  request(r, deadline, [self = shared_from_this(), peer, ch](std::error_code ec, const turn_reply& rep) {
    if (self->stopped_ || ec || !rep.success) return;  // data keeps flowing in Send/Data indications
    for (auto& s : self->peers_) {
      if (s.peer == peer) s.channel = ch;
    }
    // RFC 8656 §12.1: ChannelData only once the ChannelBind succeeded.
    self->routes_.set_channel(self->internal_, peer, ch);
  });
}

void turn_allocation::schedule_permissions() {
  permission_timer_.expires_after(permission_renewal);
  permission_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_ || !self->allocated_) return;
    const auto deadline = clock::now() + std::chrono::seconds(10);
    for (const auto& s : self->peers_) {
      // A ChannelBind refresh also refreshes the permission of its peer.
      if (s.channel != 0) {
        self->bind_channel(s.peer, deadline);
        continue;
      }
      turn_request r;
      r.method = stun::method::create_permission;
      r.peer = s.peer;
      self->request(r, deadline, [](std::error_code, const turn_reply&) {});
    }
    self->schedule_permissions();
  });
}

turn_allocation::rx turn_allocation::on_datagram(const ip_endpoint& from, std::span<const std::byte> datagram,
                                                 ip_endpoint& peer, std::span<const std::byte>& payload) noexcept {
  if (from != cfg_.server) return rx::not_turn;
  // ChannelData and Data indications: the same unwrapping as the hand-in
  // call of application-owned sockets (relay_directory::unwrap).
  switch (routes_.unwrap(internal_, from, datagram, peer, payload)) {
    case relay_directory::unwrapped::data: return rx::data;
    case relay_directory::unwrapped::dropped: return rx::consumed;
    case relay_directory::unwrapped::not_turn:
    case relay_directory::unwrapped::not_relayed:  // allocating or deallocated: no route (yet)
    case relay_directory::unwrapped::control: break;
  }
  if (!stun::looks_like_stun(datagram)) return rx::consumed;
  try {
    answer(from, datagram);
  } catch (...) {
    // Out of memory while retrying a challenge: the transaction times out.
  }
  return rx::consumed;
}

void turn_allocation::deallocate() {
  if (stopped_) return;
  stopped_ = true;
  refresh_timer_.cancel();
  permission_timer_.cancel();
  routes_.remove(internal_);
  const auto copy = pending_;
  for (const auto& p : copy) complete(p, make_error_code(errc::shutting_down), {});
  if (!allocated_) return;
  allocated_ = false;
  // RFC 8656 §8: "a client MAY delete the allocation ... by sending a
  // Refresh request with a requested lifetime of zero". One try: nobody
  // waits for the answer.
  turn_request r;
  r.method = stun::method::refresh;
  r.lifetime = 0;
  r.txid = new_transaction_id();
  r.auth = &cfg_.auth;
  r.challenge = challenge_ ? &*challenge_ : nullptr;
  r.fingerprint = cfg_.fingerprint;
  std::vector<std::byte> bytes;
  // Its answer, read by the application after we are gone, is still ours.
  sock_->track(r.txid);
  sock_->untrack(r.txid);
  if (!build_turn_request(r, bytes)) (void)sock_->send(bytes, cfg_.server);
}

}  // namespace pinhole::client

// An operation racing its deadline: whichever finishes first answers the
// caller, the other finds the race decided and stays silent. The one place
// for what was a timer plus a shared "finished" flag at every call site.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace pinhole::client {

class first_answer : public std::enable_shared_from_this<first_answer> {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  // Arms `timer` for `deadline`; `on_timeout` runs if the deadline comes
  // first. The timer must outlive the race (a slot's budget timer):
  // cancelling it elsewhere abandons the timeout, and nobody answers.
  static std::shared_ptr<first_answer> race(boost::asio::steady_timer& timer, time_point deadline,
                                            std::function<void()> on_timeout);
  // The same with a timer of its own. The race lives as long as the
  // operation's completion handler holds it: dropping that handler unanswered
  // drops the timeout too.
  static std::shared_ptr<first_answer> race(boost::asio::io_context& io, time_point deadline,
                                            std::function<void()> on_timeout);

  // For the operation's completion: true the first time, if the deadline has
  // not answered already; cancels the timer.
  bool claim();
  bool decided() const noexcept { return decided_; }

  explicit first_answer(std::function<void()> on_timeout) : on_timeout_(std::move(on_timeout)) {}

 private:
  void arm(boost::asio::steady_timer& timer, time_point deadline);
  void expired(const boost::system::error_code& ec);

  std::function<void()> on_timeout_;
  std::optional<boost::asio::steady_timer> own_;
  boost::asio::steady_timer* timer_ = nullptr;
  bool decided_ = false;
};

inline void first_answer::arm(boost::asio::steady_timer& timer, time_point deadline) {
  timer_ = &timer;
  timer.expires_at(deadline);
  if (own_) {
    // A weak reference: the timer belongs to the race, a strong one would
    // keep both alive until the deadline.
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (const auto self = weak.lock()) self->expired(ec);
    });
  } else {
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) { self->expired(ec); });
  }
}

inline void first_answer::expired(const boost::system::error_code& ec) {
  if (ec || decided_) return;
  decided_ = true;
  if (on_timeout_) on_timeout_();
}

inline std::shared_ptr<first_answer> first_answer::race(boost::asio::steady_timer& timer, time_point deadline,
                                                        std::function<void()> on_timeout) {
  auto r = std::make_shared<first_answer>(std::move(on_timeout));
  r->arm(timer, deadline);
  return r;
}

inline std::shared_ptr<first_answer> first_answer::race(boost::asio::io_context& io, time_point deadline,
                                                        std::function<void()> on_timeout) {
  auto r = std::make_shared<first_answer>(std::move(on_timeout));
  r->own_.emplace(io);
  r->arm(*r->own_, deadline);
  return r;
}

inline bool first_answer::claim() {
  if (decided_) return false;
  decided_ = true;
  if (timer_) timer_->cancel();
  return true;
}

}  // namespace pinhole::client

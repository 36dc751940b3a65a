// first_answer: an operation racing its deadline on a real io_context.
#include "first_answer.hpp"

#include <gtest/gtest.h>

using namespace pinhole::client;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

TEST(FirstAnswer, CompletionBeforeTheDeadlineWinsAndSilencesTheTimeout) {
  boost::asio::io_context io;
  boost::asio::steady_timer timer(io);
  int timeouts = 0;
  const auto r = first_answer::race(timer, clock_type::now() + 50ms, [&] { ++timeouts; });
  EXPECT_FALSE(r->decided());
  EXPECT_TRUE(r->claim());
  EXPECT_TRUE(r->decided());
  EXPECT_FALSE(r->claim());  // exactly once
  io.run();                  // the cancelled timer completes at once
  EXPECT_EQ(timeouts, 0);
}

TEST(FirstAnswer, TheDeadlineWinsWhenTheOperationIsLate) {
  boost::asio::io_context io;
  boost::asio::steady_timer timer(io);
  int timeouts = 0;
  const auto r = first_answer::race(timer, clock_type::now() + 10ms, [&] { ++timeouts; });
  io.run();
  EXPECT_EQ(timeouts, 1);
  EXPECT_TRUE(r->decided());
  EXPECT_FALSE(r->claim());  // the late completion stays silent
}

TEST(FirstAnswer, CancellingTheBorrowedTimerAbandonsTheTimeout) {
  boost::asio::io_context io;
  boost::asio::steady_timer timer(io);
  int timeouts = 0;
  const auto r = first_answer::race(timer, clock_type::now() + 10ms, [&] { ++timeouts; });
  timer.cancel();  // a slot destroyed mid-operation
  io.run();
  EXPECT_EQ(timeouts, 0);
  EXPECT_FALSE(r->decided());
}

TEST(FirstAnswer, AnOwnTimerAnswersWhileTheRaceIsHeld) {
  boost::asio::io_context io;
  int timeouts = 0;
  auto r = first_answer::race(io, clock_type::now() + 10ms, [&] { ++timeouts; });
  io.run();
  EXPECT_EQ(timeouts, 1);
  EXPECT_FALSE(r->claim());
}

TEST(FirstAnswer, DroppingAnOwnTimerRaceDropsItsTimeout) {
  boost::asio::io_context io;
  int timeouts = 0;
  auto r = first_answer::race(io, clock_type::now() + 10ms, [&] { ++timeouts; });
  r.reset();  // the operation's handler was dropped unanswered
  io.run();
  EXPECT_EQ(timeouts, 0);
}

}  // namespace

#include <boost/asio/steady_timer.hpp>

#include "cwmpd/core/clock.hpp"

namespace cwmpd::core {

namespace {

namespace asio = boost::asio;
using std::chrono::duration_cast;
using std::chrono::nanoseconds;

// The asio timer can still deliver an expiry that was queued before cancel(): a
// generation number, shared with the queued handler, tells it that it is stale.
class LoopTimer : public Timer {
 public:
  LoopTimer(asio::io_context& io, double scale) : timer_(io), scale_(scale) {}
  ~LoopTimer() override {
    // asio reports a failed cancel by throwing; a destructor must not, and the generation
    // bump alone already keeps the work from running.
    try {
      cancel();
    } catch (...) {
    }
  }

  void start(nanoseconds delay, std::function<void()> work) override {
    cancel();
    const auto real = scale_ == 1.0 ? delay
                                    : nanoseconds(static_cast<nanoseconds::rep>(
                                          static_cast<double>(delay.count()) * scale_));
    timer_.expires_after(std::max(real, nanoseconds(0)));
    timer_.async_wait([gen = generation_, want = *generation_,
                       work = std::move(work)](const boost::system::error_code& ec) {
      if (!ec && *gen == want) work();
    });
  }

  void cancel() override {
    ++*generation_;  // first: whatever happens next, queued work is stale
    timer_.cancel();
  }

 private:
  asio::steady_timer timer_;
  double scale_;
  std::shared_ptr<std::uint64_t> generation_ = std::make_shared<std::uint64_t>(0);
};

class LoopClock : public Clock {
 public:
  LoopClock(asio::io_context& io, double scale, std::chrono::system_clock::time_point origin)
      : io_(io),
        scale_(scale),
        wallOrigin_(origin),
        steadyOrigin_(std::chrono::steady_clock::now()) {}

  std::chrono::system_clock::time_point now() const override {
    const auto real = std::chrono::system_clock::now();
    if (scale_ == 1.0) return real;
    return wallOrigin_ +
           duration_cast<std::chrono::system_clock::duration>((real - wallOrigin_) / scale_);
  }

  std::chrono::steady_clock::time_point steadyNow() const override {
    const auto real = std::chrono::steady_clock::now();
    if (scale_ == 1.0) return real;
    return steadyOrigin_ +
           duration_cast<std::chrono::steady_clock::duration>((real - steadyOrigin_) / scale_);
  }

  std::unique_ptr<Timer> timer() override { return std::make_unique<LoopTimer>(io_, scale_); }

 private:
  asio::io_context& io_;
  double scale_;
  std::chrono::system_clock::time_point wallOrigin_;
  std::chrono::steady_clock::time_point steadyOrigin_;
};

}  // namespace

std::shared_ptr<Clock> makeLoopClock(asio::io_context& io, double scale,
                                     std::optional<std::chrono::system_clock::time_point> origin) {
  if (!(scale > 0 && scale <= 1)) scale = 1.0;
  return std::make_shared<LoopClock>(io, scale, origin.value_or(std::chrono::system_clock::now()));
}

}  // namespace cwmpd::core

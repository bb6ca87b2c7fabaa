#include "cwmpd/core/net/growing_body.hpp"

#include <algorithm>
#include <cstring>

namespace cwmpd::core::net {

void GrowingBody::prepare(std::string buffer, std::size_t expected) {
  text_ = std::move(buffer);
  text_.clear();
  text_.reserve(expected + kRoom);
}

// The sender copies under the lock from data_, never through text_: the writer appends
// to text_ meanwhile, past published_, and moves it (reserve) only here, under the lock.
void GrowingBody::publish() {
  {
    const std::lock_guard lock(mutex_);
    if (text_.capacity() - text_.size() < kRoom)
      text_.reserve(std::max(2 * text_.capacity(), text_.size() + kRoom));
    data_ = text_.data();
    published_ = text_.size();
  }
  more_.notify_one();
}

void GrowingBody::finish() {
  {
    const std::lock_guard lock(mutex_);
    data_ = text_.data();
    published_ = text_.size();
    finished_ = true;
  }
  more_.notify_one();
}

void GrowingBody::fail() {
  {
    const std::lock_guard lock(mutex_);
    failed_ = true;
  }
  more_.notify_one();
}

std::size_t GrowingBody::read(std::size_t offset, char* out, std::size_t max) {
  std::unique_lock lock(mutex_);
  more_.wait(lock, [&] { return failed_ || finished_ || published_ > offset; });
  if (failed_) return kFailed;
  const std::size_t n = offset < published_ ? std::min(max, published_ - offset) : 0;
  if (n != 0) std::memcpy(out, data_ + offset, n);
  taken_ = std::max(taken_, offset + n);
  return n;
}

std::size_t GrowingBody::taken() {
  const std::lock_guard lock(mutex_);
  return taken_;
}

}  // namespace cwmpd::core::net

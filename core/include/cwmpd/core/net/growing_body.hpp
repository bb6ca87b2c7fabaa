// A POST body that is sent while it is written (issue 15): a GetParameterNames answer of
// 20,000 names is ~3 MB, and its transfer took a third of the request's time after the
// whole was written. One thread writes (the session's, with the model), another sends.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

namespace cwmpd::core::net {

class GrowingBody {
 public:
  // ---- the writer
  // Before the first byte: `buffer`'s capacity is reused (its text is dropped) and the
  // body's `expected` size reserved at once.
  void prepare(std::string buffer, std::size_t expected);
  // The text so far. Append only, between the calls below; each call may move it.
  std::string& text() { return text_; }
  // What was appended since the last call may now be sent, when it is kChunk or more.
  void publishSome() {
    if (text_.size() - published_ >= kChunk) publish();
  }
  // Everything appended is the body.
  void finish();
  // The writer failed: the transfer is to be given up.
  void fail();

  // ---- the sender
  // Copies up to `max` bytes of the body from `offset` into `out`, waiting until there are
  // some: the number copied, 0 at the end of the body, kFailed when the writer failed.
  static constexpr std::size_t kFailed = static_cast<std::size_t>(-1);
  std::size_t read(std::size_t offset, char* out, std::size_t max);
  // How far a sender has read (for tests and the log).
  [[nodiscard]] std::size_t taken();

  // The writer's appends between two publishes stay under kRoom - kChunk bytes (one
  // ParameterInfoStruct is at most a few KB), so the text is never moved outside a publish
  // while the sender copies from it.
  static constexpr std::size_t kChunk = std::size_t{64} * 1024;
  static constexpr std::size_t kRoom = std::size_t{256} * 1024;

 private:
  void publish();

  std::string text_;
  std::mutex mutex_;
  std::condition_variable more_;
  // Under mutex_: where the sender may copy from, how much, and how it ended.
  const char* data_ = nullptr;
  std::size_t published_ = 0;
  std::size_t taken_ = 0;
  bool finished_ = false;
  bool failed_ = false;
};

}  // namespace cwmpd::core::net

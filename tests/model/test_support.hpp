// Shared helpers for the model tests: a temp dir, a fake plugin host, the test model.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::testing {

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string testModel() { return readFile(CWMPD_TEST_MODEL); }

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cwmpd-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A Host that records what plugins do with it.
class FakeHost : public sdk::Host {
 public:
  std::string root_ = "Device";
  std::vector<std::string> events;
  std::string_view root() const override { return root_; }
  std::string config(std::string_view, std::string_view, std::string_view fallback) const override {
    return std::string(fallback);
  }
  hal::Hal& hal() override { throw std::logic_error("no HAL in this test"); }
  std::uint32_t ensureInstance(std::string_view, std::string_view) override { return 0; }
  void removeInstance(std::string_view) override {}
  void valueChanged(std::string_view) override {}
  void setInitial(std::string_view, std::string_view) override {}
  void update(std::string_view, std::string_view) override {}
  void raiseEvent(std::string_view code, std::string_view) override { events.emplace_back(code); }
  std::string value(std::string_view) override { return {}; }
  void post(std::function<void()> work) override { work(); }
  // Timers never fire here; the engine tests do not run plugin timers.
  sdk::TimerId startTimer(std::chrono::milliseconds, std::function<void()>) override {
    return ++timers;
  }
  sdk::TimerId startPeriodicTimer(std::chrono::milliseconds, std::function<void()>) override {
    return ++timers;
  }
  void cancelTimer(sdk::TimerId) override {}
  void log(sdk::LogLevel, std::string_view) override {}
  sdk::TimerId timers = 0;
};

}  // namespace cwmpd::testing

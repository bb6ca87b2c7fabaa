// A small persistent key-value file. Every commit() writes the whole file to a temp
// file, fsyncs it, renames it over the old one and fsyncs the directory, so that a kill
// or power cut at any moment leaves either the old or the new file, both loadable.
//
// Threading: not thread-safe; main loop only.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cwmpd::core {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Store {
 public:
  // `path` is the file; its directory must exist (created by the daemon from [store] dir).
  explicit Store(std::string path);

  // Reads the file. A missing file is an empty store. A damaged file (not written by
  // commit(), e.g. edited by hand) throws StoreError naming the file and line.
  void load();

  [[nodiscard]] const std::string* get(std::string_view key) const;
  void set(std::string_view key, std::string_view value);
  void erase(std::string_view key);
  // Erases every key starting with `prefix`; returns how many.
  std::size_t erasePrefix(std::string_view prefix);
  // Calls fn(key, value) for every key starting with `prefix`, in key order.
  void forEach(std::string_view prefix,
               const std::function<void(const std::string&, const std::string&)>& fn) const;

  // Writes the file atomically when something changed. Throws StoreError on I/O failure
  // (the in-memory content is kept; a later commit retries).
  void commit();
  [[nodiscard]] bool dirty() const { return dirty_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  std::string path_;
  std::map<std::string, std::string, std::less<>> entries_;
  bool dirty_ = false;
};

}  // namespace cwmpd::core

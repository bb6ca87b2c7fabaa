#include "model/persistence.hpp"

#include <cstdlib>

namespace cwmpd::core::model {

namespace {

constexpr std::string_view kValue = "v:";
constexpr std::string_view kAttr = "a:";
constexpr std::string_view kNext = "i:";
constexpr std::string_view kObject = "o:";
constexpr std::string_view kKeyed = "k:";

std::string key(std::string_view prefix, std::string_view path) {
  std::string k;
  k.reserve(prefix.size() + path.size());
  k += prefix;
  k += path;
  return k;
}

std::string keyedKey(const std::string& table, std::string_view pluginKey) {
  std::string k = key(kKeyed, table);
  k += '\x1f';
  k += pluginKey;
  return k;
}

}  // namespace

std::string encodeAttr(const Attr& a) {
  std::string s = std::to_string(a.notification) + "|";
  for (std::size_t i = 0; i < a.accessList.size(); ++i) s += (i ? "," : "") + a.accessList[i];
  return s;
}

Attr decodeAttr(const std::string& s) {
  Attr a;
  auto bar = s.find('|');
  a.notification = std::atoi(s.substr(0, bar).c_str());
  if (bar != std::string::npos) {
    std::string rest = s.substr(bar + 1), cur;
    for (char c : rest + ",") {
      if (c == ',') {
        if (!cur.empty()) a.accessList.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
  }
  return a;
}

const std::string* Persistence::value(std::string_view path) const {
  return store_.get(key(kValue, path));
}

void Persistence::setValue(std::string_view path, std::string_view value) {
  store_.set(key(kValue, path), value);
}

void Persistence::setValue(std::string_view object, std::string_view name, std::string_view value) {
  key_.assign(kValue);
  key_ += object;
  key_ += name;
  store_.set(key_, value);
}

void Persistence::eraseValue(std::string_view path) { store_.erase(key(kValue, path)); }

void Persistence::forEachValue(
    const std::function<void(const std::string&, const std::string&)>& fn) const {
  store_.forEach(
      kValue, [&](const std::string& k, const std::string& v) { fn(k.substr(kValue.size()), v); });
}

void Persistence::setAttribute(std::string_view path, const Attr& a) {
  store_.set(key(kAttr, path), encodeAttr(a));
}

void Persistence::forEachAttribute(
    const std::function<void(const std::string&, const std::string&)>& fn) const {
  store_.forEach(
      kAttr, [&](const std::string& k, const std::string& v) { fn(k.substr(kAttr.size()), v); });
}

void Persistence::markCreated(std::string_view instancePath) {
  store_.set(key(kObject, instancePath), "");
}

void Persistence::unmarkCreated(std::string_view instancePath) {
  store_.erase(key(kObject, instancePath));
}

void Persistence::forEachCreated(const std::function<void(const std::string&)>& fn) const {
  store_.forEach(kObject,
                 [&](const std::string& k, const std::string&) { fn(k.substr(kObject.size())); });
}

Persistence::Records Persistence::subtreeRecords(std::string_view path) const {
  Records saved;
  for (std::string_view prefix : {kValue, kAttr, kObject})
    store_.forEach(key(prefix, path),
                   [&](const std::string& k, const std::string& v) { saved.emplace_back(k, v); });
  return saved;
}

void Persistence::eraseSubtree(std::string_view path) {
  for (std::string_view prefix : {kValue, kAttr, kObject}) store_.erasePrefix(key(prefix, path));
}

void Persistence::restore(const Records& records) {
  for (const auto& [k, v] : records) store_.set(k, v);
}

void Persistence::eraseConfiguration() {
  store_.erasePrefix(kValue);
  store_.erasePrefix(kAttr);
  store_.erasePrefix(kObject);
}

std::uint32_t Persistence::peekNextNumber(const std::string& table) const {
  const std::string* s = store_.get(key(kNext, table));
  std::uint32_t n = s ? static_cast<std::uint32_t>(std::strtoul(s->c_str(), nullptr, 10)) : 1;
  return n == 0 ? 1 : n;
}

std::uint32_t Persistence::nextNumber(const std::string& table) {
  const std::uint32_t n = peekNextNumber(table);
  store_.set(key(kNext, table), std::to_string(n + 1));
  return n;
}

void Persistence::keepAbove(const std::string& table, std::uint32_t used) {
  const std::string k = key(kNext, table);
  const std::string* s = store_.get(k);
  std::uint32_t n = s ? static_cast<std::uint32_t>(std::strtoul(s->c_str(), nullptr, 10)) : 1;
  if (n <= used) store_.set(k, std::to_string(used + 1));
}

std::uint32_t Persistence::keyedNumber(const std::string& table, std::string_view pluginKey) const {
  const std::string* s = store_.get(keyedKey(table, pluginKey));
  return s ? static_cast<std::uint32_t>(std::strtoul(s->c_str(), nullptr, 10)) : 0;
}

void Persistence::setKeyedNumber(const std::string& table, std::string_view pluginKey,
                                 std::uint32_t number) {
  store_.set(keyedKey(table, pluginKey), std::to_string(number));
}

}  // namespace cwmpd::core::model

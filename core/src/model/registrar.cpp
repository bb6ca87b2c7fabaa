#include "model/registrar.hpp"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

namespace cwmpd::core::model {

namespace {

// A plugin's document as the small build embeds it (cmake/CwmpdEmbed.cmake, COMPRESS): its
// gzip form (RFC 1952), told by the magic bytes no XML document starts with. Inflated
// whole; the bound only stops a broken plugin from exhausting memory.
std::string inflated(std::string_view gzip) {
  constexpr std::size_t kLimit = std::size_t{64} * 1024 * 1024;
  constexpr int kGzipWindow = 15 + 16;  // zlib's maximum window, gzip wrapper only
  z_stream z{};
  if (inflateInit2(&z, kGzipWindow) != Z_OK) throw std::bad_alloc();
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzip.data()));
  z.avail_in = static_cast<uInt>(gzip.size());
  int rc = Z_OK;
  while (rc == Z_OK && out.size() < kLimit) {
    const std::size_t done = out.size();
    out.resize(std::max(done * 2, gzip.size() * 8));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + done);
    z.avail_out = static_cast<uInt>(out.size() - done);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("the embedded data model is not valid gzip");
  return out;
}

bool isGzip(std::string_view data) {
  return data.size() > 2 && data[0] == '\x1f' && data[1] == '\x8b';
}

class BindingImpl : public sdk::ObjectBinding {
 public:
  BindingImpl(ObjectDef* d, int plugin) : d_(d), plugin_(plugin) {}
  ObjectBinding& get(std::string_view parameter, sdk::Getter getter) override {
    ParamDef* p = d_->findParam(std::string(parameter));
    if (!p) throw std::invalid_argument("no parameter " + d_->pattern + std::string(parameter));
    if (p->plugin != plugin_ && p->plugin >= 0)
      throw std::invalid_argument("parameter " + d_->pattern + std::string(parameter) +
                                  " belongs to another plugin");
    p->getter = std::move(getter);
    return *this;
  }
  ObjectBinding& validate(sdk::ChangeHandler h) override {
    return set(&Binding::validate, std::move(h));
  }
  ObjectBinding& apply(sdk::ChangeHandler h) override {
    set(&Binding::apply, std::move(h));
    d_->binding.applyReporting = nullptr;
    return *this;
  }
  ObjectBinding& apply(sdk::ReportingChangeHandler h) override {
    claim();
    d_->binding.applyReporting = std::move(h);
    d_->binding.apply = [d = d_](const std::vector<sdk::Change>& changes) {
      sdk::ApplyReport ignored{std::vector<sdk::Effect>(changes.size(), sdk::Effect::Now)};
      d->binding.applyReporting(changes, ignored);
    };
    return *this;
  }
  ObjectBinding& rollback(sdk::ChangeHandler h) override {
    return set(&Binding::rollback, std::move(h));
  }
  ObjectBinding& onAdd(sdk::InstanceHandler h) override {
    claim();
    d_->binding.onAdd = std::move(h);
    return *this;
  }
  ObjectBinding& onDelete(sdk::InstanceHandler h) override {
    claim();
    d_->binding.onDelete = std::move(h);
    return *this;
  }

 private:
  ObjectDef* d_;
  int plugin_;
  void claim() {
    if (d_->bindingPlugin >= 0 && d_->bindingPlugin != plugin_)
      throw std::invalid_argument("object " + d_->pattern + " is already bound by another plugin");
    d_->bindingPlugin = plugin_;
  }
  ObjectBinding& set(sdk::ChangeHandler Binding::*field, sdk::ChangeHandler h) {
    claim();
    d_->binding.*field = std::move(h);
    return *this;
  }
};

class RegistrarImpl : public sdk::Registrar {
 public:
  RegistrarImpl(Tree& tree, PluginDeclarations& declarations, int id, sdk::Host& host)
      : tree_(tree), declarations_(declarations), id_(id), host_(host) {}
  sdk::Host& host() override { return host_; }
  void definitions(std::string_view xml) override {
    if (isGzip(xml)) {
      tree_.merge(parseDocument(inflated(xml), tree_.root()), id_);
      return;
    }
    tree_.merge(parseDocument(xml, tree_.root()), id_);
  }
  sdk::ObjectBinding& object(std::string_view pattern) override {
    ObjectDef* d = tree_.findDef(std::string(pattern));
    if (!d) throw std::invalid_argument("object " + std::string(pattern) + " is not defined");
    bindings_.push_back(std::make_unique<BindingImpl>(d, id_));
    return *bindings_.back();
  }
  void vendorEvent(std::string_view code) override {
    std::string c(code);
    if (c.size() < 3 || c.compare(0, 2, "X ") != 0 || c.size() > 64)
      throw std::invalid_argument("vendor event '" + c + "' must look like 'X <OUI> <NAME>'");
    if (declarations_.vendorEvents.count(c))
      throw std::invalid_argument("vendor event '" + c + "' already declared");
    declarations_.vendorEvents.insert(c);
    declarations_.vendorEventOwner[c] = id_;
  }
  void onFlush(std::function<void()> flush) override {
    declarations_.flushers.emplace_back(id_, std::move(flush));
  }

 private:
  Tree& tree_;
  PluginDeclarations& declarations_;
  int id_;
  sdk::Host& host_;
  std::vector<std::unique_ptr<BindingImpl>> bindings_;
};

}  // namespace

void PluginDeclarations::remove(int plugin) {
  for (auto it = vendorEventOwner.begin(); it != vendorEventOwner.end();) {
    if (it->second == plugin) {
      vendorEvents.erase(it->first);
      it = vendorEventOwner.erase(it);
    } else {
      ++it;
    }
  }
  flushers.erase(std::remove_if(flushers.begin(), flushers.end(),
                                [&](const auto& f) { return f.first == plugin; }),
                 flushers.end());
}

std::unique_ptr<sdk::Registrar> makeRegistrar(Tree& tree, PluginDeclarations& declarations,
                                              int plugin, sdk::Host& host) {
  return std::make_unique<RegistrarImpl>(tree, declarations, plugin, host);
}

}  // namespace cwmpd::core::model

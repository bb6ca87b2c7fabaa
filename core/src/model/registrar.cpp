#include "model/registrar.hpp"

#include <algorithm>
#include <stdexcept>

namespace cwmpd::core::model {

namespace {

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

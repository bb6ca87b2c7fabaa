// Registration of one plugin's model: its documents merged into the tree, its bindings
// (getters, validate/apply/rollback, add/delete handlers), its vendor events and flush.
// Used by the engine's beginRegistration()/endRegistration() (the plugin host drives them).
//
// Threading: main loop only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cwmpd/sdk/plugin.hpp"
#include "model/tree.hpp"

namespace cwmpd::core::model {

// What plugins declare besides definitions and bindings.
struct PluginDeclarations {
  std::set<std::string> vendorEvents;
  std::map<std::string, int> vendorEventOwner;
  std::vector<std::pair<int, std::function<void()>>> flushers;  // plugin id -> onFlush

  // Backs out what plugin `plugin` declared.
  void remove(int plugin);
};

std::unique_ptr<sdk::Registrar> makeRegistrar(Tree& tree, PluginDeclarations& declarations,
                                              int plugin, sdk::Host& host);

}  // namespace cwmpd::core::model

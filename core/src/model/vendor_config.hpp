// The vendor configuration file's implementation (cwmpd/core/vendor_config.hpp): reads
// the definitions (what may be exported and imported) and the store (through
// Persistence), never the running tree's values; an import is one transaction on the
// store. Owned by the engine, handed to the daemon's transfer hooks.
//
// Threading: main loop only.
#pragma once

#include <string>

#include "cwmpd/core/vendor_config.hpp"
#include "model/path_resolver.hpp"
#include "model/persistence.hpp"
#include "model/tree.hpp"
#include "txn/transaction.hpp"

namespace cwmpd::core::model {

class VendorConfigFile final : public VendorConfiguration {
 public:
  VendorConfigFile(const Tree& tree, const PathResolver& resolver, txn::Context& ctx)
      : tree_(tree), resolver_(resolver), ctx_(ctx) {}

  std::string exportConfiguration() override;
  void importConfiguration(const std::string& text) override;

 private:
  const Tree& tree_;
  const PathResolver& resolver_;
  txn::Context& ctx_;
};

}  // namespace cwmpd::core::model

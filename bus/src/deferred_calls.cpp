#include "deferred_calls.hpp"

#include "cwmpd/bus/fault_names.hpp"
#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::bus {

DeferredCalls::DeferredCalls(boost::asio::io_context& io, Logger log, std::function<void()> wake,
                             std::function<bool()> remote)
    : shared_(std::make_shared<Shared>(
          Shared{io, std::move(log), std::move(wake), std::move(remote), 0, {}})) {}

DeferredCalls::~DeferredCalls() {
  // The answers go with the connection they would have been sent on.
  auto owed = std::move(shared_->owed);
  for (auto& [id, drop] : owed) drop();
}

sdbus::Error DeferredCalls::internalError() {
  constexpr int kCode = static_cast<int>(sdk::FaultCode::InternalError);
  return {faultErrorName(kCode), faultErrorMessage(kCode, {})};
}

sdbus::Error DeferredCalls::queueFull() {
  constexpr int kCode = static_cast<int>(sdk::FaultCode::ResourcesExceeded);
  return {faultErrorName(kCode),
          faultErrorMessage(kCode, std::to_string(core::ModelLoan::kMaxQueuedChanges) +
                                       " changes already wait for an ACS session's provider "
                                       "call; try again")};
}

}  // namespace cwmpd::bus

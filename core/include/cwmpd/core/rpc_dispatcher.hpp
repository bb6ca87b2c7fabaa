// Maps decoded ACS requests onto the data model engine and the agent's actions, and
// their results (or faults) onto CWMP responses. No I/O here: the session engine owns
// the HTTP conversation.
//
// Threading: main loop only.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cwmpd/core/data_model.hpp"
#include "cwmpd/core/soap/messages.hpp"

namespace cwmpd::core {

// What an RPC may ask of the agent beyond the data model. An unset hook means the
// method is not supported: it answers 9000 and GetRPCMethods does not list it.
struct RpcActions {
  std::function<void(const std::string& commandKey)> reboot;
  std::function<void()> factoryReset;
  std::function<void(std::uint32_t delaySeconds, const std::string& commandKey)> scheduleInform;
  std::function<soap::DownloadResponse(const soap::Download&)> download;
  std::function<soap::UploadResponse(const soap::Upload&)> upload;
  std::function<void(const soap::ScheduleDownload&)> scheduleDownload;
  std::function<void(const std::string& commandKey)> cancelTransfer;
  std::function<std::vector<soap::QueuedTransferStruct>()> queuedTransfers;
  std::function<std::vector<soap::AllQueuedTransferStruct>()> allQueuedTransfers;
  // Vendor methods ("X_<OUI>_Name") a plugin or the daemon added.
  std::map<std::string, std::function<soap::VendorMethodResponse(const soap::VendorMethod&)>> vendor;
};

class RpcDispatcher {
 public:
  RpcDispatcher(DataModel& model, RpcActions actions);
  // Answers one ACS request: the response, or a soap::Fault. Never throws for anything
  // a request can contain.
  [[nodiscard]] soap::Body handle(const soap::Body& request);
  // The methods GetRPCMethods lists: only those really supported.
  [[nodiscard]] std::vector<std::string> supportedMethods() const;
  RpcActions& actions() { return actions_; }

 private:
  DataModel& model_;
  RpcActions actions_;
};

}  // namespace cwmpd::core

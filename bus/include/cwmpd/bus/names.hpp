// The D-Bus names of the contract (docs/ARCHITECTURE.md), shared by the service, cwmpctl
// and tests. The interface names themselves come from the generated code.
#pragma once

namespace cwmpd::bus {

inline constexpr const char* kServiceName = "org.cwmpd";
inline constexpr const char* kDataModelPath = "/org/cwmpd/DataModel";
inline constexpr const char* kAgentPath = "/org/cwmpd/Agent";
// Every CWMP fault is a D-Bus error named kFaultErrorPrefix + name ("...InvalidArguments").
inline constexpr const char* kFaultErrorPrefix = "org.cwmpd.Fault.";

}  // namespace cwmpd::bus

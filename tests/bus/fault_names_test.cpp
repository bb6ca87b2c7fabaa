#include "cwmpd/bus/fault_names.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "fault_translation.hpp"

namespace cwmpd::bus {
namespace {

TEST(FaultNames, EachCpeFaultCodeHasItsOwnErrorName) {
  EXPECT_EQ(faultErrorName(9000), "org.cwmpd.Fault.MethodNotSupported");
  EXPECT_EQ(faultErrorName(9001), "org.cwmpd.Fault.RequestDenied");
  EXPECT_EQ(faultErrorName(9002), "org.cwmpd.Fault.InternalError");
  EXPECT_EQ(faultErrorName(9003), "org.cwmpd.Fault.InvalidArguments");
  EXPECT_EQ(faultErrorName(9004), "org.cwmpd.Fault.ResourcesExceeded");
  EXPECT_EQ(faultErrorName(9005), "org.cwmpd.Fault.InvalidParameterName");
  EXPECT_EQ(faultErrorName(9006), "org.cwmpd.Fault.InvalidParameterType");
  EXPECT_EQ(faultErrorName(9007), "org.cwmpd.Fault.InvalidParameterValue");
  EXPECT_EQ(faultErrorName(9008), "org.cwmpd.Fault.NonWritableParameter");
  EXPECT_EQ(faultErrorName(9009), "org.cwmpd.Fault.NotificationRequestRejected");
  EXPECT_EQ(faultErrorName(9019), "org.cwmpd.Fault.DownloadFailureAuthentication");
}

TEST(FaultNames, VendorCodesShareOneNameAndUnknownCodesAreInternalErrors) {
  EXPECT_EQ(faultErrorName(9801), "org.cwmpd.Fault.Vendor");
  EXPECT_EQ(faultErrorName(42), "org.cwmpd.Fault.InternalError");
}

// The transfer faults of Amendment 3 (ScheduleDownload, CancelTransfer) and the ACS and
// vendor ranges name their own errors instead of passing for internal errors.
TEST(FaultNames, TransferAcsAndVendorFaultsHaveTheirOwnErrorNames) {
  EXPECT_EQ(faultErrorName(9020), "org.cwmpd.Fault.DownloadFailureTimeWindows");
  EXPECT_EQ(faultErrorName(9021), "org.cwmpd.Fault.CancelTransferNotPermitted");
  EXPECT_EQ(faultErrorName(9022), "org.cwmpd.Fault.InvalidUuidFormat");
  EXPECT_EQ(faultErrorName(9032), "org.cwmpd.Fault.DeploymentUnitVersionExists");
  EXPECT_EQ(faultErrorName(8005), "org.cwmpd.Fault.AcsRetryRequest");
  EXPECT_EQ(faultErrorName(8850), "org.cwmpd.Fault.Vendor");
  EXPECT_EQ(faultErrorMessage(9021, {}),
            "9021 Cancelation of file transfer not permitted in current transfer state");
  EXPECT_EQ(faultErrorMessage(9026, {}), "9026 Duplicate Deployment Unit");
}

TEST(FaultNames, EveryRowOfTheFaultTableIsItsOwnErrorWithTheTablesString) {
  for (const auto& row : sdk::kFaults) {
    EXPECT_EQ(faultErrorName(row.code), "org.cwmpd.Fault." + std::string(row.name)) << row.code;
    EXPECT_EQ(faultErrorMessage(row.code, {}),
              std::to_string(row.code) + " " + std::string(row.string));
  }
}

TEST(FaultNames, MessageStartsWithTheCodeAndTheStandardFaultString) {
  EXPECT_EQ(faultErrorMessage(sdk::Fault(9005, "Device.Foo.")),
            "9005 Invalid parameter name: Device.Foo.");
  // A fault without detail carries the standard string as what(): it is not repeated.
  EXPECT_EQ(faultErrorMessage(sdk::Fault(sdk::FaultCode::RequestDenied)), "9001 Request denied");
  // Nor when the detail already starts with it.
  EXPECT_EQ(faultErrorMessage(9007, "Invalid parameter value: not an integer"),
            "9007 Invalid parameter value: not an integer");
}

TEST(FaultNames, SetFaultMessageListsEveryRefusedParameter) {
  const core::SetFault fault(9003, {},
                             {{"Device.A.X", 9007, "out of range"}, {"Device.A.Y", 9008, ""}});
  EXPECT_EQ(faultErrorMessage(fault),
            "9003 Invalid arguments\n"
            "  Device.A.X: 9007 Invalid parameter value: out of range\n"
            "  Device.A.Y: 9008 Attempt to set a non-writable parameter");
}

TEST(FaultNames, TheCodeIsReadBackFromTheMessage) {
  EXPECT_EQ(parseFaultCode("9005 Invalid parameter name: Device.Foo."), 9005);
  EXPECT_EQ(parseFaultCode("9002"), 9002);
  EXPECT_EQ(parseFaultCode("Invalid parameter name"), std::nullopt);
  EXPECT_EQ(parseFaultCode("9005x"), std::nullopt);
  EXPECT_EQ(parseFaultCode(""), std::nullopt);
}

// Issue 14 item 5: whatever an engine call (or a plugin behind it) throws, the bus answers
// with an org.cwmpd.Fault error; nothing escapes into sdbus-c++'s dispatch.
TEST(FaultTranslation, EvenANonStandardExceptionBecomesInternalError9002AndIsLogged) {
  std::vector<std::string> logged;
  const Logger log = [&](LogLevel, const std::string& m) { logged.push_back(m); };
  try {
    translateFaults(log, "GetParameterValues", []() -> int { throw 42; });
    FAIL() << "nothing was thrown";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.cwmpd.Fault.InternalError");
    EXPECT_EQ(parseFaultCode(e.getMessage()), 9002) << e.getMessage();
  }
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("GetParameterValues"), std::string::npos) << logged[0];
  try {
    translateFaults(log, "SetParameterValues", [] { throw std::logic_error("bug"); });
    FAIL() << "nothing was thrown";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.cwmpd.Fault.InternalError");
  }
}

// A fault keeps its own error name and message (a SetFault with its refused parameters), an
// sdbus::Error goes through as it was thrown, a value comes back, and nothing is logged.
TEST(FaultTranslation, FaultsKeepTheirNameAndMessageAndBusErrorsPassUnchanged) {
  std::vector<std::string> logged;
  const Logger log = [&](LogLevel, const std::string& m) { logged.push_back(m); };
  EXPECT_EQ(translateFaults(log, "GetParameterValues", [] { return 7; }), 7);
  try {
    translateFaults(log, "AddObject", [] { throw sdk::Fault(sdk::FaultCode::ResourcesExceeded); });
    FAIL() << "nothing was thrown";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), faultErrorName(9004));
    EXPECT_EQ(e.getMessage(), faultErrorMessage(sdk::Fault(9004)));
  }
  const core::SetFault set(9003, "", {{"Device.X.Y", 9007, "not a number"}});
  try {
    translateFaults(log, "SetParameterValues", [&] { throw set; });
    FAIL() << "nothing was thrown";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), faultErrorName(9003));
    EXPECT_EQ(e.getMessage(), faultErrorMessage(set));
    EXPECT_NE(e.getMessage().find("Device.X.Y"), std::string::npos) << e.getMessage();
  }
  try {
    translateFaults(log, "Reboot",
                    []() -> int { throw sdbus::Error("org.example.Other", "as is"); });
    FAIL() << "nothing was thrown";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.example.Other");
    EXPECT_EQ(e.getMessage(), "as is");
  }
  EXPECT_TRUE(logged.empty());
}

}  // namespace
}  // namespace cwmpd::bus

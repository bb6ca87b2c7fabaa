// The one table of fault codes (cwmpd/sdk/fault.hpp) and the SOAP encoder reading it.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <utility>
#include <string>

#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"
#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::core::soap {
namespace {

int rowsOf(int code) {
  int n = 0;
  for (const auto& f : sdk::kFaults) n += f.code == code ? 1 : 0;
  return n;
}

TEST(FaultTable, EveryCpeAndAcsCodeOfTheSpecHasExactlyOneRow) {
  for (int code = 9000; code <= 9032; ++code) EXPECT_EQ(rowsOf(code), 1) << code;
  for (int code = 8000; code <= 8006; ++code) EXPECT_EQ(rowsOf(code), 1) << code;
  // Nothing else: 9033-9799 are reserved for future amendments.
  EXPECT_EQ(std::size(sdk::kFaults), 33u + 7u);
  EXPECT_EQ(sdk::findFault(9033), nullptr);
  EXPECT_EQ(sdk::findFault(8007), nullptr);
  EXPECT_EQ(sdk::findFault(0), nullptr);
}

// TR-069 Amendment 6, A.5.1 (the fault code table): the SOAP faultcode of every CPE and
// ACS code, transcribed from the spec row by row (independently of the table under test).
// "Client" where the requester is at fault (its arguments, names, values, the transfer
// state it asked to cancel); "Server" for the CPE's own trouble, every file transfer
// failure and every Deployment Unit fault of ChangeDUState (9022-9032). The ACS codes
// (A.5.2) as the agent classifies them: only 8003 is the CPE's mistake.
TEST(FaultTable, EachRowHasTheSoapFaultcodeOfTheSpecsTable) {
  using enum sdk::SoapFaultcode;
  const std::pair<int, sdk::SoapFaultcode> spec[] = {
      {9000, Server}, {9001, Server}, {9002, Server}, {9003, Client}, {9004, Server},
      {9005, Client}, {9006, Client}, {9007, Client}, {9008, Client}, {9009, Server},
      {9010, Server}, {9011, Server}, {9012, Server}, {9013, Server}, {9014, Server},
      {9015, Server}, {9016, Server}, {9017, Server}, {9018, Server}, {9019, Server},
      {9020, Server}, {9021, Client}, {9022, Server}, {9023, Server}, {9024, Server},
      {9025, Server}, {9026, Server}, {9027, Server}, {9028, Server}, {9029, Server},
      {9030, Server}, {9031, Server}, {9032, Server}, {8000, Server}, {8001, Server},
      {8002, Server}, {8003, Client}, {8004, Server}, {8005, Server}, {8006, Server}};
  ASSERT_EQ(std::size(spec), std::size(sdk::kFaults));
  for (const auto& [code, faultcode] : spec) {
    const sdk::FaultInfo* row = sdk::findFault(code);
    ASSERT_NE(row, nullptr) << code;
    EXPECT_EQ(row->soapFaultcode, faultcode) << code << " " << row->string << ": the spec says "
                                             << (faultcode == Client ? "Client" : "Server");
    EXPECT_STREQ(soapFaultcode(code), faultcode == Client ? "Client" : "Server") << code;
  }
}

TEST(FaultTable, NamesAreUniqueValidDBusNameElementsAndStringsAreNotEmpty) {
  // D-Bus specification, "Error names": elements of [A-Za-z0-9_], not starting with a
  // digit, the whole name at most 255 bytes.
  const std::regex element("[A-Za-z_][A-Za-z0-9_]*");
  std::set<std::string_view> names;
  for (const auto& f : sdk::kFaults) {
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate name " << f.name;
    EXPECT_TRUE(std::regex_match(std::string(f.name), element)) << f.name;
    EXPECT_LE(std::string("org.cwmpd.Fault.").size() + f.name.size(), 255u);
    EXPECT_FALSE(f.string.empty()) << f.code;
    EXPECT_EQ(std::string(sdk::faultString(f.code)), f.string) << f.code;
  }
}

TEST(FaultTable, VendorRangesShareOneRowNamedVendor) {
  for (int code : {9800, 9850, 9899, 8800, 8899}) {
    const sdk::FaultInfo* f = sdk::findFault(code);
    ASSERT_NE(f, nullptr) << code;
    EXPECT_EQ(f->name, "Vendor");
    EXPECT_EQ(f->soapFaultcode, sdk::SoapFaultcode::Server);
    EXPECT_STREQ(sdk::faultString(code), "Vendor defined fault");
  }
  EXPECT_EQ(sdk::findFault(9900), nullptr);
  EXPECT_EQ(sdk::findFault(8900), nullptr);
}

TEST(FaultTable, TheEnumeratorsAreTheTableNames) {
  EXPECT_EQ(static_cast<int>(sdk::FaultCode::InvalidParameterName), 9005);
  EXPECT_EQ(static_cast<int>(sdk::FaultCode::DownloadFailureTimeWindows), 9020);
  EXPECT_EQ(static_cast<int>(sdk::FaultCode::CancelTransferNotPermitted), 9021);
  EXPECT_EQ(static_cast<int>(sdk::FaultCode::DeploymentUnitVersionExists), 9032);
  EXPECT_EQ(static_cast<int>(sdk::FaultCode::AcsRetryRequest), 8005);
}

TEST(FaultTable, TheSoapEncoderWritesEachRowsFaultcodeAndString) {
  for (const auto& row : sdk::kFaults) {
    const Fault f = makeFault(row.code);
    EXPECT_EQ(f.code, row.code);
    EXPECT_EQ(f.faultcode, row.soapFaultcode == sdk::SoapFaultcode::Client ? "Client" : "Server")
        << row.code;
    EXPECT_EQ(f.message, row.string) << row.code;
    // And a fault thrown with the code alone carries the same string to the ACS.
    EXPECT_EQ(toSoapFault(sdk::Fault(row.code)).message, row.string) << row.code;
    Envelope e;
    e.body = f;
    const std::string xml = encode(e);
    EXPECT_NE(xml.find("<faultcode>" + std::string(f.faultcode) + "</faultcode>"),
              std::string::npos);
    EXPECT_NE(xml.find("<FaultString>" + std::string(row.string) + "</FaultString>"),
              std::string::npos)
        << xml;
  }
}

}  // namespace
}  // namespace cwmpd::core::soap

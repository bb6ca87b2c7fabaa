#include <gtest/gtest.h>

#include <stdexcept>

#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"
#include "schema_validator.hpp"

namespace cwmpd::core::soap {
namespace {

TEST(FaultMap, UsesTheSpecsClientOrServerFaultcode) {
  for (int code : {9003, 9005, 9006, 9007, 9008})
    EXPECT_STREQ(soapFaultcode(code), "Client") << code;
  for (int code :
       {9000, 9001, 9002, 9004, 9009, 9010, 9011, 9012, 9013, 9014, 9017, 9019, 9800, 9899}) {
    EXPECT_STREQ(soapFaultcode(code), "Server") << code;
  }
}

TEST(FaultMap, DeploymentUnitAndAcsFaultsCarryTheirOwnStrings) {
  EXPECT_EQ(makeFault(9022).message, "Invalid UUID Format");
  EXPECT_EQ(makeFault(9030).message, "Invalid Deployment Unit Update - Downgrade not permitted");
  EXPECT_EQ(makeFault(8006).message, "ACS version incompatible with CPE");
  EXPECT_EQ(makeFault(8850).message, "Vendor defined fault");
}

TEST(FaultMap, MapsAnSdkFaultWithTheSpecStringWhenNoDetailIsGiven) {
  const Fault f = toSoapFault(sdk::Fault(sdk::FaultCode::InvalidParameterName));
  EXPECT_EQ(f.faultcode, "Client");
  EXPECT_EQ(f.faultstring, "CWMP fault");
  EXPECT_EQ(f.code, 9005);
  EXPECT_EQ(f.message, "Invalid parameter name");
  EXPECT_TRUE(f.setParameterValuesFaults.empty());
  EXPECT_EQ(toSoapFault(sdk::Fault(9002, "plugin wifi failed")).message, "plugin wifi failed");
}

TEST(FaultMap, MapsASetFaultToOneSetParameterValuesFaultPerParameter) {
  const SetFault set(9003, "", {{"Device.A", 9007, ""}, {"Device.B", 9008, "read-only"}});
  const Fault f = toSoapFault(set);
  EXPECT_EQ(f.code, 9003);
  EXPECT_EQ(f.faultcode, "Client");
  EXPECT_EQ(f.setParameterValuesFaults,
            (std::vector<SetParameterValuesFault>{{"Device.A", 9007, "Invalid parameter value"},
                                                  {"Device.B", 9008, "read-only"}}));
  Envelope e;
  e.header.id = "spv-1";
  e.body = f;
  CWMPD_REQUIRE_BBF_SCHEMAS();
  for (CwmpNamespace ns : {CwmpNamespace::V1_0, CwmpNamespace::V1_2}) {
    e.ns = ns;
    EXPECT_TRUE(cwmpd::test::isValidCwmp(encode(e), "Fault"));
  }
}

TEST(FaultMap, ASetFaultWithEntriesIs9003AtTheTopWhateverItsOwnCode) {
  // TR-069 A.5.1: SetParameterValuesFault entries are present only with FaultCode 9003.
  for (int code : {9007, 9008, 9005, 9002}) {
    const Fault f = toSoapFault(SetFault(code, "bad value: Device.A", {{"Device.A", code, ""}}));
    EXPECT_EQ(f.code, 9003) << code;
    EXPECT_EQ(f.faultcode, "Client") << code;
    EXPECT_EQ(f.message, "Invalid arguments") << code;
    ASSERT_EQ(f.setParameterValuesFaults.size(), 1u);
    EXPECT_EQ(f.setParameterValuesFaults[0].faultCode, code);
  }
  // Without entries the SetFault's own code stands.
  EXPECT_EQ(toSoapFault(SetFault(9004, "", {})).code, 9004);
}

TEST(FaultMap, AHeaderNotUnderstoodGetsASoapMustUnderstandFaultWithoutDetail) {
  const Fault f = mustUnderstandFault({"X_ACME_Session", "Transaction"});
  Envelope e;
  e.header.id = "acs-7";
  e.body = f;
  const std::string xml = encode(e);
  // SOAP 1.1 sections 4.2.3 and 4.4.1: faultcode MustUnderstand in the envelope's
  // namespace; section 4.4: no detail for a header error.
  EXPECT_NE(xml.find("<faultcode>SOAP-ENV:MustUnderstand</faultcode>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("X_ACME_Session Transaction"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("detail"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("cwmp:Fault"), std::string::npos) << xml;
  EXPECT_NE(xml.find("acs-7"), std::string::npos);
  CWMPD_REQUIRE_BBF_SCHEMAS();
  for (CwmpNamespace ns : {CwmpNamespace::V1_0, CwmpNamespace::V1_2}) {
    e.ns = ns;
    EXPECT_TRUE(cwmpd::test::isValidCwmp(encode(e), "Fault"));
  }
}

TEST(FaultMap, MapsAnyOtherExceptionToInternalErrorWithoutLeakingItsText) {
  const Fault f = toSoapFault(std::make_exception_ptr(std::runtime_error("secret path /etc/x")));
  EXPECT_EQ(f.code, 9002);
  EXPECT_EQ(f.faultcode, "Server");
  EXPECT_EQ(f.message, "Internal error");
  const Fault viaPtr = toSoapFault(std::make_exception_ptr(sdk::Fault(9009)));
  EXPECT_EQ(viaPtr.code, 9009);
  EXPECT_EQ(viaPtr.faultcode, "Server");
}

TEST(FaultMap, EveryCpeFaultCodeEncodesToAFaultTheSchemaOfItsVersionAccepts) {
  CWMPD_REQUIRE_BBF_SCHEMAS();
  std::vector<int> codes;
  for (const auto& row : sdk::kFaults)
    if (row.code >= 9000) codes.push_back(row.code);
  codes.push_back(9800);
  codes.push_back(9899);
  for (int code : codes) {
    Envelope e;
    e.header.id = "f";
    e.body = makeFault(code);
    e.ns = CwmpNamespace::V1_2;
    EXPECT_TRUE(cwmpd::test::isValidCwmp(encode(e), "Fault")) << code;
    // 9014-9019 (multicast and detailed download failures) arrived with cwmp-1-1 and
    // 9020-9032 later; the cwmp-1-0 schema rightly refuses them.
    e.ns = CwmpNamespace::V1_0;
    EXPECT_EQ(cwmpd::test::sharedValidator().validate(encode(e), "Fault").valid,
              code < 9014 || code >= 9800)
        << code;
  }
}

}  // namespace
}  // namespace cwmpd::core::soap

#include <gtest/gtest.h>

#include <stdexcept>

#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"
#include "schema_validator.hpp"

namespace cwmpd::core::soap {
namespace {

TEST(FaultMap, UsesTheSpecsClientOrServerFaultcode) {
  for (int code : {9003, 9005, 9006, 9007, 9008}) EXPECT_STREQ(soapFaultcode(code), "Client") << code;
  for (int code : {9000, 9001, 9002, 9004, 9009, 9010, 9011, 9012, 9013, 9014, 9017, 9019, 9800,
                   9899}) {
    EXPECT_STREQ(soapFaultcode(code), "Server") << code;
  }
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
  for (int c = 9000; c <= 9019; ++c) codes.push_back(c);
  codes.push_back(9800);
  codes.push_back(9899);
  for (int code : codes) {
    Envelope e;
    e.header.id = "f";
    e.body = makeFault(code);
    e.ns = CwmpNamespace::V1_2;
    EXPECT_TRUE(cwmpd::test::isValidCwmp(encode(e), "Fault")) << code;
    // 9014-9019 (multicast and detailed download failures) arrived with cwmp-1-1; the
    // cwmp-1-0 schema rightly refuses them.
    e.ns = CwmpNamespace::V1_0;
    EXPECT_EQ(cwmpd::test::sharedValidator().validate(encode(e), "Fault").valid,
              code < 9014 || code > 9019)
        << code;
  }
}

}  // namespace
}  // namespace cwmpd::core::soap

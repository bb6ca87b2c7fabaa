// Every message type: encode -> schema-validate -> decode gives the same message back.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "samples.hpp"
#include "schema_validator.hpp"

namespace cwmpd::core::soap {
namespace {

using testing::Sample;

struct Case {
  Sample sample;
  CwmpNamespace ns;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.sample.label << " in " << namespaceUrn(c.ns);
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (CwmpNamespace ns : {CwmpNamespace::V1_0, CwmpNamespace::V1_2}) {
    for (auto& s : testing::allSamples()) out.push_back({s, ns});
  }
  return out;
}

Envelope envelopeFor(const Case& c) {
  Envelope e;
  e.ns = c.ns;
  e.header.id = "id-" + c.sample.label;
  e.body = c.sample.body;
  if (c.ns == CwmpNamespace::V1_2) {
    // CWMP 1.4 version negotiation headers (cwmp-1-2 namespace only).
    if (c.sample.label == "Inform") {
      e.header.sessionTimeout = 60;
      e.header.supportedCwmpVersions = "1.0,1.1,1.2,1.3,1.4";
    }
    if (c.sample.label == "InformResponse") e.header.useCwmpVersion = "1.4";
  }
  if (c.sample.label == "InformResponse") e.header.holdRequests = false;
  return e;
}

class RoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTrip, EncodesSchemaValidXmlThatDecodesToTheSameMessage) {
  const Envelope original = envelopeFor(GetParam());
  const std::string xml = encode(original);

  const DecodeResult decoded = decode(xml);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message << "\n" << xml;
  EXPECT_EQ(decoded.envelope().ns, original.ns);
  EXPECT_EQ(decoded.envelope().header, original.header);
  EXPECT_EQ(decoded.envelope().body.index(), original.body.index());
  EXPECT_TRUE(decoded.envelope().body == original.body) << xml;

  CWMPD_REQUIRE_BBF_SCHEMAS();
  EXPECT_TRUE(cwmpd::test::isValidCwmp(xml, methodName(original.body)));
}

INSTANTIATE_TEST_SUITE_P(EveryMessage, RoundTrip, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.sample.label +
                                  (info.param.ns == CwmpNamespace::V1_0 ? "_cwmp10" : "_cwmp12");
                         });

TEST(RoundTripSamples, CoverEveryMessageTypeOfTheModel) {
  std::set<std::size_t> seen;
  for (const auto& s : testing::allSamples()) seen.insert(s.body.index());
  // Every alternative except Empty (index 0), which encodes to an empty payload.
  EXPECT_EQ(seen.size(), std::variant_size_v<Body> - 1);
  EXPECT_FALSE(seen.contains(0));
}

TEST(EmptyMessage, EncodesToAnEmptyPayloadAndDecodesBackToEmpty) {
  Envelope e;
  e.body = Empty{};
  EXPECT_EQ(encode(e), "");
  const DecodeResult r = decode("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::holds_alternative<Empty>(r.envelope().body));
  const DecodeResult blank = decode(" \r\n\t");
  ASSERT_TRUE(blank.ok());
  EXPECT_TRUE(std::holds_alternative<Empty>(blank.envelope().body));
}

TEST(SchemaValidator, RejectsAMisnamedBodyElementThatTheEnvelopeSchemaLetsThrough) {
  CWMPD_REQUIRE_BBF_SCHEMAS();
  Envelope e;
  e.header.id = "1";
  e.body = VendorMethod{"X_0000C0_NotInTheSchema", {}};
  const std::string xml = encode(e);
  const auto check = cwmpd::test::sharedValidator().validate(xml, "Inform");
  EXPECT_FALSE(check.valid);
  EXPECT_EQ(check.bodyElement, "X_0000C0_NotInTheSchema");
}

TEST(SchemaValidator, RejectsAMessageThatBreaksTheCwmpSchema) {
  CWMPD_REQUIRE_BBF_SCHEMAS();
  Envelope e;
  e.header.id = "1";
  e.body = SetParameterValuesResponse{7};  // Status is 0 or 1
  for (CwmpNamespace ns : {CwmpNamespace::V1_0, CwmpNamespace::V1_1, CwmpNamespace::V1_2}) {
    e.ns = ns;
    EXPECT_FALSE(
        cwmpd::test::sharedValidator().validate(encode(e), "SetParameterValuesResponse").valid);
  }
  e.ns = CwmpNamespace::V1_2;
  e.header.useCwmpVersion = "1.4";  // cwmp-1-4.xsd: mustUnderstand="1" is required
  e.body = InformResponse{1};
  EXPECT_TRUE(cwmpd::test::isValidCwmp(encode(e), "InformResponse"));
  std::string noMustUnderstand = encode(e);
  noMustUnderstand.replace(
      noMustUnderstand.find("<cwmp:UseCWMPVersion SOAP-ENV:mustUnderstand=\"1\">"),
      std::string_view("<cwmp:UseCWMPVersion SOAP-ENV:mustUnderstand=\"1\">").size(),
      "<cwmp:UseCWMPVersion>");
  EXPECT_FALSE(cwmpd::test::sharedValidator().validate(noMustUnderstand, "InformResponse").valid);
  e.header.useCwmpVersion.reset();
  GetParameterValuesResponse bad;
  bad.parameterList = {{"Device.X", "maybe", "xsd:boolean"}};  // not a boolean
  e.body = bad;
  EXPECT_FALSE(
      cwmpd::test::sharedValidator().validate(encode(e), "GetParameterValuesResponse").valid);
}

}  // namespace
}  // namespace cwmpd::core::soap

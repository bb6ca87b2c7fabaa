// Hostile and broken input: each is refused or answered with the right fault, never a
// crash, a file read, or unbounded work.
#include <gtest/gtest.h>

#include <string>

#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"
#include "schema_validator.hpp"

namespace cwmpd::core::soap {
namespace {

using Kind = DecodeError::Kind;

const std::string kOpen =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\" "
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap-env:Header>"
    "<cwmp:ID soap-env:mustUnderstand=\"1\">hostile-1</cwmp:ID></soap-env:Header><soap-env:Body>";
const std::string kClose = "</soap-env:Body></soap-env:Envelope>";

std::string wrap(const std::string& body) { return kOpen + body + kClose; }

DecodeError expectError(const std::string& payload, Kind kind, DecodeLimits limits = {}) {
  const DecodeResult r = decode(payload, limits);
  EXPECT_FALSE(r.ok()) << "decoded as " << (r.ok() ? methodName(r.envelope().body) : "");
  if (r.ok()) return {};
  EXPECT_EQ(r.error().kind, kind) << r.error().message;
  return r.error();
}

// The fault a dispatcher would answer with must itself be schema-valid.
void expectValidFaultAnswer(const DecodeError& error, int code) {
  EXPECT_EQ(error.faultCode(), code);
  Envelope answer;
  answer.header.id = error.id;
  answer.body = toSoapFault(error);
  EXPECT_EQ(std::get<Fault>(answer.body).code, code);
  if (!cwmpd::test::bbfDir().empty()) {
    EXPECT_TRUE(cwmpd::test::isValidCwmp(encode(answer), "Fault"));
  }
}

TEST(HostileInput, ExternalEntityToEtcPasswdIsRefusedWithoutReadingTheFile) {
  const std::string xxe =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" +
      wrap("<cwmp:Reboot><CommandKey>&xxe;</CommandKey></cwmp:Reboot>").substr(39);
  const DecodeError e = expectError(xxe, Kind::Refused);
  EXPECT_EQ(e.faultCode(), 0);
  EXPECT_EQ(e.message.find("root:"), std::string::npos);
}

TEST(HostileInput, DoctypeHiddenAfterACommentIsStillRefused) {
  expectError("<!-- hi --><?pi x?><!DOCTYPE r [<!ENTITY a \"b\">]><r>&a;</r>", Kind::Refused);
}

TEST(HostileInput, BillionLaughsIsRefused) {
  std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  doc += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">";
  for (int i = 2; i <= 9; ++i) {
    doc += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) doc += "&lol" + std::to_string(i - 1) + ";";
    doc += "\">";
  }
  doc += "]><lolz>&lol9;</lolz>";
  expectError(doc, Kind::Refused);
}

TEST(HostileInput, Utf16DocumentsAreRefusedBeforeParsing) {
  // A DOCTYPE in UTF-16 would slip past a byte-level check; CWMP is UTF-8 only.
  const std::string utf16("\xFF\xFE<\0r\0/\0>\0", 10);
  expectError(utf16, Kind::Refused);
}

TEST(HostileInput, A64MegabyteBodyIsRefusedWithoutParsing) {
  std::string big = wrap(
      "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\"><string>");
  big.append(64u * 1024 * 1024, 'A');
  big += "</string></ParameterNames></cwmp:GetParameterValues>" + kClose;
  expectError(big, Kind::Refused);
}

TEST(HostileInput, TenThousandDeepNestingIsRefused) {
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "<a>";
  for (int i = 0; i < 10000; ++i) deep += "</a>";
  expectError(wrap("<cwmp:X_0000C0_Deep>" + deep + "</cwmp:X_0000C0_Deep>"), Kind::Refused);
}

TEST(HostileInput, DepthLimitIsConfigurable) {
  const std::string msg = wrap("<cwmp:Reboot><CommandKey>k</CommandKey></cwmp:Reboot>");
  EXPECT_TRUE(decode(msg).ok());
  DecodeLimits shallow;
  shallow.maxDepth = 3;  // Envelope, Body, Reboot: CommandKey is one too deep
  expectError(msg, Kind::Refused, shallow);
}

TEST(HostileInput, AnArrayLongerThanTheLimitIsAnsweredWithResourcesExceeded) {
  std::string names;
  for (int i = 0; i < 11; ++i) names += "<string>Device.X." + std::to_string(i) + "</string>";
  const std::string msg =
      wrap("<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[11]\">" +
           names + "</ParameterNames></cwmp:GetParameterValues>");
  DecodeLimits small;
  small.maxArrayItems = 10;
  const DecodeError e = expectError(msg, Kind::ResourcesExceeded, small);
  EXPECT_EQ(e.id, std::optional<std::string>("hostile-1"));
  expectValidFaultAnswer(e, 9004);
  small.maxArrayItems = 11;
  EXPECT_TRUE(decode(msg, small).ok());
}

TEST(HostileInput, ASoap12EnvelopeIsInvalid) {
  expectError(
      "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body>"
      "<cwmp:Reboot xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><CommandKey/></cwmp:Reboot>"
      "</env:Body></env:Envelope>",
      Kind::InvalidArguments);
}

TEST(HostileInput, AMethodInAForeignNamespaceIsNotSupported) {
  const DecodeError e =
      expectError(wrap("<m:Reboot xmlns:m=\"urn:example:not-cwmp\"><CommandKey/></m:Reboot>"),
                  Kind::MethodNotSupported);
  expectValidFaultAnswer(e, 9000);
  expectError(wrap("<Reboot><CommandKey/></Reboot>"), Kind::MethodNotSupported);
  expectError(
      wrap("<cwmp:Reboot xmlns:cwmp=\"urn:dslforum-org:cwmp-1-9\"><CommandKey/></cwmp:Reboot>"),
      Kind::MethodNotSupported);
}

TEST(HostileInput, AnUnknownMethodIsAnsweredWith9000EchoingTheId) {
  const DecodeError e = expectError(wrap("<cwmp:SelfDestruct><When>now</When></cwmp:SelfDestruct>"),
                                    Kind::MethodNotSupported);
  EXPECT_EQ(e.method, "SelfDestruct");
  EXPECT_EQ(e.id, std::optional<std::string>("hostile-1"));
  expectValidFaultAnswer(e, 9000);
}

TEST(HostileInput, AVendorMethodIsPassedThroughWithItsArguments) {
  const DecodeResult r = decode(
      wrap("<cwmp:X_0000C0_Ping><Host>10.0.0.1</Host><Count>3</Count><Opts><A>x</A><B>y</B></Opts>"
           "</cwmp:X_0000C0_Ping>"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(std::holds_alternative<VendorMethod>(r.envelope().body));
  const auto& v = std::get<VendorMethod>(r.envelope().body);
  EXPECT_EQ(v.name, "X_0000C0_Ping");
  EXPECT_EQ(v.arguments,
            (std::vector<ArgStruct>{{"Host", "10.0.0.1"}, {"Count", "3"}, {"Opts", "xy"}}));
}

TEST(HostileInput, MissingArgumentsAreInvalidArguments) {
  for (const std::string body : {
           "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[0]\">"
           "</ParameterList></cwmp:SetParameterValues>",
           "<cwmp:SetParameterValues><ParameterList><ParameterValueStruct><Name>Device.X</Name>"
           "</ParameterValueStruct></ParameterList><ParameterKey/></cwmp:SetParameterValues>",
           "<cwmp:GetParameterNames><ParameterPath>Device.</ParameterPath></cwmp:GetParameterNames>",
           "<cwmp:GetParameterValues/>",
           "<cwmp:AddObject><ParameterKey/></cwmp:AddObject>",
           "<cwmp:Download><CommandKey/><FileType>1 Firmware Upgrade Image</FileType></cwmp:Download>",
           "<cwmp:ScheduleInform><CommandKey/></cwmp:ScheduleInform>",
           "<cwmp:ChangeDUState><CommandKey/></cwmp:ChangeDUState>",
       }) {
    const DecodeError e = expectError(wrap(body), Kind::InvalidArguments);
    EXPECT_NE(e.message.find("missing"), std::string::npos) << body << ": " << e.message;
    expectValidFaultAnswer(e, 9003);
  }
}

TEST(HostileInput, WrongTypesAreInvalidArguments) {
  for (const std::string body : {
           "<cwmp:GetParameterNames><ParameterPath/><NextLevel>maybe</NextLevel></cwmp:GetParameterNames>",
           "<cwmp:ScheduleInform><DelaySeconds>-5</DelaySeconds><CommandKey/></cwmp:ScheduleInform>",
           "<cwmp:ScheduleInform><DelaySeconds>99999999999</DelaySeconds><CommandKey/></cwmp:ScheduleInform>",
           "<cwmp:ScheduleInform><DelaySeconds>12abc</DelaySeconds><CommandKey/></cwmp:ScheduleInform>",
           "<cwmp:ScheduleInform><DelaySeconds></DelaySeconds><CommandKey/></cwmp:ScheduleInform>",
           "<cwmp:SetParameterAttributes><ParameterList><SetParameterAttributesStruct><Name>Device.</Name>"
           "<NotificationChange>1</NotificationChange><Notification>two</Notification>"
           "<AccessListChange>0</AccessListChange><AccessList/></SetParameterAttributesStruct>"
           "</ParameterList></cwmp:SetParameterAttributes>",
       }) {
    const DecodeError e = expectError(wrap(body), Kind::InvalidArguments);
    expectValidFaultAnswer(e, 9003);
  }
}

TEST(HostileInput, DuplicateParametersInOneSetParameterValuesAreKeptInOrder) {
  const DecodeResult r = decode(wrap(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">"
      "<ParameterValueStruct><Name>Device.A</Name><Value xsi:type=\"xsd:string\">1</Value></ParameterValueStruct>"
      "<ParameterValueStruct><Name>Device.A</Name><Value xsi:type=\"xsd:string\">2</Value></ParameterValueStruct>"
      "</ParameterList><ParameterKey>k</ParameterKey></cwmp:SetParameterValues>"));
  ASSERT_TRUE(r.ok());
  const auto& spv = std::get<SetParameterValues>(r.envelope().body);
  ASSERT_EQ(spv.parameterList.size(), 2u);
  EXPECT_EQ(spv.parameterList[0].name, spv.parameterList[1].name);
  EXPECT_EQ(spv.parameterList[0].value, "1");
  EXPECT_EQ(spv.parameterList[1].value, "2");
}

TEST(HostileInput, MalformedXmlAndNonXmlAreInvalidArguments) {
  expectError("<a><b></a>", Kind::InvalidArguments);
  expectError("hello, world", Kind::InvalidArguments);
  expectError(wrap("<cwmp:Reboot><CommandKey>x</CommandKey>"), Kind::InvalidArguments);
  expectError("<?xml version=\"1.0\"?>", Kind::InvalidArguments);
  expectError(std::string(kOpen).substr(0, 200), Kind::InvalidArguments);
}

TEST(HostileInput, AnUnknownMandatoryHeaderIsReportedToTheCaller) {
  const DecodeResult r = decode(
      "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\" xmlns:v=\"urn:example:vendor\">"
      "<soap-env:Header><v:Trace soap-env:mustUnderstand=\"1\">x</v:Trace>"
      "<v:Info>y</v:Info><cwmp:HoldRequests soap-env:mustUnderstand=\"1\">1</cwmp:HoldRequests>"
      "</soap-env:Header><soap-env:Body><cwmp:GetRPCMethods/></soap-env:Body></soap-env:Envelope>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.envelope().header.unknownMustUnderstand, std::vector<std::string>{"Trace"});
  EXPECT_EQ(r.envelope().header.holdRequests, std::optional<bool>(true));
  EXPECT_EQ(r.envelope().ns, CwmpNamespace::V1_2);
}

TEST(HostileInput, AnyPrefixesAndCwmpPrefixedChildrenAreAccepted) {
  const DecodeResult r = decode(
      "<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
      "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">"
      "<S:Body><c:SetParameterValues xmlns:c=\"urn:dslforum-org:cwmp-1-1\">"
      "<c:ParameterList><c:ParameterValueStruct><c:Name>Device.A</c:Name>"
      "<c:Value i:type=\"xs:unsignedInt\"> 5 </c:Value></c:ParameterValueStruct></c:ParameterList>"
      "<c:ParameterKey>k</c:ParameterKey></c:SetParameterValues></S:Body></S:Envelope>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.envelope().ns, CwmpNamespace::V1_1);
  EXPECT_FALSE(r.envelope().header.id.has_value());
  EXPECT_EQ(std::get<SetParameterValues>(r.envelope().body),
            (SetParameterValues{{{"Device.A", " 5 ", "xsd:unsignedInt"}}, "k"}));
}

TEST(HostileInput, AnEnvelopeWithAnEmptyBodyIsTheEmptyMessage) {
  const DecodeResult r = decode(wrap(""));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::holds_alternative<Empty>(r.envelope().body));
  EXPECT_EQ(r.envelope().header.id, std::optional<std::string>("hostile-1"));
}

TEST(HostileInput, TheDecoderIsReusableAfterEveryKindOfError) {
  Decoder d;
  const std::string good = wrap("<cwmp:Reboot><CommandKey>k</CommandKey></cwmp:Reboot>");
  for (const std::string& bad : {std::string("<a><b></a>"), std::string("<!DOCTYPE a><a/>"),
                                 wrap("<cwmp:Nope/>"), wrap("<cwmp:Reboot/>")}) {
    EXPECT_FALSE(d.decode(bad).ok());
    const DecodeResult r = d.decode(good);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(std::get<Reboot>(r.envelope().body).commandKey, "k");
  }
}

}  // namespace
}  // namespace cwmpd::core::soap

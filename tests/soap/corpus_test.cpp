// Decoding of every message GenieACS really sent (../shared/corpus/genieacs), field by field.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cwmpd/core/soap/decoder.hpp"

namespace cwmpd::core::soap {
namespace {

namespace fs = std::filesystem;

fs::path corpusDir() {
  const char* env = std::getenv("CWMPD_CORPUS_DIR");
  return fs::path(env != nullptr && *env != '\0' ? env : CWMPD_DEFAULT_CORPUS_DIR) / "genieacs";
}

#define REQUIRE_CORPUS()                                                         \
  do {                                                                           \
    if (!fs::exists(corpusDir())) {                                              \
      std::fprintf(stderr, "*** SKIPPED: GenieACS corpus not found at %s ***\n", \
                   corpusDir().c_str());                                         \
      GTEST_SKIP() << "GenieACS corpus not found (set CWMPD_CORPUS_DIR)";        \
    }                                                                            \
  } while (false)

Envelope load(const std::string& file) {
  std::ifstream in(corpusDir() / file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const DecodeResult r = decode(ss.str());
  if (!r.ok()) {
    ADD_FAILURE() << file << ": " << r.error().message;
  }
  return r.ok() ? r.envelope() : Envelope{};
}

template <class T>
T body(const std::string& file, const char* id = nullptr) {
  const Envelope e = load(file);
  if (id != nullptr) {
    EXPECT_EQ(e.header.id, std::optional<std::string>(id)) << file;
  }
  EXPECT_TRUE(e.header.idMustUnderstand) << file;
  EXPECT_TRUE(std::holds_alternative<T>(e.body)) << file << " decoded as " << methodName(e.body);
  return std::holds_alternative<T>(e.body) ? std::get<T>(e.body) : T{};
}

TEST(GenieAcsCorpus, EveryFileDecodesWithoutError) {
  REQUIRE_CORPUS();
  int files = 0;
  for (const auto& entry : fs::directory_iterator(corpusDir())) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("acs-") || entry.path().extension() != ".xml") continue;
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const DecodeResult r = decode(ss.str());
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message);
  }
  EXPECT_GE(files, 30);
}

TEST(GenieAcsCorpus, AddObjectAndDeleteObjectKeepTheObjectNameAndEmptyKey) {
  REQUIRE_CORPUS();
  const auto add = body<AddObject>("acs-AddObject.xml", "1a212a35f810001");
  EXPECT_EQ(
      add.objectName,
      "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.PortMapping.");
  EXPECT_EQ(add.parameterKey, "");
  const auto del = body<DeleteObject>("acs-DeleteObject.xml", "1a212a376040000");
  EXPECT_EQ(
      del.objectName,
      "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.PortMapping.1.");
  EXPECT_EQ(del.parameterKey, "");
}

TEST(GenieAcsCorpus, DownloadsCarryEveryArgument) {
  REQUIRE_CORPUS();
  const auto cfg = body<Download>("acs-Download-config.xml", "1a212a6ddea0000");
  EXPECT_EQ(cfg, (Download{"1a212a6ddea0000", "3 Vendor Configuration File",
                           "http://127.0.0.1:7567/corpus%20config.xml", "", "", 24,
                           "startup&config.xml", 0, "", ""}));
  const auto fw = body<Download>("acs-Download-firmware.xml", "1a212a3b32d0000");
  EXPECT_EQ(
      fw, (Download{"1a212a3b32d0000", "1 Firmware Upgrade Image",
                    "http://127.0.0.1:7567/fw-corpus.bin", "", "", 0, "fw-corpus.bin", 0, "", ""}));
}

TEST(GenieAcsCorpus, FactoryResetAndRebootDecode) {
  REQUIRE_CORPUS();
  body<FactoryReset>("acs-FactoryReset.xml", "1a212a397460000");
  EXPECT_EQ(body<Reboot>("acs-Reboot.xml", "1a212a389280000").commandKey, "");
}

TEST(GenieAcsCorpus, TheNonNamespaceWellFormedBodyFaultIsRecognisedAsAcsFault8000) {
  REQUIRE_CORPUS();
  for (const char* file :
       {"acs-Fault-8000-AutonomousTransferComplete.xml", "acs-Fault-8000-Kicked.xml"}) {
    const Envelope e = load(file);
    ASSERT_TRUE(std::holds_alternative<Fault>(e.body)) << file;
    const auto& f = std::get<Fault>(e.body);
    EXPECT_EQ(f.faultcode, "Server");
    EXPECT_EQ(f.faultstring, "CWMP fault");
    EXPECT_EQ(f.code, 8000);
    EXPECT_EQ(f.message, "Method not supported");
    EXPECT_TRUE(f.setParameterValuesFaults.empty());
    EXPECT_EQ(e.ns, CwmpNamespace::V1_0);
  }
}

TEST(GenieAcsCorpus, GetParameterAttributesListsTheThreeNames) {
  REQUIRE_CORPUS();
  const auto m = body<GetParameterAttributes>("acs-GetParameterAttributes.xml", "1a212a46de00000");
  EXPECT_EQ(m.parameterNames, (std::vector<std::string>{
                                  "InternetGatewayDevice.ManagementServer.PeriodicInformInterval",
                                  "InternetGatewayDevice.DeviceInfo.SoftwareVersion",
                                  "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"}));
}

TEST(GenieAcsCorpus, GetParameterNamesAcceptsNumericNextLevelAndAnEmptyPath) {
  REQUIRE_CORPUS();
  EXPECT_EQ(body<GetParameterNames>("acs-GetParameterNames-emptypath.xml", "1a212a2cc670100"),
            (GetParameterNames{"", true}));
  EXPECT_EQ(body<GetParameterNames>("acs-GetParameterNames-nextlevel-0.xml", "1a212a35f810000"),
            (GetParameterNames{
                "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1."
                "PortMapping.",
                false}));
  EXPECT_EQ(body<GetParameterNames>("acs-GetParameterNames-nextlevel-1.xml", "1a212a2194b0000"),
            (GetParameterNames{"InternetGatewayDevice.", true}));
}

TEST(GenieAcsCorpus, GetParameterValuesKeepsEveryNameInOrder) {
  REQUIRE_CORPUS();
  EXPECT_EQ(
      body<GetParameterValues>("acs-GetParameterValues-1.xml", "1a212a2194b0006").parameterNames,
      (std::vector<std::string>{
          "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.MACAddress"}));
  const auto m18 = body<GetParameterValues>("acs-GetParameterValues-18.xml", "1a212a2194b0013");
  ASSERT_EQ(m18.parameterNames.size(), 18u);
  EXPECT_EQ(m18.parameterNames.front(), "InternetGatewayDevice.LANDevice.1.Hosts.Host.1.HostName");
  EXPECT_EQ(m18.parameterNames.back(), "InternetGatewayDevice.LANDevice.1.Hosts.Host.6.MACAddress");
}

TEST(GenieAcsCorpus, AcsResponsesDecode) {
  REQUIRE_CORPUS();
  EXPECT_EQ(body<GetRPCMethodsResponse>("acs-GetRPCMethodsResponse.xml", "cpe-2").methodList,
            (std::vector<std::string>{"Inform", "GetRPCMethods", "TransferComplete"}));
  EXPECT_EQ(body<InformResponse>("acs-InformResponse.xml", "hcrd70un").maxEnvelopes, 1u);
  body<TransferCompleteResponse>("acs-TransferCompleteResponse.xml", "spn9a1j2");
}

TEST(GenieAcsCorpus, InformResponsesReportTheNamespaceTheAcsUsed) {
  REQUIRE_CORPUS();
  EXPECT_EQ(load("acs-InformResponse.xml").ns, CwmpNamespace::V1_0);
  EXPECT_EQ(load("acs-InformResponse-cwmp-1-2.xml").ns, CwmpNamespace::V1_2);
  EXPECT_EQ(load("acs-InformResponse-cwmp-1-3.xml").ns, CwmpNamespace::V1_3);
  EXPECT_EQ(body<InformResponse>("acs-InformResponse-cwmp-1-2.xml", "cpe-1").maxEnvelopes, 1u);
}

TEST(GenieAcsCorpus, SetParameterAttributesAcceptsAnEmptyNotificationWhenUnchanged) {
  REQUIRE_CORPUS();
  const auto m = body<SetParameterAttributes>("acs-SetParameterAttributes.xml", "1a212a46de00001");
  const std::vector<SetParameterAttributesStruct> expected = {
      {"InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID",
       false,
       0,
       true,
       {"Subscriber", "X_CORPUS_Other"}},
      {"InternetGatewayDevice.ManagementServer.PeriodicInformInterval", true, 2, false, {}},
      {"InternetGatewayDevice.DeviceInfo.SoftwareVersion", true, 1, true, {"Subscriber"}}};
  EXPECT_EQ(m.parameterList, expected);
}

using Pvs = std::vector<ParameterValueStruct>;

TEST(GenieAcsCorpus, SetParameterValuesKeepValuesTypesAndOrder) {
  REQUIRE_CORPUS();
  const std::string igd = "InternetGatewayDevice.";
  EXPECT_EQ(
      body<SetParameterValues>("acs-SetParameterValues-boolean-numeric-dateTime-nomillis.xml",
                               "1a212a6ab800000"),
      (SetParameterValues{
          Pvs{{igd + "LANDevice.1.WLANConfiguration.1.Enable", "1", "xsd:boolean"},
              {igd + "ManagementServer.PeriodicInformTime", "2026-03-04T05:06:07Z", "xsd:dateTime"},
              {igd + "ManagementServer.X_HUAWEI_SSLCertEnable", "0", "xsd:boolean"}},
          ""}));
  EXPECT_EQ(
      body<SetParameterValues>("acs-SetParameterValues-boolean.xml", "1a212a3092a0001"),
      (SetParameterValues{
          Pvs{{igd + "ManagementServer.X_HUAWEI_SSLCertEnable", "true", "xsd:boolean"}}, ""}));
  EXPECT_EQ(body<SetParameterValues>("acs-SetParameterValues-dateTime.xml", "1a212a332af0000"),
            (SetParameterValues{Pvs{{igd + "ManagementServer.PeriodicInformTime",
                                     "2026-01-02T03:04:05.000Z", "xsd:dateTime"}},
                                ""}));
  EXPECT_EQ(
      body<SetParameterValues>("acs-SetParameterValues-inform-provision.xml", "1a212a2194b0017"),
      (SetParameterValues{
          Pvs{{igd + "ManagementServer.ConnectionRequestUsername", "202BC1-BM632w-004242",
               "xsd:string"},
              {igd + "ManagementServer.ConnectionRequestPassword", "2fh6g79ncks", "xsd:string"},
              {igd + "ManagementServer.PeriodicInformTime", "1970-01-01T18:13:22.857Z",
               "xsd:dateTime"}},
          ""}));
  EXPECT_EQ(
      body<SetParameterValues>("acs-SetParameterValues-int.xml", "1a212a328770002"),
      (SetParameterValues{
          Pvs{{igd + "DeviceInfo.X_HUAWEI_ServiceManage.TelnetPort", "2323", "xsd:int"}}, ""}));
  EXPECT_EQ(body<SetParameterValues>("acs-SetParameterValues-multi.xml", "1a212a347220003"),
            (SetParameterValues{
                Pvs{{igd + "LANDevice.1.WLANConfiguration.1.Channel", "11", "xsd:int"},
                    {igd + "LANDevice.1.WLANConfiguration.1.Enable", "false", "xsd:boolean"},
                    {igd + "LANDevice.1.WLANConfiguration.1.SSID", "corpus-multi", "xsd:string"},
                    {igd + "ManagementServer.PeriodicInformEnable", "false", "xsd:boolean"},
                    {igd + "ManagementServerConfig.UpdateFlag", "7", "xsd:unsignedInt"}},
                ""}));
  EXPECT_EQ(body<SetParameterValues>("acs-SetParameterValues-string-empty.xml", "1a212a33ce80000"),
            (SetParameterValues{
                Pvs{{igd + "LANDevice.1.WLANConfiguration.1.SSID", "", "xsd:string"}}, ""}));
  EXPECT_EQ(
      body<SetParameterValues>("acs-SetParameterValues-string-escaped.xml", "1a212a2f4c20000"),
      (SetParameterValues{Pvs{{igd + "LANDevice.1.WLANConfiguration.1.SSID",
                               "Corpus SSID <&>\"' \xC3\xA9", "xsd:string"}},
                          ""}));
  EXPECT_EQ(
      body<SetParameterValues>("acs-SetParameterValues-unsignedInt.xml", "1a212a2fef80000"),
      (SetParameterValues{
          Pvs{{igd + "ManagementServer.PeriodicInformInterval", "3600", "xsd:unsignedInt"}}, ""}));
}

TEST(GenieAcsCorpus, SetParameterValuesInTheCwmp13NamespaceDecodes) {
  REQUIRE_CORPUS();
  const Envelope e = load("acs-SetParameterValues-cwmp-1-3.xml");
  EXPECT_EQ(e.ns, CwmpNamespace::V1_3);
  EXPECT_EQ(e.header.id, std::optional<std::string>("1a212a638f70003"));
  ASSERT_TRUE(std::holds_alternative<SetParameterValues>(e.body));
  const std::string ms = "Device.ManagementServer.";
  EXPECT_EQ(std::get<SetParameterValues>(e.body),
            (SetParameterValues{
                Pvs{{ms + "ConnectionRequestUsername", "00C0DE-CorpusCPE-CORPUS13", "xsd:string"},
                    {ms + "ConnectionRequestPassword", "akrnimfdyp", "xsd:string"},
                    {ms + "PeriodicInformEnable", "true", "xsd:boolean"},
                    {ms + "PeriodicInformInterval", "300", "xsd:unsignedInt"},
                    {ms + "PeriodicInformTime", "1970-01-01T02:06:55.442Z", "xsd:dateTime"}},
                ""}));
}

}  // namespace
}  // namespace cwmpd::core::soap

namespace cwmpd::core::soap {
namespace {

// CPE -> ACS messages of a non-conformant simulator: the decoder (which test ACSs use
// too) takes them as they are, e.g. an arrayType count that does not match.
TEST(GenieAcsSimulatorMessages, InformWithAWrongArrayCountDecodesWithEveryEntry) {
  REQUIRE_CORPUS();
  const Envelope e = load("cpe-genieacs-sim/sim-Inform-6-CONNECTION-REQUEST.xml");
  ASSERT_TRUE(std::holds_alternative<Inform>(e.body));
  const auto& inform = std::get<Inform>(e.body);
  EXPECT_EQ(inform.deviceId,
            (DeviceIdStruct{"Huawei Technologies Co., Ltd.", "202BC1", "BM632w", "004242"}));
  EXPECT_EQ(inform.events, (std::vector<EventStruct>{{"6 CONNECTION REQUEST", ""}}));
  EXPECT_EQ(inform.maxEnvelopes, 1u);
  EXPECT_EQ(inform.currentTime, "2026-11-25T12:16:28.770Z");
  EXPECT_EQ(inform.retryCount, 0u);
  ASSERT_EQ(inform.parameterList.size(), 7u);
  EXPECT_EQ(inform.parameterList[3],
            (ParameterValueStruct{"InternetGatewayDevice.DeviceInfo.ProvisioningCode", "",
                                  "xsd:string"}));
}

TEST(GenieAcsSimulatorMessages, TransferCompleteAndGetParameterNamesResponseDecode) {
  REQUIRE_CORPUS();
  const Envelope tc = load("cpe-genieacs-sim/sim-TransferComplete.xml");
  ASSERT_TRUE(std::holds_alternative<TransferComplete>(tc.body));
  EXPECT_EQ(std::get<TransferComplete>(tc.body).fault, (TransferFaultStruct{0, ""}));
  const Envelope gpn = load("cpe-genieacs-sim/sim-GetParameterNamesResponse.xml");
  ASSERT_TRUE(std::holds_alternative<GetParameterNamesResponse>(gpn.body));
  const auto& list = std::get<GetParameterNamesResponse>(gpn.body).parameterList;
  ASSERT_EQ(list.size(), 20u);
  EXPECT_EQ(list[18], (ParameterInfoStruct{"InternetGatewayDevice.X_HUAWEI_FireWall.", true}));
}

}  // namespace
}  // namespace cwmpd::core::soap

// Issue 15 item 1: RpcDispatcher::decodeAndAnswer answers a GetParameterValues while it is
// parsed (names resolved as they come, never kept). The session sends whatever this gives:
// it must be byte for byte what decode() then handle() gave, for every request GenieACS
// sent (../shared/corpus/genieacs) and for the lists ACSs build after a GetParameterNames,
// faults included (9005 for an unknown name anywhere, before any value).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/rpc_dispatcher.hpp"
#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"
#include "schema_validator.hpp"
#include "test_support.hpp"

namespace soap = cwmpd::core::soap;
namespace fs = std::filesystem;
using cwmpd::core::Engine;
using cwmpd::core::RpcDispatcher;
using cwmpd::core::Store;
using cwmpd::sdk::Source;

namespace {

// What the session engine sends for a decoded message it must answer (session_exchange.cpp),
// or "refused: ..." for hostile input it answers by closing.
std::string reply(RpcDispatcher& rpc, const soap::DecodeResult& r,
                  std::optional<soap::Body> answer) {
  soap::Envelope out;
  if (!r.ok()) {
    const auto& e = r.error();
    if (e.kind == soap::DecodeError::Kind::Refused) return "refused: " + e.message;
    out.ns = e.ns;
    out.header.id = e.id;
    out.body = soap::toSoapFault(e);
    return soap::encode(out);
  }
  const auto& m = r.envelope();
  out.ns = m.ns;
  out.header.id = m.header.id;
  if (!m.header.unknownMustUnderstand.empty())
    out.body = soap::mustUnderstandFault(m.header.unknownMustUnderstand);
  else
    out.body = answer ? std::move(*answer) : rpc.handle(m.body);
  return soap::encode(out);
}

struct StreamedValues : ::testing::TestWithParam<std::string> {
  cwmpd::testing::TempDir dir;
  Store store{dir.file("m.db")};
  std::unique_ptr<Engine> engine;
  std::unique_ptr<RpcDispatcher> rpc;
  soap::DecodeLimits limits;

  void SetUp() override {
    engine = std::make_unique<Engine>(GetParam(), store);
    engine->addDefinitions(cwmpd::testing::testModel());
    engine->finalize();
    if (GetParam() == "Device")
      for (int i = 0; i < 3; ++i) engine->addObject("Device.Test.Item.", Source::Acs);
    rpc = std::make_unique<RpcDispatcher>(*engine);
    rpc->provide<soap::Reboot>([](const soap::Reboot&) { return soap::RebootResponse{}; });
  }

  // Both ways; expects the same bytes and the same decoded header. Returns them.
  std::string both(const std::string& payload, bool expectStreamed) {
    const soap::DecodeResult old = soap::decode(payload, limits);
    const std::string before = reply(*rpc, old, std::nullopt);
    RpcDispatcher::Decoded now = rpc->decodeAndAnswer(payload, limits);
    EXPECT_EQ(now.answer.has_value(), expectStreamed);
    EXPECT_EQ(old.ok(), now.result.ok());
    if (old.ok() && now.result.ok()) {
      EXPECT_EQ(old.envelope().header, now.result.envelope().header);
    }
    const std::string after = reply(*rpc, now.result, std::move(now.answer));
    EXPECT_EQ(before, after);
    return after;
  }

  std::vector<std::string> allParameters() {
    std::vector<std::string> out;
    for (const auto& i : engine->getNames("", false))
      if (i.name.back() != '.') out.push_back(i.name);
    return out;
  }
};

fs::path corpusDir() {
  const char* env = std::getenv("CWMPD_CORPUS_DIR");
  return fs::path(env != nullptr && *env != '\0' ? env : CWMPD_DEFAULT_CORPUS_DIR) / "genieacs";
}

std::string gpv(const std::vector<std::string>& names, const std::string& header = "") {
  std::string items;
  for (const auto& n : names) items += "<string>" + n + "</string>";
  return R"(<soap-env:Envelope xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">gpv-1</cwmp:ID>)" +
         header +
         R"(</soap-env:Header><soap-env:Body><cwmp:GetParameterValues><ParameterNames soap-enc:arrayType="xsd:string[)" +
         std::to_string(names.size()) + "]\">" + items +
         "</ParameterNames></cwmp:GetParameterValues></soap-env:Body></soap-env:Envelope>";
}

TEST_P(StreamedValues, EveryGenieAcsRequestIsAnsweredAsBefore) {
  if (!fs::exists(corpusDir())) GTEST_SKIP() << "GenieACS corpus not found";
  int requests = 0;
  for (const auto& entry : fs::directory_iterator(corpusDir())) {
    const std::string file = entry.path().filename().string();
    if (!file.starts_with("acs-") || entry.path().extension() != ".xml" ||
        file.find("Response") != std::string::npos || file.find("Fault") != std::string::npos)
      continue;
    SCOPED_TRACE(file);
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string payload = ss.str();
    // The lists of the four list requests are streamed (streamed_sets_test.cpp for the
    // sets and attributes, on two models).
    both(payload, payload.find("<cwmp:GetParameterValues>") != std::string::npos ||
                      payload.find("<cwmp:GetParameterAttributes>") != std::string::npos ||
                      payload.find("<cwmp:SetParameterValues>") != std::string::npos ||
                      payload.find("<cwmp:SetParameterAttributes>") != std::string::npos);
    ++requests;
  }
  EXPECT_GE(requests, 20);
}

// The lists below name the Device test model's rows: this one runs on that root only.
struct StreamedDeviceValues : StreamedValues {};

TEST_P(StreamedDeviceValues, NameListsAnswerAsBeforeFaultsIncluded) {
  std::vector<std::string> all = allParameters();
  ASSERT_GT(all.size(), 20u);
  const std::string whole = both(gpv(all), true);
  EXPECT_TRUE(cwmpd::test::bbfDir().empty() ||
              cwmpd::test::isValidCwmp(whole, "GetParameterValuesResponse"));
  EXPECT_NE(whole.find("<Name>" + all.back() + "</Name>"), std::string::npos);
  EXPECT_NE(whole.find("gpv-1</cwmp:ID>"), std::string::npos);

  // An unknown name anywhere: 9005 naming the first one, nothing else written.
  for (std::size_t at : {std::size_t{0}, all.size() / 2, all.size()}) {
    auto names = all;
    names.insert(names.begin() + static_cast<std::ptrdiff_t>(at), "Device.Test.Nope");
    names.push_back("Device.Test.Item.9.Alias");
    const std::string fault = both(gpv(names), true);
    EXPECT_NE(fault.find("<FaultCode>9005</FaultCode>"), std::string::npos) << fault;
    EXPECT_NE(fault.find("Device.Test.Nope"), std::string::npos);
    EXPECT_EQ(fault.find("ParameterValueStruct"), std::string::npos);
  }
  // Partial paths, the root, duplicates, a table, near misses of instance numbers.
  both(gpv({"Device.Test.Item.", "", "Device.Test.Name", "Device.Test.Name", "Device."}), true);
  both(gpv({"Device.Test.Item.1.Sub.", "Device.Test.Item.10.Alias"}), true);
  both(gpv({"Device.Test.Item.1", "Device.Test.Item.1.."}), true);
  both(gpv({"InternetGatewayDevice.Test.Name"}), true);
  both(gpv({}), true);
  both(gpv({"Device.Test.Name"}, "<cwmp:HoldRequests>1</cwmp:HoldRequests>"), true);
  // Not answered while decoded: a header entry we must but do not understand, broken
  // lists, limits.
  both(gpv({"Device.Test.Name"}, R"(<x:T xmlns:x="urn:x" soap-env:mustUnderstand="1">1</x:T>)"),
       false);
  both(gpv({"Device.Test.Name", "<a>"}), false);
  std::string cut = gpv(all);
  both(cut.substr(0, cut.size() / 2), false);
  limits.maxArrayItems = 5;
  both(gpv(all), false);
}

TEST_P(StreamedValues, TheNamesAreNotInTheDecodedRequest) {
  RpcDispatcher::Decoded d = rpc->decodeAndAnswer(gpv({"InternetGatewayDevice.Test.Name"}), limits);
  ASSERT_TRUE(d.result.ok());
  ASSERT_TRUE(d.answer.has_value());
  EXPECT_TRUE(std::get<soap::GetParameterValues>(d.result.envelope().body).parameterNames.empty());
  // Other requests are decoded as before and left to handle().
  d = rpc->decodeAndAnswer(
      R"(<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Body><cwmp:GetParameterNames><ParameterPath>Device.Test.</ParameterPath><NextLevel>1</NextLevel></cwmp:GetParameterNames></soap-env:Body></soap-env:Envelope>)",
      limits);
  ASSERT_TRUE(d.result.ok());
  EXPECT_FALSE(d.answer.has_value());
  EXPECT_EQ(std::get<soap::GetParameterNames>(d.result.envelope().body).parameterPath,
            "Device.Test.");
}

// The session hands back the buffer of the message it sent last: a GetParameterValues or
// GetParameterNames answer is written into it when it holds enough (its pages are already
// resident), with the same bytes as into a fresh one.
TEST_P(StreamedValues, AnAnswerIsWrittenIntoTheLastAnswersBuffer) {
  const std::string root = GetParam() + ".";
  const std::string gpn =
      R"(<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Body><cwmp:GetParameterNames><ParameterPath>)" +
      root +
      R"(</ParameterPath><NextLevel>0</NextLevel></cwmp:GetParameterNames></soap-env:Body></soap-env:Envelope>)";
  const auto fresh = [&](const std::string& payload) {
    RpcDispatcher::Decoded d = rpc->decodeAndAnswer(payload, limits);
    return reply(*rpc, d.result, std::move(d.answer));
  };
  const std::string values = fresh(gpv({root})), names = fresh(gpn);

  std::string last;
  last.reserve(std::size_t{1} << 20);
  const char* pages = last.data();
  RpcDispatcher::Decoded d = rpc->decodeAndAnswer(gpv({root}), limits, nullptr, std::move(last));
  ASSERT_TRUE(d.answer.has_value());
  EXPECT_EQ(std::get<soap::GetParameterValuesResponse>(*d.answer).encoded.data(), pages);
  EXPECT_EQ(reply(*rpc, d.result, std::move(d.answer)), values);

  // GetParameterNames is answered by the handle() after the decode.
  last.reserve(std::size_t{1} << 20);
  pages = last.data();
  d = rpc->decodeAndAnswer(gpn, limits, nullptr, std::move(last));
  ASSERT_TRUE(d.result.ok());
  ASSERT_FALSE(d.answer.has_value());
  const soap::Body body = rpc->handle(d.result.envelope().body);
  EXPECT_EQ(std::get<soap::GetParameterNamesResponse>(body).encoded.data(), pages);
  EXPECT_EQ(reply(*rpc, d.result, body), names);
}

INSTANTIATE_TEST_SUITE_P(Roots, StreamedValues,
                         ::testing::Values("Device", "InternetGatewayDevice"));
INSTANTIATE_TEST_SUITE_P(Roots, StreamedDeviceValues, ::testing::Values("Device"));

}  // namespace

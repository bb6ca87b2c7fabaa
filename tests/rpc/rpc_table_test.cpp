// The one table of RPCs (core/src/rpc/rpc_table.hpp): GetRPCMethods, the dispatcher and
// the codec all follow it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/rpc_dispatcher.hpp"
#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "rpc/rpc_table.hpp"
#include "schema_validator.hpp"
#include "test_support.hpp"

namespace soap = cwmpd::core::soap;
namespace rpc = cwmpd::core::rpc;
using cwmpd::core::Engine;
using cwmpd::core::RpcDispatcher;
using cwmpd::core::Store;

namespace {

// The names of the table's listed CPE methods, in order; only those the dispatcher
// answers itself unless `withAgent`.
std::vector<std::string> listedRows(bool withAgent) {
  std::vector<std::string> out;
  rpc::forEachRow(rpc::kCpeMethods, [&](const auto& row) {
    if (row.listed && (withAgent || row.handler == rpc::Handler::Model)) out.emplace_back(row.name);
  });
  return out;
}

struct RpcTable : ::testing::Test {
  cwmpd::testing::TempDir dir;
  Store store{dir.file("m.db")};
  std::unique_ptr<Engine> engine;
  std::unique_ptr<RpcDispatcher> rpc;

  void SetUp() override {
    engine = std::make_unique<Engine>("Device", store);
    engine->addDefinitions(cwmpd::testing::testModel());
    engine->finalize();
    rpc = std::make_unique<RpcDispatcher>(*engine);
  }
  // Every method the agent answers gets a handler that returns its empty response.
  void provideEveryAgentMethod() {
    rpc::forEachRow(rpc::kCpeMethods, [&](const auto& row) {
      using Row = std::decay_t<decltype(row)>;
      if (row.handler == rpc::Handler::Agent)
        rpc->provide<typename Row::RequestType>(
            [](const typename Row::RequestType&) { return typename Row::ResponseType{}; });
    });
  }
  std::vector<std::string> getRpcMethods() {
    auto answer = rpc->handle(soap::GetRPCMethods{});
    auto* r = std::get_if<soap::GetRPCMethodsResponse>(&answer);
    EXPECT_NE(r, nullptr);
    return r ? r->methodList : std::vector<std::string>{};
  }
};

TEST_F(RpcTable, GetRpcMethodsListsExactlyTheListedRowsTheAgentCanAnswer) {
  EXPECT_EQ(getRpcMethods(), listedRows(false));
  provideEveryAgentMethod();
  EXPECT_EQ(getRpcMethods(), listedRows(true));
  rpc->provideVendor("X_0000C0_Ping",
                     [](const soap::VendorMethod&) { return soap::VendorMethodResponse{}; });
  auto expected = listedRows(true);
  expected.emplace_back("X_0000C0_Ping");
  EXPECT_EQ(getRpcMethods(), expected);
}

TEST_F(RpcTable, AnAgentMethodWithoutItsHandlerAnswers9000AndWithItTheHandlersResponse) {
  rpc::forEachRow(rpc::kCpeMethods, [&](const auto& row) {
    using Row = std::decay_t<decltype(row)>;
    if (row.handler != rpc::Handler::Agent) return;
    auto answer = rpc->handle(typename Row::RequestType{});
    auto* f = std::get_if<soap::Fault>(&answer);
    ASSERT_NE(f, nullptr) << row.name;
    EXPECT_EQ(f->code, 9000) << row.name;
    EXPECT_EQ(f->message, "Method not supported: " + std::string(row.name));
  });
  provideEveryAgentMethod();
  // Reboot's CommandKey is still checked by the dispatcher (TR-069 A.3.2.1).
  auto tooLong = rpc->handle(soap::Reboot{std::string(33, 'k')});
  ASSERT_TRUE(std::holds_alternative<soap::Fault>(tooLong));
  EXPECT_EQ(std::get<soap::Fault>(tooLong).code, 9003);
  EXPECT_TRUE(std::holds_alternative<soap::RebootResponse>(rpc->handle(soap::Reboot{"k"})));
  EXPECT_TRUE(std::holds_alternative<soap::GetQueuedTransfersResponse>(
      rpc->handle(soap::GetQueuedTransfers{})));
}

TEST_F(RpcTable, AcsMethodsAndResponsesAreNotCpeMethods) {
  rpc::forEachRow(rpc::kAcsMethods, [&](const auto& row) {
    using Row = std::decay_t<decltype(row)>;
    auto answer = rpc->handle(typename Row::RequestType{});
    auto* f = std::get_if<soap::Fault>(&answer);
    ASSERT_NE(f, nullptr) << row.name;
    EXPECT_EQ(f->code, 9000);
    EXPECT_EQ(f->message, "Not a CPE method: " + std::string(row.name));
  });
}

TEST(RpcTableCodec, EachRowNamesItsRequestAndItsResponseElement) {
  rpc::forEachMethod([&](const auto& row) {
    using Row = std::decay_t<decltype(row)>;
    EXPECT_EQ(soap::methodName(typename Row::RequestType{}), row.name);
    EXPECT_EQ(soap::methodName(typename Row::ResponseType{}), std::string(row.name) + "Response");
    soap::Envelope e;
    e.body = typename Row::ResponseType{};
    EXPECT_NE(soap::encode(e).find("<cwmp:" + std::string(row.name) + "Response>"),
              std::string::npos)
        << row.name;
  });
}

TEST(RpcTableCodec, TheDecoderReadsEveryRowsElementsAsItsTypes) {
  // Responses without arguments and the argument-free requests decode from their bare
  // element; the rest are covered by the round-trip tests of tests/soap.
  auto decodesAs = [](const std::string& element, std::size_t index) {
    const auto r = soap::decode(
        R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soap:Body><cwmp:)" +
        element + "/></soap:Body></soap:Envelope>");
    return r.ok() && r.envelope().body.index() == index;
  };
  EXPECT_TRUE(decodesAs("GetRPCMethods", soap::Body(soap::GetRPCMethods{}).index()));
  EXPECT_TRUE(
      decodesAs("GetAllQueuedTransfers", soap::Body(soap::GetAllQueuedTransfers{}).index()));
  EXPECT_TRUE(
      decodesAs("CancelTransferResponse", soap::Body(soap::CancelTransferResponse{}).index()));
  EXPECT_TRUE(
      decodesAs("TransferCompleteResponse", soap::Body(soap::TransferCompleteResponse{}).index()));
  EXPECT_TRUE(decodesAs("AutonomousDUStateChangeCompleteResponse",
                        soap::Body(soap::AutonomousDUStateChangeCompleteResponse{}).index()));
  EXPECT_FALSE(decodesAs("GetRPCMethodz", soap::Body(soap::GetRPCMethods{}).index()));
}

// The schema file of a CWMP version, read whole.
std::string schema(rpc::CwmpVersion v) {
  std::ifstream in(cwmpd::test::bbfDir() + "/cwmp-1-" + std::to_string(static_cast<int>(v)) +
                   ".xsd");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(RpcTableSchemas, EachMethodAppearsFirstInTheSchemaOfItsSinceVersion) {
  CWMPD_REQUIRE_BBF_SCHEMAS();
  // cwmp-1-3 and cwmp-1-4 only redefine types of cwmp-1-2: no method came after 1.2.
  const std::string v10 = schema(rpc::CwmpVersion::V1_0), v11 = schema(rpc::CwmpVersion::V1_1),
                    v12 = schema(rpc::CwmpVersion::V1_2);
  ASSERT_FALSE(v10.empty() || v11.empty() || v12.empty());
  auto declares = [](const std::string& xsd, std::string_view name) {
    return xsd.find("<xs:element name=\"" + std::string(name) + "\"") != std::string::npos;
  };
  rpc::forEachMethod([&](const auto& row) {
    const std::string* first = row.since == rpc::CwmpVersion::V1_0   ? &v10
                               : row.since == rpc::CwmpVersion::V1_1 ? &v11
                                                                     : &v12;
    EXPECT_TRUE(declares(*first, row.name)) << row.name;
    EXPECT_TRUE(declares(*first, std::string(row.name) + "Response")) << row.name;
    if (row.since >= rpc::CwmpVersion::V1_1) {
      EXPECT_FALSE(declares(v10, row.name)) << row.name;
    }
    if (row.since >= rpc::CwmpVersion::V1_2) {
      EXPECT_FALSE(declares(v11, row.name)) << row.name;
    }
  });
}

}  // namespace

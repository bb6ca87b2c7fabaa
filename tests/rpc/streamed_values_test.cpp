// Issue 15 item 1: RpcDispatcher::decodeAndAnswer answers a GetParameterValues while it is
// parsed (names resolved as they come, never kept). The session sends whatever this gives:
// it must be byte for byte what decode() then handle() gave, for every request GenieACS
// sent (../shared/corpus/genieacs) and for the lists ACSs build after a GetParameterNames,
// faults included (9005 for an unknown name anywhere, before any value).
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/rpc_dispatcher.hpp"
#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"
#include "heap_in_use.hpp"
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

// The parameter: the model's root, and "/threaded" when decodeAndAnswer parses every
// request on its second thread (RpcDispatcher::setParseThreadFrom(0)); without it, never.
std::string rootOf(const std::string& param) { return param.substr(0, param.find('/')); }
bool threadedIn(const std::string& param) { return param.ends_with("/threaded"); }

struct StreamedValues : ::testing::TestWithParam<std::string> {
  cwmpd::testing::TempDir dir;
  Store store{dir.file("m.db")};
  std::unique_ptr<Engine> engine;
  std::unique_ptr<RpcDispatcher> rpc;
  soap::DecodeLimits limits;
  const std::string root = rootOf(GetParam());

  void SetUp() override {
    engine = std::make_unique<Engine>(root, store);
    engine->addDefinitions(cwmpd::testing::testModel());
    engine->finalize();
    if (root == "Device")
      for (int i = 0; i < 3; ++i) engine->addObject("Device.Test.Item.", Source::Acs);
    rpc = std::make_unique<RpcDispatcher>(*engine);
    rpc->setParseThreadFrom(threadedIn(GetParam()) ? 0 : std::numeric_limits<std::size_t>::max());
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
    // The text handed over as the session does (its pages may be given back as it is
    // parsed): the same bytes, faults and late errors included.
    std::string text = payload;
    RpcDispatcher::Decoded handed = rpc->decodeAndAnswer(text, limits, &text);
    EXPECT_EQ(reply(*rpc, handed.result, std::move(handed.answer)), before);
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
  const std::string top = root + ".";
  const std::string gpn =
      R"(<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Body><cwmp:GetParameterNames><ParameterPath>)" +
      top +
      R"(</ParameterPath><NextLevel>0</NextLevel></cwmp:GetParameterNames></soap-env:Body></soap-env:Envelope>)";
  const auto fresh = [&](const std::string& payload) {
    RpcDispatcher::Decoded d = rpc->decodeAndAnswer(payload, limits);
    return reply(*rpc, d.result, std::move(d.answer));
  };
  const std::string values = fresh(gpv({top})), names = fresh(gpn);

  std::string last;
  last.reserve(std::size_t{1} << 20);
  const char* pages = last.data();
  RpcDispatcher::Decoded d = rpc->decodeAndAnswer(gpv({top}), limits, nullptr, std::move(last));
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

// Lists long enough to cross many of the parse thread's batches and to fill its queue
// (the worker waits for the parse and the parse for the worker): the same bytes as the
// single-thread path, and the message's own errors late in the body still win over the
// names' (the half-written answer is dropped).
TEST_P(StreamedDeviceValues, LongListsAnswerAsBeforeFaultsAndLimitsIncluded) {
  const std::vector<std::string> all = allParameters();
  std::vector<std::string> names;
  while (names.size() < 5000) names.insert(names.end(), all.begin(), all.end());
  const std::string whole = both(gpv(names), true);
  EXPECT_NE(whole.find("<Name>" + all.back() + "</Name>"), std::string::npos);

  for (std::size_t at : {std::size_t{0}, std::size_t{300}, names.size() / 2, names.size()}) {
    auto withUnknown = names;
    withUnknown.insert(withUnknown.begin() + static_cast<std::ptrdiff_t>(at), "Device.Test.Nope");
    const std::string fault = both(gpv(withUnknown), true);
    EXPECT_NE(fault.find("<FaultCode>9005</FaultCode>"), std::string::npos) << at;
    EXPECT_EQ(fault.find("ParameterValueStruct"), std::string::npos);
  }
  // Where an item starts, near the end of the list.
  const auto late = [](const std::string& m) { return m.rfind("<string>", m.size() - 200); };
  // An unknown name early, then a document that breaks near its end: 9003, not 9005.
  auto early = names;
  early.insert(early.begin() + 10, "Device.Test.Nope");
  std::string broken = gpv(early);
  broken.insert(late(broken), "<string>a</strin>");
  EXPECT_NE(both(broken, false).find("<FaultCode>9003</FaultCode>"), std::string::npos);
  // The body cut short, an entity, nesting deeper than the limit: each late in the list.
  const std::string full = gpv(names);
  both(full.substr(0, full.size() - 300), false);
  std::string entity = full;
  entity.insert(late(entity), "<string>&x;</string>");
  both(entity, false);
  std::string deep = full;
  std::string nest;
  for (int i = 0; i < 40; ++i) nest += "<a>";
  deep.insert(late(deep), "<string>" + nest);
  const std::string deepReply = both(deep, false);
  EXPECT_NE(deepReply.find("refused"), std::string::npos) << deepReply.substr(0, 600);
  // More items than the array limit, found at the end.
  limits.maxArrayItems = names.size() - 1;
  EXPECT_NE(both(full, false).find("<FaultCode>9004</FaultCode>"), std::string::npos);
  limits.maxArrayItems = names.size();
  both(full, true);
}

// A model whose name list throws (as an allocation that fails would) at its `failAt`th
// name, and that cannot write an answer as the names come (DataModel's defaults).
class FailingNames final : public cwmpd::core::DataModel {
 public:
  FailingNames(Engine& engine, std::size_t failAt) : failAt_(failAt), e_(engine) {}
  std::vector<cwmpd::core::ParameterValue> getValues(const std::vector<std::string>& n) override {
    return e_.getValues(n);
  }
  int setValues(const std::vector<std::pair<std::string, std::string>>& v, Source s,
                const std::optional<std::string>& k) override {
    return e_.setValues(v, s, k);
  }
  std::vector<cwmpd::core::ParameterInfo> getNames(std::string_view p, bool next) override {
    return e_.getNames(p, next);
  }
  std::vector<cwmpd::core::ParameterAttributes> getAttributes(
      const std::vector<std::string>& n) override {
    return e_.getAttributes(n);
  }
  void setAttributes(const std::vector<cwmpd::core::AttributeUpdate>& u) override {
    e_.setAttributes(u);
  }
  std::uint32_t addObject(std::string_view p, Source s,
                          const std::optional<std::string>& k) override {
    return e_.addObject(p, s, k);
  }
  void deleteObject(std::string_view p, Source s, const std::optional<std::string>& k) override {
    e_.deleteObject(p, s, k);
  }
  void addChangeListener(ChangeListener l) override { e_.addChangeListener(std::move(l)); }
  const std::string& root() const override { return e_.root(); }
  std::vector<cwmpd::core::ParameterDefinitionInfo> definitions() const override {
    return e_.definitions();
  }
  std::vector<std::string> forcedInformParameters() override { return e_.forcedInformParameters(); }
  std::unique_ptr<NameList> newNameList() override {
    if (onNewList) onNewList();
    if (failAt_ == 0) return DataModel::newNameList();
    struct Failing final : NameList {
      explicit Failing(std::size_t at) : left(at) {}
      void add(std::string_view) override {
        if (--left == 0) throw std::runtime_error("no memory for the names");
      }
      std::size_t left;
    };
    return std::make_unique<Failing>(failAt_);
  }
  std::size_t failAt_;
  std::function<void()> onNewList;  // called on the thread that answers

 private:
  Engine& e_;
};

// The CPUs thread `tid` of this process may run on.
cpu_set_t cpusOf(pid_t tid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(tid, sizeof(set), &set) != 0) throw std::runtime_error("sched_getaffinity");
  return set;
}
std::vector<pid_t> threadsOfThisProcess() {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc/self/task"))
    out.push_back(static_cast<pid_t>(std::stoi(e.path().filename().string())));
  return out;
}

// Issue 15 item 3: the text of a large list, handed over as the session does, is given
// back as it is parsed: its pages read as zeros once the answer is written (they were
// resident at the answer's peak, a megabyte at 20,000 names), and the answer is the same.
TEST_P(StreamedDeviceValues, TheRequestsTextIsGivenBackAsItIsParsed) {
  const std::vector<std::string> all = allParameters();
  std::vector<std::string> names;
  while (names.size() < 40000) names.insert(names.end(), all.begin(), all.end());
  const std::string payload = gpv(names);
  ASSERT_GT(payload.size(), std::size_t{1} << 20);
  const std::string expected = reply(*rpc, soap::decode(payload, limits), std::nullopt);
  std::string text = payload;
  RpcDispatcher::Decoded d = rpc->decodeAndAnswer(text, limits, &text);
  ASSERT_EQ(text.size(), payload.size());
  const auto zeros = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\0'));
  EXPECT_GT(zeros, payload.size() * 3 / 4);
  EXPECT_EQ(text.substr(0, 64), payload.substr(0, 64));  // the first page stays
  EXPECT_EQ(reply(*rpc, d.result, std::move(d.answer)), expected);

  // Without the text, nothing of the caller's string is touched.
  text = payload;
  d = rpc->decodeAndAnswer(text, limits);
  EXPECT_EQ(text, payload);
}

// Issue 15 item 3: a list answered as its names come (visitNewValues) holds only what came
// since its last visit: 40,000 names added and visited 256 at a time (the parse thread's
// batches) leave the heap in use within 64 KiB of where it was; kept, their locations
// were 32 bytes a name (1.25 MB), resident at the answer's peak.
TEST_P(StreamedDeviceValues, AListAnsweredAsItComesForgetsWhatItVisited) {
  const std::vector<std::string> all = allParameters();
  std::vector<std::string> names;
  while (names.size() < 40000) names.insert(names.end(), all.begin(), all.end());
  std::size_t visited = 0;
  std::string last;
  const auto visit = [&](std::string_view object, std::string_view leaf, cwmpd::sdk::ParamType,
                         std::string_view) {
    ++visited;
    last.assign(object);
    last += leaf;
  };
  auto list = engine->newNameList();
  const std::size_t before = cwmpd::test::heapInUse();
  std::size_t grew = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    list->add(names[i]);
    if ((i + 1) % 256 != 0 && i + 1 != names.size()) continue;
    ASSERT_EQ(engine->visitNewValues(*list, visit), cwmpd::core::DataModel::NewValues::Visited);
    const std::size_t now = cwmpd::test::heapInUse();
    grew = std::max(grew, now > before ? now - before : 0);
  }
  EXPECT_EQ(visited, names.size());
  EXPECT_EQ(last, names.back());
  EXPECT_LT(grew, std::size_t{64} * 1024);
}

// The session's thread failing while the parse goes on: the exception leaves
// decodeAndAnswer as on the single-thread path, the parse thread is stopped and joined
// (nothing leaks: the sanitizer build runs this), and the next request is answered.
TEST_P(StreamedDeviceValues, AFailingWorkerStopsTheParseAndTheNextRequestIsAnswered) {
  const std::vector<std::string> all = allParameters();
  std::vector<std::string> names;
  while (names.size() < 5000) names.insert(names.end(), all.begin(), all.end());
  FailingNames model(*engine, 600);
  RpcDispatcher failing(model);
  failing.setParseThreadFrom(threadedIn(GetParam()) ? 0 : std::numeric_limits<std::size_t>::max());
  EXPECT_THROW((void)failing.decodeAndAnswer(gpv(names), limits), std::runtime_error);
  model.failAt_ = 0;  // the default list, written once the list is complete
  const std::string request = gpv(names);
  const soap::DecodeResult old = soap::decode(request, limits);
  RpcDispatcher::Decoded d = failing.decodeAndAnswer(request, limits);
  ASSERT_TRUE(d.answer.has_value());
  EXPECT_EQ(reply(failing, d.result, std::move(d.answer)), reply(*rpc, old, std::nullopt));
}

// The parse thread hands its batches over through a ring of a few slots, swapped with
// the worker's consumed ones: a list many times the ring (40,000 names, ~160 batches)
// answers what it answers unthreaded, and a worker failing at its first, a middle or its
// last batches (the parse thread may then be waiting for room, or done) stops the parse,
// and the next request is answered from batches reused after it.
TEST_P(StreamedDeviceValues, ALongListGoesRoundTheRingAndAFailingWorkerStopsItAnywhere) {
  const std::vector<std::string> all = allParameters();
  std::vector<std::string> names;
  while (names.size() < 40000) names.insert(names.end(), all.begin(), all.end());
  const std::string request = gpv(names);
  const std::string expected = both(request, true);
  EXPECT_NE(expected.find("<Name>" + all.back() + "</Name>"), std::string::npos);
  FailingNames model(*engine, 1);
  RpcDispatcher failing(model);
  failing.setParseThreadFrom(threadedIn(GetParam()) ? 0 : std::numeric_limits<std::size_t>::max());
  for (std::size_t at : {std::size_t{1}, std::size_t{257}, names.size() / 2, names.size() - 1}) {
    SCOPED_TRACE(at);
    model.failAt_ = at;
    EXPECT_THROW((void)failing.decodeAndAnswer(request, limits), std::runtime_error);
  }
  model.failAt_ = 0;
  RpcDispatcher::Decoded d = failing.decodeAndAnswer(request, limits);
  ASSERT_TRUE(d.answer.has_value());
  EXPECT_EQ(reply(failing, d.result, std::move(d.answer)), expected);
}

// The parse thread and the session's thread run on CPUs of their own while the parse runs
// (left to the scheduler, they were seen taking turns on one CPU with the other idle): the
// answering thread is held on its CPU, the parse thread kept off it, and the answering
// thread gets its CPUs back afterwards. Without a parse thread, or with one CPU allowed,
// nothing changes.
TEST_P(StreamedDeviceValues, TheParseThreadRunsOffTheAnsweringThreadsCpu) {
  // Many times the ring of batches: the parse thread is still there (waiting for room)
  // when the first batch is answered.
  const std::vector<std::string> all = allParameters();
  std::vector<std::string> names;
  while (names.size() < 40000) names.insert(names.end(), all.begin(), all.end());
  const std::string request = gpv(names);
  FailingNames model(*engine, 0);
  RpcDispatcher observed(model);
  const bool threaded = threadedIn(GetParam());
  observed.setParseThreadFrom(threaded ? 0 : std::numeric_limits<std::size_t>::max());
  const pid_t self = gettid();
  const cpu_set_t original = cpusOf(self);

  for (const bool oneCpu : {false, true}) {
    SCOPED_TRACE(oneCpu ? "one CPU allowed" : "every CPU allowed");
    cpu_set_t allowed = original;
    if (oneCpu) {
      CPU_ZERO(&allowed);
      for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &original)) {
          CPU_SET(c, &allowed);
          break;
        }
      ASSERT_EQ(sched_setaffinity(0, sizeof(allowed), &allowed), 0);
    }
    const bool split = threaded && CPU_COUNT(&allowed) >= 2;
    int calls = 0;
    model.onNewList = [&] {
      ++calls;
      const cpu_set_t mine = cpusOf(self);
      if (!split) {
        EXPECT_TRUE(CPU_EQUAL(&mine, &allowed));
        return;
      }
      ASSERT_EQ(CPU_COUNT(&mine), 1);
      cpu_set_t others = allowed;
      CPU_XOR(&others, &others, &mine);
      // The parse thread kept itself off this thread's CPU before its first batch.
      int keptOff = 0;
      for (pid_t t : threadsOfThisProcess()) {
        if (t == self) continue;
        const cpu_set_t theirs = cpusOf(t);
        if (CPU_EQUAL(&theirs, &others)) ++keptOff;
      }
      EXPECT_EQ(keptOff, 1);
    };
    RpcDispatcher::Decoded d = observed.decodeAndAnswer(request, limits);
    EXPECT_EQ(calls, 1);
    ASSERT_TRUE(d.answer.has_value());
    EXPECT_EQ(reply(observed, d.result, std::move(d.answer)), both(request, true));
    const cpu_set_t after = cpusOf(self);
    EXPECT_TRUE(CPU_EQUAL(&after, &allowed));
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof(original), &original), 0);
}

INSTANTIATE_TEST_SUITE_P(Roots, StreamedValues,
                         ::testing::Values("Device", "InternetGatewayDevice", "Device/threaded",
                                           "InternetGatewayDevice/threaded"));
INSTANTIATE_TEST_SUITE_P(Roots, StreamedDeviceValues,
                         ::testing::Values("Device", "Device/threaded"));

}  // namespace

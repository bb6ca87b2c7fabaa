// The data model engine on its own, in-process: the real engine, store, sim HAL and plugin
// host, every default plugin plus the synthetic one (Device.X_CWMPD_Synthetic.Item.{i}.,
// ten parameters per row). The benchmark argument is the number of synthetic parameters;
// the real plugins add their own few hundred (the "params" counter is the whole model).
//
// What is measured, and through which call:
//   - path resolution: Engine::exists(), the engine's lookup without reading a value, for a
//     full parameter name deep in the model, a partial path and a name that does not exist;
//     plus GetParameterValues of one name and of an unknown name (Fault 9005 thrown);
//   - GetParameterNames of the whole tree (NextLevel false) and of the root's next level;
//   - GetParameterValues of the whole tree, of the synthetic rows alone, and of each
//     top-level object (BM_GetValues_Subtree/<object>, on the 2,000 model);
//   - SetParameterValues of 1,000 writable synthetic parameters, one transaction (resolve,
//     type checks, phase 1/2 across plugins, store commit with fsync), values alternating
//     between two sets so that every iteration really changes all of them;
//   - the requests of issue 15 as the session's main loop handles them
//     (RpcDispatcher::decodeAndAnswer, then handle() when not answered yet): the SOAP
//     GetParameterValues listing every parameter name (decode, resolution, answer), and a
//     SetParameterValues of every writable synthetic parameter (decode, type checks,
//     apply, commit) (BM_Rpc_*).
#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cwmpd/core/config.hpp"
#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/log.hpp"
#include "cwmpd/core/plugin_host.hpp"
#include "cwmpd/core/rpc_dispatcher.hpp"
#include "cwmpd/core/store.hpp"
#include "cwmpd/hal/factory.hpp"

namespace {

namespace fs = std::filesystem;
using cwmpd::core::Engine;

constexpr int kParamsPerItem = 10;  // plugins/synthetic/model.xml
const std::string kTable = "Device.X_CWMPD_Synthetic.Item.";
constexpr int kSubtreeItems = 200;  // the model of BM_GetValues_Subtree (2,000 synthetic)

std::vector<std::string> pluginNames() {
  std::vector<std::string> out;
  std::istringstream in(CWMPD_BENCH_PLUGINS);
  for (std::string name; std::getline(in, name, ',');)
    if (!name.empty()) out.push_back(name);
  return out;
}

// One model of `items` synthetic rows, in its own state directory (store file + a copy of
// the sim data, which plugins may write to).
class Model {
 public:
  explicit Model(int items) {
    std::string tmpl = (fs::temp_directory_path() / "cwmpd-bench-model-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    fs::copy(CWMPD_SIM_DIR, dir_ / "sim", fs::copy_options::recursive);
    config_ = cwmpd::core::Config::parse(
        "[cpe]\nroot = Device\n[synthetic]\ninstances = " + std::to_string(items) + "\n",
        "bench.conf");
    store_ = std::make_unique<cwmpd::core::Store>((dir_ / "model.db").string());
    store_->load();
    cwmpd::hal::HalConfig hc;
    hc.backend = "sim";
    hc.simDir = (dir_ / "sim").string();
    hal_ = cwmpd::hal::makeHal(hc);
    engine_ = std::make_unique<Engine>("Device", *store_);
    host_ = std::make_unique<cwmpd::core::PluginHost>(
        *engine_, config_, *hal_,
        cwmpd::core::PluginHostServices{[](std::function<void()> f) { f(); },
                                        [](const std::string&, const std::string&) {}, &loop_});
    const auto names = pluginNames();
    if (host_->loadDirectory(CWMPD_PLUGIN_DIR, names) != names.size())
      throw std::runtime_error("not every plugin loaded: " + host_->lastError());
    engine_->finalize();
    host_->startAll();
    params_ = engine_->getValues({"Device."}).size();
  }
  ~Model() {
    host_->stopAll();
    engine_.reset();  // handlers die before their libraries unload
    host_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  Engine& engine() { return *engine_; }
  [[nodiscard]] std::size_t params() const { return params_; }
  [[nodiscard]] std::size_t storeEntries() const { return store_->size(); }

 private:
  fs::path dir_;
  // Plugins start their timers on it; it never runs: the benchmarks measure requests only.
  boost::asio::io_context loop_;
  cwmpd::core::Config config_;
  std::unique_ptr<cwmpd::core::Store> store_;
  std::unique_ptr<cwmpd::hal::Hal> hal_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<cwmpd::core::PluginHost> host_;
  std::size_t params_ = 0;
};

// Models are built once per size and kept for the whole run (building 100,000 parameters
// takes far longer than one measurement).
std::map<int, std::unique_ptr<Model>>& models() {
  static std::map<int, std::unique_ptr<Model>> all;
  return all;
}

int itemsOf(const benchmark::State& state) {
  return static_cast<int>(state.range(0)) / kParamsPerItem;
}

Model& modelFor(benchmark::State& state) {
  auto& slot = models()[itemsOf(state)];
  if (!slot) slot = std::make_unique<Model>(itemsOf(state));
  state.counters["params"] = static_cast<double>(slot->params());
  return *slot;
}

std::string lastItem(const benchmark::State& state) {
  return kTable + std::to_string(itemsOf(state)) + ".";
}

void sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("synthetic")->Arg(2000)->Arg(20000)->Arg(100000);
}

// ---------- path resolution ----------

void measureExists(benchmark::State& state, const std::string& path, bool expected) {
  Engine& engine = modelFor(state).engine();
  if (engine.exists(path) != expected) {
    state.SkipWithError(("unexpected existence of " + path).c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(engine.exists(path));
  state.SetItemsProcessed(state.iterations());
}

// A parameter of the last row: the longest walk (root, object, table row, parameter).
void BM_Resolve_FullPath(benchmark::State& state) {
  measureExists(state, lastItem(state) + "Address", true);
}
BENCHMARK(BM_Resolve_FullPath)->Apply(sizes);

void BM_Resolve_PartialPath(benchmark::State& state) {
  measureExists(state, lastItem(state), true);
}
BENCHMARK(BM_Resolve_PartialPath)->Apply(sizes);

// Fails only at the last segment, after the whole walk.
void BM_Resolve_UnknownName(benchmark::State& state) {
  measureExists(state, lastItem(state) + "NoSuchParameter", false);
}
BENCHMARK(BM_Resolve_UnknownName)->Apply(sizes);

// What a one-name GetParameterValues costs in the engine: resolve, read, build the result.
void BM_GetValues_OneParameter(benchmark::State& state) {
  Engine& engine = modelFor(state).engine();
  const std::vector<std::string> names{lastItem(state) + "Address"};
  for (auto _ : state) {
    auto values = engine.getValues(names);
    benchmark::DoNotOptimize(values);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetValues_OneParameter)->Apply(sizes);

// The 9005 path: resolution fails and the engine throws the Fault the RPC layer maps.
void BM_GetValues_UnknownName9005(benchmark::State& state) {
  Engine& engine = modelFor(state).engine();
  const std::vector<std::string> names{lastItem(state) + "NoSuchParameter"};
  for (auto _ : state) {
    try {
      auto values = engine.getValues(names);
      benchmark::DoNotOptimize(values);
      state.SkipWithError("an unknown name was accepted");
      break;
    } catch (const cwmpd::sdk::Fault& f) {
      if (f.code() != 9005) {
        state.SkipWithError("wrong fault code");
        break;
      }
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetValues_UnknownName9005)->Apply(sizes);

// ---------- whole tree ----------

void measureGetNames(benchmark::State& state, bool nextLevel) {
  Engine& engine = modelFor(state).engine();
  std::size_t count = 0;
  for (auto _ : state) {
    auto names = engine.getNames("Device.", nextLevel);
    count = names.size();
    benchmark::DoNotOptimize(names);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
  state.counters["names"] = static_cast<double>(count);
}

void BM_GetNames_WholeTree(benchmark::State& state) { measureGetNames(state, false); }
BENCHMARK(BM_GetNames_WholeTree)->Apply(sizes)->Unit(benchmark::kMillisecond);

void BM_GetNames_NextLevelRoot(benchmark::State& state) { measureGetNames(state, true); }
BENCHMARK(BM_GetNames_NextLevelRoot)->Apply(sizes);

void measureGetValues(benchmark::State& state, Engine& engine, const std::string& path) {
  const std::vector<std::string> names{path};
  std::size_t count = 0;
  for (auto _ : state) {
    auto values = engine.getValues(names);
    count = values.size();
    benchmark::DoNotOptimize(values);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
  state.counters["values"] = static_cast<double>(count);
}

void BM_GetValues_WholeTree(benchmark::State& state) {
  measureGetValues(state, modelFor(state).engine(), "Device.");
}
BENCHMARK(BM_GetValues_WholeTree)->Apply(sizes)->Unit(benchmark::kMillisecond);

// Only the synthetic rows: the engine's own per-parameter cost, without the real plugins'
// getters (which read the sim HAL's files on every call).
void BM_GetValues_SyntheticSubtree(benchmark::State& state) {
  measureGetValues(state, modelFor(state).engine(), kTable);
}
BENCHMARK(BM_GetValues_SyntheticSubtree)->Apply(sizes)->Unit(benchmark::kMillisecond);

// Each top-level object of the 2,000 model on its own (registered at run time from the
// root's next level): where the fixed part of a whole-tree read goes.
void measureSubtree(benchmark::State& state, const std::string& path) {
  measureGetValues(state, models().at(kSubtreeItems)->engine(), path);
}

void registerSubtrees() {
  auto& slot = models()[kSubtreeItems];
  if (!slot) slot = std::make_unique<Model>(kSubtreeItems);
  for (const auto& info : slot->engine().getNames("Device.", true)) {
    if (info.name.empty() || info.name.back() != '.') continue;  // objects only
    benchmark::RegisterBenchmark(("BM_GetValues_Subtree/" + info.name).c_str(), measureSubtree,
                                 info.name)
        ->Unit(benchmark::kMicrosecond);
  }
}

// ---------- two-phase set ----------

// The five writable parameters of `rows` rows (1,000 for 200 rows); `variant` 0 or 1 gives
// two value sets that differ in every parameter.
std::vector<std::pair<std::string, std::string>> writes(int rows, int variant) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 1; i <= rows; ++i) {
    const std::string row = kTable + std::to_string(i) + ".";
    const std::string n = std::to_string(i);
    out.emplace_back(row + "Name", (variant ? "beta-" : "alpha-") + n);
    out.emplace_back(row + "Offset", std::to_string(variant ? -i : i));
    out.emplace_back(row + "Enable", variant ? "false" : "true");
    out.emplace_back(row + "Timestamp", variant ? "2026-06-01T12:00:00Z" : "2026-01-01T00:00:00Z");
    out.emplace_back(row + "Address", (variant ? "192.168." : "10.0.") + std::to_string(i / 250) +
                                          "." + std::to_string(i % 250 + 1));
  }
  return out;
}

void BM_SetValues_1000Parameters(benchmark::State& state) {
  Model& model = modelFor(state);
  Engine& engine = model.engine();
  constexpr int kRows = 200;
  const std::vector<std::pair<std::string, std::string>> sets[2] = {writes(kRows, 0),
                                                                    writes(kRows, 1)};
  int variant = 0;
  for (auto _ : state) {
    try {
      benchmark::DoNotOptimize(engine.setValues(sets[variant], cwmpd::sdk::Source::Acs, "bench"));
    } catch (const cwmpd::sdk::Fault& f) {
      state.SkipWithError(f.what());
      break;
    }
    variant ^= 1;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(sets[0].size()));
  state.counters["store_entries"] = static_cast<double>(model.storeEntries());
}
// Real time: the commit's fsync is part of what the ACS waits for.
BENCHMARK(BM_SetValues_1000Parameters)->Apply(sizes)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---------- whole requests through the dispatcher (issue 15) ----------

std::string envelopeOf(const std::string& body) {
  return R"(<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" )"
         R"(xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" )"
         R"(xmlns:xsd="http://www.w3.org/2001/XMLSchema" )"
         R"(xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" )"
         R"(xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Header>)"
         R"(<cwmp:ID soap-env:mustUnderstand="1">bench</cwmp:ID></soap-env:Header>)"
         "<soap-env:Body>" +
         body + "</soap-env:Body></soap-env:Envelope>";
}

// What the session does with one ACS request on its main loop.
std::size_t answerOf(cwmpd::core::RpcDispatcher& rpc, const std::string& payload,
                     const cwmpd::core::soap::DecodeLimits& limits) {
  auto decoded = rpc.decodeAndAnswer(payload, limits);
  if (!decoded.result.ok()) throw std::runtime_error(decoded.result.error().message);
  const auto answer =
      decoded.answer ? std::move(*decoded.answer) : rpc.handle(decoded.result.envelope().body);
  if (std::holds_alternative<cwmpd::core::soap::Fault>(answer))
    throw std::runtime_error("the request was answered with a fault");
  return answer.index();
}

// GetParameterValues listing every parameter of the model by name, as ACSs ask after a
// GetParameterNames (the bench_e2e row "GPV of names", without HTTP).
void BM_Rpc_GetValuesOfNames(benchmark::State& state) {
  Engine& engine = modelFor(state).engine();
  std::string items;
  std::size_t count = 0;
  for (const auto& info : engine.getNames("Device.", false)) {
    if (info.name.empty() || info.name.back() == '.') continue;
    items += "<string>" + info.name + "</string>";
    ++count;
  }
  const std::string payload = envelopeOf(
      R"(<cwmp:GetParameterValues><ParameterNames soapenc:arrayType="xsd:string[)" +
      std::to_string(count) + "]\">" + items + "</ParameterNames></cwmp:GetParameterValues>");
  cwmpd::core::RpcDispatcher rpc(engine);
  cwmpd::core::soap::DecodeLimits limits;
  limits.maxBodyBytes = std::size_t{16} << 20;
  for (auto _ : state) {
    try {
      benchmark::DoNotOptimize(answerOf(rpc, payload, limits));
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
  state.counters["request_MB"] = static_cast<double>(payload.size()) / (1 << 20);
}
BENCHMARK(BM_Rpc_GetValuesOfNames)->Apply(sizes)->Unit(benchmark::kMillisecond);

// SetParameterValues of every writable synthetic parameter with xsi:types (half of the
// synthetic parameters: 10,000 at 20,000) as the session handles it: decoded, each entry
// handed over and type-checked as it is parsed, applied and committed (journal append and
// fdatasync). The values alternate between two sets, so every request changes them all.
void BM_Rpc_SetValues(benchmark::State& state) {
  modelFor(state);
  const int rows = itemsOf(state);
  const char* types[] = {"xsd:string", "xsd:int", "xsd:boolean", "xsd:dateTime", "xsd:string"};
  std::string payloads[2];
  std::size_t count = 0;
  for (int set = 0; set < 2; ++set) {
    std::string items;
    count = 0;
    for (int variant = 0; const auto& [name, value] : writes(rows, set)) {
      items.append("<ParameterValueStruct><Name>")
          .append(name)
          .append(R"(</Name><Value xsi:type=")")
          .append(types[variant])
          .append("\">")
          .append(value)
          .append("</Value></ParameterValueStruct>");
      variant = (variant + 1) % 5;
      ++count;
    }
    payloads[set] = envelopeOf(
        R"(<cwmp:SetParameterValues><ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[)" +
        std::to_string(count) + "]\">" + items +
        "</ParameterList><ParameterKey>bench</ParameterKey></cwmp:SetParameterValues>");
  }
  cwmpd::core::RpcDispatcher rpc(modelFor(state).engine());
  cwmpd::core::soap::DecodeLimits limits;
  limits.maxBodyBytes = std::size_t{16} << 20;
  int set = 0;
  for (auto _ : state) {
    try {
      benchmark::DoNotOptimize(answerOf(rpc, payloads[set], limits));
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
    set ^= 1;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
}
// Real time: the commit's fdatasync is part of what the ACS waits for.
BENCHMARK(BM_Rpc_SetValues)->Apply(sizes)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  cwmpd::core::Log::setLevel(cwmpd::sdk::LogLevel::Warning);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  registerSubtrees();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  models().clear();  // plugins stop and unload before static destruction
  return 0;
}

#include <benchmark/benchmark.h>

#include <string>

#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"

namespace {

using namespace cwmpd::core::soap;

// Names, types and values shaped like a real TR-181 tree.
std::vector<ParameterValueStruct> parameters(int count) {
  static const char* const kTypes[] = {"xsd:string", "xsd:unsignedInt", "xsd:boolean",
                                       "xsd:dateTime"};
  static const char* const kValues[] = {"Home & Garden <5G>", "3600", "true",
                                        "2026-11-25T12:00:00.000Z"};
  std::vector<ParameterValueStruct> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    out.push_back({"Device.WiFi.AccessPoint." + std::to_string(i / 20 + 1) + ".AssociatedDevice." +
                       std::to_string(i % 20 + 1) + ".Param" + std::to_string(i % 4),
                   kValues[i % 4], kTypes[i % 4]});
  }
  return out;
}

void BM_DecodeSetParameterValues10000(benchmark::State& state) {
  Envelope e;
  e.header.id = "bench";
  e.body = SetParameterValues{parameters(10000), "bench-key"};
  const std::string xml = encode(e);
  Decoder decoder;
  for (auto _ : state) {
    DecodeResult r = decoder.decode(xml);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(xml.size()));
  state.counters["bytes"] = static_cast<double>(xml.size());
}
BENCHMARK(BM_DecodeSetParameterValues10000)->Unit(benchmark::kMillisecond);

void BM_EncodeGetParameterValuesResponse20000(benchmark::State& state) {
  Envelope e;
  e.header.id = "bench";
  e.body = GetParameterValuesResponse{parameters(20000), {}, 0};
  std::size_t size = 0;
  for (auto _ : state) {
    std::string xml = encode(e);
    size = xml.size();
    benchmark::DoNotOptimize(xml);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
  state.counters["bytes"] = static_cast<double>(size);
}
BENCHMARK(BM_EncodeGetParameterValuesResponse20000)->Unit(benchmark::kMillisecond);

// A typical small request, to see the fixed cost of one decode.
void BM_DecodeSmallRequest(benchmark::State& state) {
  Envelope e;
  e.header.id = "1a212a2194b0006";
  e.body = GetParameterValues{{"Device.DeviceInfo.", "Device.ManagementServer.URL"}};
  const std::string xml = encode(e);
  Decoder decoder;
  for (auto _ : state) benchmark::DoNotOptimize(decoder.decode(xml));
}
BENCHMARK(BM_DecodeSmallRequest)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

#include "diag_test.hpp"

#include <algorithm>

namespace cwmpd::plugins::diagnostics {

DiagTest::DiagTest(sdk::Host& host, Spec spec)
    : host_(host),
      spec_(std::move(spec)),
      params_(spec_.params),
      results_(spec_.results),
      rows_(spec_.tables.size()),
      rowNumbers_(spec_.tables.size()) {}

DiagTest::~DiagTest() { stop(); }

void DiagTest::bind(sdk::Registrar& reg) {
  auto& b = reg.object(spec_.object);
  b.get("DiagnosticsState", [this](const sdk::InstanceRef&) { return state_; });
  for (const auto& [name, fallback] : spec_.params)
    b.get(name, [this, n = name](const sdk::InstanceRef&) { return params_[n]; });
  for (const auto& [name, fallback] : spec_.results)
    b.get(name, [this, n = name](const sdk::InstanceRef&) { return results_[n]; });
  for (const auto& [name, value] : spec_.constants)
    b.get(name, [v = value](const sdk::InstanceRef&) { return v; });
  for (std::size_t t = 0; t < spec_.tables.size(); ++t) {
    auto& rows = reg.object(spec_.tables[t].path + "{i}.");
    for (const auto& [name, fallback] : spec_.tables[t].params)
      rows.get(name, [this, t, n = name, f = fallback](const sdk::InstanceRef& r) {
        auto row = rows_[t].find(r.number);
        return row == rows_[t].end() ? f : row->second[n];
      });
  }

  b.validate([this](const std::vector<sdk::Change>& changes) {
    for (const auto& c : changes) {
      if (c.parameter == "DiagnosticsState") {
        // Every other value is read-only (the enumeration's access="readOnly"). TR-181 2.17
        // also lets "Canceled" be written: "setting this parameter to Canceled MUST result
        // in the test being canceled and the value of this parameter being set to None";
        // TR-098 1.14 has no such value.
        const bool tr181 = spec_.object.rfind("Device.", 0) == 0;
        if (c.value != "Requested" && !(tr181 && c.value == "Canceled"))
          throw sdk::Fault(sdk::FaultCode::InvalidParameterValue,
                           c.path() + ": only 'Requested'" + (tr181 ? " or 'Canceled'" : "") +
                               " may be written");
      } else if (spec_.check) {
        spec_.check(c);
      }
    }
  });
  b.apply([this](const std::vector<sdk::Change>& changes) {
    before_ = Snapshot{params_, results_, rows_, state_, pending_ || runningCancel_ != nullptr};
    bool requested = false;
    for (const auto& c : changes) {
      if (c.parameter == "DiagnosticsState")
        requested = c.value == "Requested";
      else
        params_[c.parameter] = c.value;
    }
    // Any set of this object ends what runs: a new request restarts it with the new
    // parameters, any other change leaves "None" (the models' DiagnosticsState).
    cancelRunning();
    clearResults();
    state_ = requested ? "Requested" : "None";
    pending_ = requested;
  });
  b.rollback([this](const std::vector<sdk::Change>&) {
    params_ = before_.params;
    results_ = before_.results;
    rows_ = before_.rows;
    state_ = before_.state;
    // A test the failed transaction cancelled runs again from the flush.
    pending_ = before_.pending && state_ == "Requested";
  });
}

void DiagTest::clearResults() {
  results_ = spec_.results;
  bool any = false;
  for (auto& table : rows_) {
    any = any || !table.empty();
    table.clear();
  }
  if (any) host_.post([this] { dropStaleRows(); });
}

void DiagTest::dropStaleRows() {
  for (std::size_t t = 0; t < spec_.tables.size(); ++t) {
    auto& numbers = rowNumbers_[t];
    for (auto it = numbers.begin(); it != numbers.end();) {
      if (rows_[t].count(*it)) {
        ++it;
        continue;
      }
      try {
        host_.removeInstance(spec_.tables[t].path + std::to_string(*it) + ".");
      } catch (const sdk::Fault&) {
        // already gone
      }
      it = numbers.erase(it);
    }
  }
}

void DiagTest::cancelRunning() {
  ++generation_;
  if (runningCancel_) runningCancel_->store(true);
  runningCancel_.reset();
  reapWorkers();
}

void DiagTest::reapWorkers() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void DiagTest::flush() {
  if (!pending_) return;
  pending_ = false;
  cancelRunning();
  const std::uint64_t generation = generation_;
  Work work;
  try {
    work = spec_.prepare(params_);
  } catch (const std::exception& e) {
    finish(generation, Outcome{spec_.internalError, {}, {}, e.what()});
    return;
  }
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto done = std::make_shared<std::atomic<bool>>(false);
  runningCancel_ = cancel;
  sdk::Host* host = &host_;
  std::thread t([this, host, work = std::move(work), cancel, done, generation] {
    Outcome o;
    try {
      o = work(*cancel);
    } catch (const std::exception& e) {
      o = Outcome{spec_.internalError, {}, {}, e.what()};
    }
    // Host::post is thread-safe; the work is dropped if the plugin stopped meanwhile.
    host->post(
        [this, generation, o = std::move(o)]() mutable { finish(generation, std::move(o)); });
    done->store(true);
  });
  workers_.push_back(Worker{std::move(t), cancel, done});
}

void DiagTest::finish(std::uint64_t generation, Outcome outcome) {
  if (generation != generation_) return;  // cancelled or requested again meanwhile
  runningCancel_.reset();
  reapWorkers();
  results_ = spec_.results;
  for (auto& [k, v] : outcome.results) results_[k] = std::move(v);
  for (auto& table : rows_) table.clear();
  dropStaleRows();
  for (std::size_t t = 0; t < spec_.tables.size() && t < outcome.tables.size(); ++t) {
    const std::string& path = spec_.tables[t].path;
    auto& numbers = rowNumbers_[t];
    for (std::size_t i = 0; i < outcome.tables[t].size(); ++i) {
      try {
        const std::uint32_t n = host_.ensureInstance(path, std::to_string(i + 1));
        rows_[t][n] = std::move(outcome.tables[t][i]);
        if (std::find(numbers.begin(), numbers.end(), n) == numbers.end()) numbers.push_back(n);
      } catch (const sdk::Fault& f) {
        host_.log(sdk::LogLevel::Warning, path + ": " + f.what());
        break;
      }
    }
  }
  state_ = outcome.state;
  if (!outcome.detail.empty())
    host_.log(sdk::LogLevel::Info, spec_.object + " " + state_ + ": " + outcome.detail);
  notifyAll();
  // TR-069 3.7.1.5: a completed diagnostic (successfully or not) makes the CPE contact
  // the ACS with "8 DIAGNOSTICS COMPLETE".
  host_.raiseEvent("8 DIAGNOSTICS COMPLETE");
}

void DiagTest::notifyAll() {
  host_.valueChanged(spec_.object + "DiagnosticsState");
  for (const auto& [name, v] : spec_.results) host_.valueChanged(spec_.object + name);
}

void DiagTest::stop() {
  ++generation_;
  for (auto& w : workers_) w.cancel->store(true);
  for (auto& w : workers_)
    if (w.thread.joinable()) w.thread.join();
  workers_.clear();
  runningCancel_.reset();
}

std::string msFromUs(std::uint64_t us) { return std::to_string((us + 500) / 1000); }

}  // namespace cwmpd::plugins::diagnostics

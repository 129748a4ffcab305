// Dispatch through the memory store, ns per command: a new intent and a
// replay, beside the hand-written baseline a user might write instead (a
// mutex-guarded hash map from key to a JSON result, no fingerprint, no
// outbox, no policy). Ratios against it are printed at the end.
//
//   ./build/bench/once_dispatch_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <once/application/command_dispatcher.hpp>
#include <once/memory/memory_command_store.hpp>

#include "counter.hpp"

namespace {

using once_bench::add;
using once_bench::counter;

once::domain::envelope bench_envelope() {
  once::domain::envelope env;
  env.tenant = "tenant-bench";
  return env;
}

std::string counter_for(std::int64_t i) {
  return "C-" + std::to_string(i % 1000);
}

void new_intent(benchmark::State& state) {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<counter> dispatcher{store};
  auto const env = bench_envelope();
  std::int64_t i = 0;
  for (auto _ : state) {
    auto outcome = dispatcher.dispatch(add{counter_for(i), "R-" + std::to_string(i), 1}, env);
    benchmark::DoNotOptimize(outcome);
    ++i;
  }
}
BENCHMARK(new_intent);

// The same with the store holding at most 10,000 intents (a fresh store
// every 10,000 commands, not timed): what a demo or a test sees, without the
// cache misses of a hash table grown to millions of records.
void new_intent_small_store(benchmark::State& state) {
  auto store = std::make_unique<once::memory::memory_command_store>();
  auto dispatcher = std::make_unique<once::application::command_dispatcher<counter>>(*store);
  auto const env = bench_envelope();
  std::int64_t i = 0;
  for (auto _ : state) {
    if (i % 10000 == 9999) {
      state.PauseTiming();
      dispatcher.reset();
      store = std::make_unique<once::memory::memory_command_store>();
      dispatcher = std::make_unique<once::application::command_dispatcher<counter>>(*store);
      state.ResumeTiming();
    }
    auto outcome = dispatcher->dispatch(add{counter_for(i), "R-" + std::to_string(i), 1}, env);
    benchmark::DoNotOptimize(outcome);
    ++i;
  }
}
BENCHMARK(new_intent_small_store);

void replay(benchmark::State& state) {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<counter> dispatcher{store};
  auto const env = bench_envelope();
  add const command{"C-1", "R-1", 1};
  (void)dispatcher.dispatch(command, env);
  for (auto _ : state) {
    auto outcome = dispatcher.dispatch(command, env);
    benchmark::DoNotOptimize(outcome);
  }
}
BENCHMARK(replay);

// The hand-written baseline: check a map, run the logic, store a JSON result.
class naive_idempotency {
 public:
  std::string handle(add const& command) {
    std::lock_guard lock(mutex_);
    auto& slot = results_[command.request_id];
    if (!slot.empty()) return slot;
    auto& total = totals_[command.counter_id];
    total += command.amount;
    slot = once::domain::canonical_json(once_bench::counter_state{total, 0});
    return slot;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::string> results_;
  std::unordered_map<std::string, std::int64_t> totals_;
};

void naive_new_intent(benchmark::State& state) {
  naive_idempotency naive;
  std::int64_t i = 0;
  for (auto _ : state) {
    auto result = naive.handle(add{counter_for(i), "R-" + std::to_string(i), 1});
    benchmark::DoNotOptimize(result);
    ++i;
  }
}
BENCHMARK(naive_new_intent);

void naive_replay(benchmark::State& state) {
  naive_idempotency naive;
  add const command{"C-1", "R-1", 1};
  (void)naive.handle(command);
  for (auto _ : state) {
    auto result = naive.handle(command);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(naive_replay);

// Keeps each run's ns/op so the ratios can be printed after the table.
class ratio_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(std::vector<Run> const& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (auto const& run : runs) {
      if (run.run_type == Run::RT_Iteration) ns_[run.benchmark_name()] = run.GetAdjustedCPUTime();
    }
  }
  void print_ratios() const {
    auto ratio = [&](char const* name, char const* baseline) {
      auto const a = ns_.find(name);
      auto const b = ns_.find(baseline);
      if (a == ns_.end() || b == ns_.end()) return;
      std::printf("%-22s %8.0f ns/command  = %5.2fx %s (%.0f ns)\n", name, a->second, a->second / b->second, baseline,
                  b->second);
    };
    std::printf("\nratios (framework / hand-written map, same process):\n");
    ratio("new_intent", "naive_new_intent");
    ratio("new_intent_small_store", "naive_new_intent");
    ratio("replay", "naive_replay");
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ratio_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}

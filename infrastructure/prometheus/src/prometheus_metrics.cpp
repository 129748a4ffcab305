#include <once/prometheus/prometheus_metrics.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace once::prometheus {
namespace {

using ::prometheus::Counter;
using ::prometheus::Family;
using ::prometheus::Histogram;

// From half a millisecond (an in-memory replay) to seconds (a queue on a hot aggregate).
// Built once: Family::Add takes the boundaries on every observation's lookup.
Histogram::BucketBoundaries const& latency_buckets() {
  static Histogram::BucketBoundaries const buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
  return buckets;
}

Family<Counter>& counter(::prometheus::Registry& registry, std::string const& name, std::string const& help) {
  return ::prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

bool is_duplicate(domain::outcome_kind outcome) {
  return outcome == domain::outcome_kind::replayed || outcome == domain::outcome_kind::no_op ||
         outcome == domain::outcome_kind::duplicate_rejected;
}

// The time series of one command type, each found once: Family::Add builds a
// label map, hashes it and takes the family's lock on every call, which the
// hot path of every command should not pay.
struct type_series {
  std::string command_type;
  static constexpr std::size_t slots = 8;  // more than outcome_kind, repeat_policy or error_code have values
  std::array<std::atomic<Counter*>, slots> commands_by_outcome{};
  std::array<std::atomic<Counter*>, slots> duplicates_by_policy{};
  std::array<std::atomic<Counter*>, slots> failures_by_code{};
  std::atomic<Counter*> replays{nullptr};
  std::atomic<Counter*> conflicts{nullptr};
  std::atomic<Counter*> in_flight_waits{nullptr};
  std::atomic<Counter*> retries{nullptr};
  std::atomic<Counter*> decided_again{nullptr};
  std::atomic<Histogram*> latency{nullptr};
};

// The child in `slot`, made by `make` the first time. Family::Add answers the
// same child for the same labels, so two threads racing here agree.
template <class Child, class Make>
Child& cached(std::atomic<Child*>& slot, Make const& make) {
  Child* found = slot.load(std::memory_order_acquire);
  if (found == nullptr) {
    found = &make();
    slot.store(found, std::memory_order_release);
  }
  return *found;
}

// The same, for a slot chosen by an enum's value (uncached past the slots).
template <class Child, class Enum, class Make>
Child& cached(std::array<std::atomic<Child*>, type_series::slots>& slots, Enum value, Make const& make) {
  auto const index = static_cast<std::size_t>(value);
  return index < slots.size() ? cached(slots[index], make) : make();
}

// The labels of a series of `series`' command type, and one more if given.
::prometheus::Labels labels_of(type_series const& series, std::string name = {}, std::string_view value = {}) {
  ::prometheus::Labels labels{{"command_type", series.command_type}};
  if (!name.empty()) labels.emplace(std::move(name), std::string{value});
  return labels;
}

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

}  // namespace

struct prometheus_metrics::families {
  explicit families(::prometheus::Registry& registry)
      : commands(counter(registry, "once_commands_total", "Commands handled, by command type and outcome")),
        duplicates(counter(registry, "once_command_duplicates_total",
                           "Repeats of an intent already carried out, by the command's repeat policy")),
        replays(counter(registry, "once_replays_total", "Stored answers returned again to a repeat")),
        conflicts(counter(registry, "once_intent_conflicts_total", "Intent keys reused with another payload")),
        in_flight_waits(counter(registry, "once_in_flight_waits_total",
                                "Duplicates that arrived while their first attempt was in flight and waited for it")),
        retries(counter(registry, "once_transaction_retries_total",
                        "Transactions retried after a version conflict, serialization failure or deadlock")),
        decided_again(counter(registry, "once_commands_decided_again_total",
                              "Commands decided again because the aggregate remembered (or taken for absent) had "
                              "moved")),
        failures(counter(registry, "once_command_failures_total",
                         "Commands that ended in an infrastructure error, by error code")),
        latency(::prometheus::BuildHistogram()
                    .Name("once_command_duration_seconds")
                    .Help("Time to handle a command, from dispatch to answer")
                    .Register(registry)) {}

  Family<Counter>& commands;
  Family<Counter>& duplicates;
  Family<Counter>& replays;
  Family<Counter>& conflicts;
  Family<Counter>& in_flight_waits;
  Family<Counter>& retries;
  Family<Counter>& decided_again;
  Family<Counter>& failures;
  Family<Histogram>& latency;

  type_series& of_type(std::string_view command_type) {
    {
      std::shared_lock lock(types_mutex);
      if (auto found = types.find(command_type); found != types.end()) return *found->second;
    }
    std::unique_lock lock(types_mutex);
    auto& entry = types[std::string{command_type}];
    if (entry == nullptr) {
      entry = std::make_unique<type_series>();
      entry->command_type = std::string{command_type};
    }
    return *entry;
  }

 private:
  std::shared_mutex types_mutex;
  std::unordered_map<std::string, std::unique_ptr<type_series>, string_hash, std::equal_to<>> types;
};

// Values read at rendering time, each with the series it feeds.
struct prometheus_metrics::watched {
  struct source {
    reading kind;
    std::function<double()> read;
    ::prometheus::Gauge* gauge = nullptr;
    ::prometheus::Counter* counter = nullptr;
    double counted = 0;  // what the counter has been given so far
  };
  std::mutex mutex;
  std::vector<source> sources;

  void refresh() {
    std::lock_guard lock(mutex);
    for (auto& each : sources) {
      double const value = each.read();
      if (each.kind == reading::gauge) {
        each.gauge->Set(value);
      } else if (value > each.counted) {
        each.counter->Increment(value - each.counted);
        each.counted = value;
      }
    }
  }
};

prometheus_metrics::prometheus_metrics(std::shared_ptr<::prometheus::Registry> registry)
    : registry_(registry != nullptr ? std::move(registry) : std::make_shared<::prometheus::Registry>()),
      families_(std::make_unique<families>(*registry_)),
      watched_(std::make_unique<watched>()) {}

void prometheus_metrics::watch(std::string const& name, std::string const& help, reading kind,
                               std::function<double()> read, std::map<std::string, std::string> const& labels) {
  watched::source source{kind, std::move(read)};
  if (kind == reading::gauge) {
    source.gauge = &::prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add(labels);
  } else {
    source.counter = &::prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add(labels);
  }
  std::lock_guard lock(watched_->mutex);
  watched_->sources.push_back(std::move(source));
}

prometheus_metrics::~prometheus_metrics() = default;

void prometheus_metrics::command_handled(std::string_view command_type, domain::repeat_policy policy,
                                         domain::outcome_kind outcome, std::chrono::nanoseconds latency) {
  auto& series = families_->of_type(command_type);
  cached(series.commands_by_outcome, outcome, [&]() -> Counter& {
    return families_->commands.Add(labels_of(series, "outcome", domain::to_string(outcome)));
  }).Increment();
  if (is_duplicate(outcome)) {
    cached(series.duplicates_by_policy, policy, [&]() -> Counter& {
      return families_->duplicates.Add(labels_of(series, "policy", domain::to_string(policy)));
    }).Increment();
  }
  if (outcome == domain::outcome_kind::replayed) {
    cached(series.replays, [&]() -> Counter& { return families_->replays.Add(labels_of(series)); }).Increment();
  }
  if (outcome == domain::outcome_kind::intent_conflict) {
    cached(series.conflicts, [&]() -> Counter& { return families_->conflicts.Add(labels_of(series)); }).Increment();
  }
  cached(series.latency, [&]() -> Histogram& {
    return families_->latency.Add(labels_of(series), latency_buckets());
  }).Observe(std::chrono::duration<double>(latency).count());
}

void prometheus_metrics::in_flight_waited(std::string_view command_type) {
  auto& series = families_->of_type(command_type);
  cached(series.in_flight_waits, [&]() -> Counter& {
    return families_->in_flight_waits.Add(labels_of(series));
  }).Increment();
}

void prometheus_metrics::transaction_retried(std::string_view command_type) {
  auto& series = families_->of_type(command_type);
  cached(series.retries, [&]() -> Counter& { return families_->retries.Add(labels_of(series)); }).Increment();
}

void prometheus_metrics::decided_again(std::string_view command_type) {
  auto& series = families_->of_type(command_type);
  cached(series.decided_again, [&]() -> Counter& {
    return families_->decided_again.Add(labels_of(series));
  }).Increment();
}

void prometheus_metrics::command_failed(std::string_view command_type, application::error_code code) {
  auto& series = families_->of_type(command_type);
  cached(series.failures_by_code, code, [&]() -> Counter& {
    return families_->failures.Add(labels_of(series, "code", application::to_string(code)));
  }).Increment();
}

::prometheus::Registry& prometheus_metrics::registry() noexcept {
  return *registry_;
}

std::string prometheus_metrics::text() const {
  watched_->refresh();
  return ::prometheus::TextSerializer{}.Serialize(registry_->Collect());
}

}  // namespace once::prometheus

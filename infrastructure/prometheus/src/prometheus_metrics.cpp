#include <once/prometheus/prometheus_metrics.hpp>

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
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
  Family<Counter>& failures;
  Family<Histogram>& latency;
};

prometheus_metrics::prometheus_metrics(std::shared_ptr<::prometheus::Registry> registry)
    : registry_(registry != nullptr ? std::move(registry) : std::make_shared<::prometheus::Registry>()),
      families_(std::make_unique<families>(*registry_)) {}

prometheus_metrics::~prometheus_metrics() = default;

void prometheus_metrics::command_handled(std::string_view command_type, domain::repeat_policy policy,
                                         domain::outcome_kind outcome, std::chrono::nanoseconds latency) {
  std::string const type{command_type};
  families_->commands.Add({{"command_type", type}, {"outcome", std::string{domain::to_string(outcome)}}}).Increment();
  if (is_duplicate(outcome)) {
    families_->duplicates.Add({{"command_type", type}, {"policy", std::string{domain::to_string(policy)}}}).Increment();
  }
  if (outcome == domain::outcome_kind::replayed) families_->replays.Add({{"command_type", type}}).Increment();
  if (outcome == domain::outcome_kind::intent_conflict) families_->conflicts.Add({{"command_type", type}}).Increment();
  families_->latency.Add({{"command_type", type}}, latency_buckets())
      .Observe(std::chrono::duration<double>(latency).count());
}

void prometheus_metrics::in_flight_waited(std::string_view command_type) {
  families_->in_flight_waits.Add({{"command_type", std::string{command_type}}}).Increment();
}

void prometheus_metrics::transaction_retried(std::string_view command_type) {
  families_->retries.Add({{"command_type", std::string{command_type}}}).Increment();
}

void prometheus_metrics::command_failed(std::string_view command_type, application::error_code code) {
  families_->failures.Add({{"command_type", std::string{command_type}}, {"code", std::string{application::to_string(code)}}})
      .Increment();
}

::prometheus::Registry& prometheus_metrics::registry() noexcept { return *registry_; }

std::string prometheus_metrics::text() const {
  return ::prometheus::TextSerializer{}.Serialize(registry_->Collect());
}

}  // namespace once::prometheus

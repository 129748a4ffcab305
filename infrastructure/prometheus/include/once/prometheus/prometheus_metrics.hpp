/// \file
/// The metrics port on prometheus-cpp: a registry of the dispatcher's counters
/// and latency histogram, rendered in the Prometheus text format by text()
/// (a service serves it on /metrics with its own HTTP server).
///
///   once_commands_total{command_type, outcome}            every command handled, by outcome
///   once_command_duplicates_total{command_type, policy}   repeats of an intent already carried out
///   once_replays_total{command_type}                      stored answers returned again
///   once_intent_conflicts_total{command_type}             a key reused with another payload
///   once_in_flight_waits_total{command_type}              duplicates that waited for their first attempt
///   once_transaction_retries_total{command_type}          retries after a version conflict or serialization failure
///   once_command_failures_total{command_type, code}       infrastructure errors (no outcome)
///   once_command_duration_seconds{command_type}           latency of dispatch, histogram
///
/// Labels never carry a key, a tenant or any payload.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <once/application/metrics.hpp>

namespace prometheus {
class Registry;
}

namespace once::prometheus {

class prometheus_metrics final : public application::metrics {
 public:
  /// Registers the families in `registry` (a new one if none is given), beside
  /// whatever else the service registers there.
  explicit prometheus_metrics(std::shared_ptr<::prometheus::Registry> registry = nullptr);
  ~prometheus_metrics() override;
  prometheus_metrics(prometheus_metrics const&) = delete;
  prometheus_metrics& operator=(prometheus_metrics const&) = delete;

  void command_handled(std::string_view command_type, domain::repeat_policy policy, domain::outcome_kind outcome,
                       std::chrono::nanoseconds latency) override;
  void in_flight_waited(std::string_view command_type) override;
  void transaction_retried(std::string_view command_type) override;
  void decided_again(std::string_view command_type) override;
  void command_failed(std::string_view command_type, application::error_code code) override;

  /// A value read each time the metrics are rendered, from something that
  /// counts on its own (the outbox relay, the inbox consumer): a gauge is set
  /// to it, a counter grows by what it grew since the last rendering.
  enum class reading { gauge, counter };
  void watch(std::string const& name, std::string const& help, reading kind, std::function<double()> read,
             std::map<std::string, std::string> const& labels = {});

  [[nodiscard]] ::prometheus::Registry& registry() noexcept;
  /// Everything in the registry, in the Prometheus text exposition format (0.0.4).
  [[nodiscard]] std::string text() const;

 private:
  struct families;
  struct watched;
  std::shared_ptr<::prometheus::Registry> registry_;
  std::unique_ptr<families> families_;
  std::unique_ptr<watched> watched_;
};

}  // namespace once::prometheus

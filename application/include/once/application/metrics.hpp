/// \file
/// Port: what the dispatcher reports. Labels are the command type and the
/// outcome; never the key or any payload. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <string_view>

#include <once/application/error.hpp>
#include <once/domain/outcome.hpp>
#include <once/domain/repeat_policy.hpp>

namespace once::application {

class metrics {
 public:
  virtual ~metrics() = default;
  /// Every outcome, with its policy so duplicates can be counted per policy.
  virtual void command_handled(std::string_view command_type, domain::repeat_policy policy,
                               domain::outcome_kind outcome, std::chrono::nanoseconds latency) = 0;
  /// A duplicate that arrived while its first attempt was still in flight: it
  /// waited for that attempt (and was answered from it, or timed out).
  virtual void in_flight_waited(std::string_view command_type) = 0;
  /// A transaction retried after a version conflict, serialization failure or deadlock.
  virtual void transaction_retried(std::string_view command_type) = 0;
  /// A command decided again because the aggregate this process remembered (or
  /// took for absent) had moved: another instance wrote it, or it was not seen yet.
  virtual void decided_again(std::string_view /*command_type*/) {}
  /// A command that ended in an infrastructure error (no outcome).
  virtual void command_failed(std::string_view command_type, error_code code) = 0;
};

class no_metrics final : public metrics {
 public:
  void command_handled(std::string_view, domain::repeat_policy, domain::outcome_kind,
                       std::chrono::nanoseconds) override {}
  void in_flight_waited(std::string_view) override {}
  void transaction_retried(std::string_view) override {}
  void command_failed(std::string_view, error_code) override {}
};

}  // namespace once::application

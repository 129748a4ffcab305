/// \file
/// The outbox relay: publishes the outbox's rows to Kafka with an idempotent
/// producer (enable.idempotence, acks=all) and marks a row published only
/// after the broker acknowledged it.
///
///   message key  the aggregate id, so one aggregate's events stay in order in one partition
///   value        the event's canonical JSON, as stored
///   headers      event-id (the row's message id, the same on every copy), event-type,
///                intent-id (tenant:scope:key), tenant, traceparent (when the request had one),
///                and the row's own once-* headers
///
/// Order: rows are read oldest first by id, never "after the last id seen"
/// (a transaction that commits late is read on a later round). Within a round
/// a row is marked only if every earlier row of its aggregate in the round was
/// acknowledged too, so a failure is retried before anything after it.
/// Leadership: one relay per schema publishes at a time, under a lease in
/// PostgreSQL (outbox_source::take_lease) that it renews once a third of its
/// time to live has passed; marks check the lease, so a relay that lost it
/// marks nothing (and takes it again, or waits). See docs/kafka.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <once/application/error.hpp>
#include <once/application/outbox.hpp>

namespace once::kafka {

struct relay_options {
  std::string brokers;  // bootstrap servers, HOST:PORT[,...]
  std::string holder;   // this relay's name in the lease; default: host name and process id
  std::size_t batch_size = 1000;
  std::chrono::milliseconds poll_interval{500};  // looks again this often when no notification wakes it
  /// A round's deliveries must end well within the lease: a relay that paused
  /// past it publishes copies (same event-id) but marks nothing.
  std::chrono::milliseconds lease_ttl{30000};
  std::chrono::milliseconds delivery_timeout{10000};        // a row not acknowledged by then is retried next round
  std::chrono::milliseconds max_backoff{5000};              // between failed rounds, doubling from 100 ms
  std::map<std::string, std::string> producer_settings;     // more librdkafka settings, e.g. for tests
  std::function<void(application::error const&)> on_error;  // a failed round, for the service's log
};

/// What the relay has done, for metrics and logs.
struct relay_counters {
  std::atomic<std::int64_t> published{0};         // rows acknowledged and marked
  std::atomic<std::int64_t> publish_failures{0};  // rows the broker did not acknowledge in a round
  std::atomic<std::int64_t> rounds{0};
  std::atomic<bool> leader{false};
};

class outbox_relay {
 public:
  /// Creates the producer; nothing is sent until a round runs.
  [[nodiscard]] static application::result<std::unique_ptr<outbox_relay>> open(application::outbox_source& outbox,
                                                                               relay_options options);
  ~outbox_relay();
  outbox_relay(outbox_relay const&) = delete;
  outbox_relay& operator=(outbox_relay const&) = delete;

  /// One round: takes or renews the lease, publishes up to batch_size rows and
  /// marks the acknowledged ones. Returns how many it marked (0 when there was
  /// nothing or another relay holds the lease); an error when the database or
  /// the brokers failed (nothing unacknowledged is marked either way).
  [[nodiscard]] application::result<std::size_t> run_round();

  /// Runs rounds until stop(): waits for rows when idle, backs off after errors.
  void run();
  /// Thread-safe; run() returns after the round in progress.
  void stop() noexcept;

  [[nodiscard]] relay_counters const& counters() const noexcept;

 private:
  outbox_relay(application::outbox_source& outbox, relay_options options);
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace once::kafka

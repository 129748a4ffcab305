/// \file
/// The inbox consumer: reads topics with manual offset commits and hands each
/// message to the handler registered for its event-type, which maps it to a
/// typed command and dispatches it. The command's intent id comes from the
/// message (its event-id, or a business key the handler declares), and the
/// message's receipt is written with the command's effects in one
/// transaction (envelope::receipt), so:
///
///   - a message is committed (its offset) only after its transaction;
///   - a redelivered message whose receipt exists is skipped and counted;
///   - one whose receipt is missing but whose intent was applied (a consumer
///     killed between two steps, a new group reading from offset 0) is a
///     replay: no new effects.
///
/// A message that cannot be handled — no event-id, undecodable, or failing
/// max_attempts times — is copied to `<topic>.dlq` with its key, value and
/// headers plus `error` (the reason), recorded in the inbox exceptions, and its
/// partition moves on. A handler that says `retry` (the database is away) is
/// retried without limit: nothing is dead-lettered because of an outage.
/// A domain refusal is an outcome like any other (handled, not dead-lettered).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <once/application/error.hpp>
#include <once/application/inbox.hpp>
#include <once/domain/envelope.hpp>

namespace once::kafka {

/// A message as the consumer received it.
struct inbox_message {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;

  [[nodiscard]] std::optional<std::string> header(std::string const& name) const;
  /// tenant, client key = event-id, causation = event-id, trace context and the
  /// receipt of `consumer`: what a handler dispatches its command with.
  [[nodiscard]] domain::envelope envelope_for(std::string const& consumer) const;
};

/// What a handler made of a message.
struct handling {
  enum class verdict {
    handled,      // dispatched: applied, replayed or refused by the domain
    undecodable,  // can never be handled: straight to the dead-letter topic
    failed,       // failed this time (a bug, corrupt data): retried, dead-lettered after max_attempts
    retry,        // the store is away: retried until it returns, never dead-lettered
  };
  verdict outcome = verdict::handled;
  std::string reason;       // for undecodable, failed and retry: why, without the message's content
  bool new_effects = true;  // false for a replay: its receipt is recorded on its own

  static handling handled(bool new_effects = true) { return {verdict::handled, {}, new_effects}; }
  static handling undecodable(std::string reason) { return {verdict::undecodable, std::move(reason), false}; }
  static handling failed(std::string reason) { return {verdict::failed, std::move(reason), false}; }
  static handling retry(std::string reason) { return {verdict::retry, std::move(reason), false}; }
};

using message_handler = std::function<handling(inbox_message const&)>;

struct inbox_options {
  std::string brokers;
  std::string group;                // the consumer group, also the inbox's consumer name
  std::vector<std::string> topics;  // topics it reads; dead letters go to "<topic>.dlq"
  int max_attempts = 3;
  /// A consumer killed without leaving the group gives its partitions back after this.
  std::chrono::milliseconds session_timeout{6000};
  std::map<std::string, std::string> consumer_settings;  // more librdkafka settings
  std::function<void(std::string_view event, inbox_message const&, std::string_view detail)> on_event;  // for logs
};

struct inbox_counters {
  std::atomic<std::int64_t> handled{0};
  std::atomic<std::int64_t> duplicates{0};  // skipped: their receipt existed
  std::atomic<std::int64_t> dead_lettered{0};
  std::atomic<std::int64_t> ignored{0};  // no handler for the event-type
  // Offset commits given up on (the message was done; a redelivery is skipped by its receipt).
  std::atomic<std::int64_t> uncommitted{0};
};

class inbox_consumer {
 public:
  [[nodiscard]] static application::result<std::unique_ptr<inbox_consumer>> open(application::inbox_store& inbox,
                                                                                 inbox_options options);
  ~inbox_consumer();
  inbox_consumer(inbox_consumer const&) = delete;
  inbox_consumer& operator=(inbox_consumer const&) = delete;

  /// Registers the handler of one event-type; before run(). Other types are committed and ignored.
  void on(std::string event_type, message_handler handler);

  /// Consumes until stop(), then commits what is done and leaves the group.
  void run();
  /// Handles what arrives within `wait` (at most `limit` messages); for tests and tools.
  void poll(std::chrono::milliseconds wait, std::size_t limit = 1000);
  void stop() noexcept;
  /// Leaves the group now (as run() does when stopped).
  void close();

  [[nodiscard]] inbox_counters const& counters() const noexcept;

 private:
  inbox_consumer(application::inbox_store& inbox, inbox_options options);
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace once::kafka

// The command dispatcher: the use case every adapter (HTTP, Kafka, a test)
// calls. It implements the repeat-semantics table of docs/semantics.md:
//
//   intent id + fingerprint -> claim in the store (atomic, waits for an in-flight twin)
//     repeat    -> answer from the intent record, per the command's declared policy
//     in flight -> in_flight_timeout
//     claimed   -> decide on the locked aggregate, commit state + intent record
//                  + outbox as one unit; retry the transaction on `aborted`
//
// Concurrency is decided by the store, never by a check in this object's
// memory; a dispatcher is stateless apart from its collaborators and may be
// shared by any number of threads.
//
// Exceptions thrown by a handler propagate to the caller after the claim has
// been rolled back (the intent stays new). Store failures come back as errors.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <once/application/clock.hpp>
#include <once/application/command_store.hpp>
#include <once/application/contention_hints.hpp>
#include <once/application/error.hpp>
#include <once/application/fingerprint.hpp>
#include <once/application/id_generator.hpp>
#include <once/application/metrics.hpp>
#include <once/application/records.hpp>
#include <once/domain/aggregate.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/domain/envelope.hpp>
#include <once/domain/intent_id.hpp>
#include <once/domain/json_decode.hpp>
#include <once/domain/outcome.hpp>

namespace once::application {

struct dispatcher_options {
  claim_waits waits{};
  int max_attempts = 5;              // transactions per command when the store answers `aborted`
  std::size_t max_key_length = 255;  // longer keys are refused as invalid_argument
};

// Collaborators; any left null uses the process-wide default (system clock,
// random UUIDs, no metrics).
struct dispatcher_services {
  application::clock const* clock = nullptr;
  id_generator* ids = nullptr;
  application::metrics* metrics = nullptr;
};

namespace detail {
clock const& default_clock();
id_generator& default_ids();
metrics& default_metrics();
}  // namespace detail

template <domain::aggregate A>
class command_dispatcher {
 public:
  template <class Command>
  using outcome_of = domain::outcome<domain::result_of<A, Command>>;

  explicit command_dispatcher(command_store& store, dispatcher_services services = {}, dispatcher_options options = {})
      : store_(&store),
        clock_(services.clock != nullptr ? services.clock : &detail::default_clock()),
        ids_(services.ids != nullptr ? services.ids : &detail::default_ids()),
        metrics_(services.metrics != nullptr ? services.metrics : &detail::default_metrics()),
        options_(options),
        contention_(std::make_unique<contention_hints>()) {}

  // The typed intent id a command gets under this envelope, or invalid_argument
  // when it has no key (a client-key command without one, or an oversized key).
  template <class Command>
  [[nodiscard]] result<domain::intent_id<Command>> intent_of(Command const& command,
                                                             domain::envelope const& env) const {
    auto const& declaration = domain::declaration_of<Command>(A::commands);
    if (env.tenant.empty()) return fail(error_code::invalid_argument, "the envelope names no tenant");
    auto key = declaration.key_of(command, env);
    if (!key.has_value() || key->empty()) {
      return fail(error_code::invalid_argument, std::string{Command::type_name} + " needs an intent key");
    }
    if (key->size() > options_.max_key_length) {
      return fail(error_code::invalid_argument,
                  "the intent key is longer than " + std::to_string(options_.max_key_length) + " characters");
    }
    return domain::intent_id<Command>{env.tenant, declaration.scope_of(command), std::move(*key)};
  }

  // Handles one command exactly once per intent id. See the table in docs/semantics.md.
  template <class Command>
  [[nodiscard]] result<outcome_of<Command>> dispatch(Command const& command, domain::envelope const& env) {
    auto const& declaration = domain::declaration_of<Command>(A::commands);
    auto const started = std::chrono::steady_clock::now();
    auto answer = handle(declaration, command, env);
    if (answer) {
      metrics_->command_handled(Command::type_name, declaration.policy(), answer->kind(),
                                std::chrono::steady_clock::now() - started);
    } else {
      metrics_->command_failed(Command::type_name, answer.error().code);
    }
    return answer;
  }

  // The intent record of a typed intent id: how a caller that got
  // outcome_unknown can learn what happened without repeating anything.
  template <class Command>
  [[nodiscard]] result<std::optional<intent_record>> lookup(domain::intent_id<Command> const& intent) {
    return store_->find(intent.untyped());
  }

 private:
  using state_type = typename A::state;
  using event_type = typename A::event;

  template <class Declaration, class Command>
  result<outcome_of<Command>> handle(Declaration const& declaration, Command const& command,
                                     domain::envelope const& env) {
    auto intent = intent_of(command, env);
    if (!intent) return domain::unexpected{std::move(intent).error()};
    auto const now = clock_->now();
    intent_claim claim{
        intent->untyped(),
        std::string{Command::type_name},
        fingerprint_of(command),
        aggregate_ref{std::string{A::type_name}, declaration.target_of(command), env.tenant},
        now,
        declaration.retention().has_value() ? std::optional<time_point>{now + *declaration.retention()} : std::nullopt};
    // One bound on waiting for an in-flight twin per command, across attempts:
    // an optimistic commit that waited and a serialising retry share it.
    auto const in_flight_deadline = std::chrono::steady_clock::now() + options_.waits.in_flight;
    for (int attempt = 1;; ++attempt) {
      // After a conflict, here or recently on the same aggregate, queue on it instead of racing again.
      claim.serialise = attempt > 1 || contention_->is_hot(claim.target, std::chrono::steady_clock::now());
      auto answer = attempt_once(declaration, command, env, claim, attempt, waits_until(in_flight_deadline));
      if (answer || answer.error().code != error_code::aborted) return answer;
      contention_->conflicted(claim.target, std::chrono::steady_clock::now());
      if (attempt >= options_.max_attempts) return answer;
      metrics_->transaction_retried(Command::type_name);
    }
  }

  // The configured waits, with what is left of the in-flight bound (at least a millisecond).
  claim_waits waits_until(std::chrono::steady_clock::time_point in_flight_deadline) const {
    claim_waits waits = options_.waits;
    // Rounded up: the wait ends at the deadline, never before it.
    auto const left =
        std::chrono::ceil<std::chrono::milliseconds>(in_flight_deadline - std::chrono::steady_clock::now());
    waits.in_flight = std::max(left, std::chrono::milliseconds{1});
    return waits;
  }

  template <class Declaration, class Command>
  result<outcome_of<Command>> attempt_once(Declaration const& declaration, Command const& command,
                                           domain::envelope const& env, intent_claim const& claim, int attempt,
                                           claim_waits const& waits) {
    auto claimed = store_->claim(claim, waits);
    if (!claimed) return domain::unexpected{std::move(claimed).error()};
    // A repeat found only on a retry means a twin committed while this call was under way.
    if (claimed->waited_for_twin || claimed->state == claim_result::status::in_flight ||
        (attempt > 1 && claimed->state == claim_result::status::repeat)) {
      metrics_->in_flight_waited(Command::type_name);
    }
    switch (claimed->state) {
      case claim_result::status::in_flight:
        return outcome_of<Command>::in_flight_timeout(claim.intent);
      case claim_result::status::repeat:
        return answer_repeat(declaration, command, claim, *claimed->existing);
      case claim_result::status::claimed:
        break;
    }
    return execute(command, env, claim, *claimed->claim);
  }

  template <class Command>
  result<outcome_of<Command>> execute(Command const& command, domain::envelope const& env, intent_claim const& claim,
                                      claimed_intent& holder) {
    std::optional<state_type> state;
    std::int64_t version = 0;
    if (auto const& stored = holder.current(); stored.has_value()) {
      auto decoded = decode_state(*stored);
      if (!decoded) return domain::unexpected{std::move(decoded).error()};
      state = std::move(*decoded);
      version = stored->version;
    }

    auto decision =
        domain::decide_command<A>(std::as_const(state), command, domain::decision_context{claim.requested_at});

    command_effects effects;
    effects.expected_version = version;
    effects.inbox = env.receipt;
    effects.record = intent_record{
        claim.intent, claim.command_type, claim.fingerprint, claim.target, version, intent_status::applied,
        {},           claim.requested_at, claim.expires_at};
    if (decision.is_rejected()) {
      effects.record.status = intent_status::rejected;
      effects.record.stored_result = domain::canonical_json(decision.refusal());
      if (auto committed = holder.commit(std::move(effects)); !committed)
        return domain::unexpected{std::move(committed).error()};
      return outcome_of<Command>::rejected(claim.intent, decision.refusal());
    }

    if (!decision.events().empty()) {
      for (auto const& event : decision.events()) domain::evolve<A>(state, event);
      ++version;
      effects.new_state = stored_aggregate{claim.target, version, domain::canonical_json(*state)};
      effects.outbox.reserve(decision.events().size());
      for (auto const& event : decision.events()) effects.outbox.push_back(outbox_entry(event, claim, env, version));
    }
    effects.record.aggregate_version = version;
    auto result = domain::result_after<A>(decision, state, command);
    if (!result.has_value()) {
      return fail(error_code::internal, std::string{Command::type_name} +
                                            ": decide returned decision<> without events for an aggregate that does "
                                            "not exist, so there is no state to compute its result from");
    }
    effects.record.stored_result = domain::canonical_json(*result);
    if (auto committed = holder.commit(std::move(effects)); !committed)
      return domain::unexpected{std::move(committed).error()};
    return outcome_of<Command>::applied(claim.intent, std::move(*result), version);
  }

  template <class Declaration, class Command>
  result<outcome_of<Command>> answer_repeat(Declaration const& declaration, Command const& command,
                                            intent_claim const& claim, intent_record const& record) {
    using result_type = domain::result_of<A, Command>;
    domain::first_attempt first{record.command_type, record.target.id, record.aggregate_version, record.created_at};
    if (record.fingerprint != claim.fingerprint)
      return outcome_of<Command>::intent_conflict(claim.intent, std::move(first));
    if (record.status == intent_status::rejected) {
      auto refusal = domain::decode_json<domain::rejection>(record.stored_result);
      if (!refusal) return corrupt(claim.intent, refusal.error());
      return outcome_of<Command>::replayed_rejection(claim.intent, std::move(*refusal));
    }
    if constexpr (Declaration::policy() == domain::repeat_policy::return_prior) {
      auto prior = domain::decode_json<result_type>(record.stored_result);
      if (!prior) return corrupt(claim.intent, prior.error());
      return outcome_of<Command>::replayed(claim.intent, std::move(*prior), record.aggregate_version);
    } else if constexpr (Declaration::policy() == domain::repeat_policy::no_op) {
      auto stored = store_->read(claim.target);
      if (!stored) return domain::unexpected{std::move(stored).error()};
      if (!stored->has_value()) {
        return fail(error_code::internal, "the aggregate " + claim.target.id + " of an applied intent is missing");
      }
      auto state = decode_state(**stored);
      if (!state) return domain::unexpected{std::move(state).error()};
      return outcome_of<Command>::no_op(claim.intent, declaration.current_of(*state, command), (*stored)->version);
    } else {
      return outcome_of<Command>::duplicate_rejected(claim.intent, std::move(first));
    }
  }

  outbox_message outbox_entry(event_type const& event, intent_claim const& claim, domain::envelope const& env,
                              std::int64_t version) {
    outbox_message message{ids_->next(),
                           claim.target,
                           version,
                           std::string{domain::event_type_name(event)},
                           std::string{domain::topic_of<A>()},
                           claim.target.id,
                           std::visit([](auto const& e) { return domain::canonical_json(e); }, event),
                           {},
                           claim.requested_at};
    message.headers.reserve(6);
    message.headers.emplace_back("once-tenant", claim.intent.tenant);
    message.headers.emplace_back("once-intent-scope", claim.intent.scope);
    message.headers.emplace_back("once-intent-key", claim.intent.key);
    message.headers.emplace_back("once-command-type", claim.command_type);
    if (!env.correlation_id.empty()) message.headers.emplace_back("correlation-id", env.correlation_id);
    if (!env.trace_parent.empty()) message.headers.emplace_back("traceparent", env.trace_parent);
    return message;
  }

  static result<state_type> decode_state(stored_aggregate const& stored) {
    auto decoded = domain::decode_json<state_type>(stored.state);
    if (!decoded) {
      return fail(error_code::internal, "stored state of " + stored.ref.type + ' ' + stored.ref.id +
                                            " does not decode: " + decoded.error().message());
    }
    return std::move(*decoded);
  }

  static domain::unexpected<error> corrupt(domain::intent_key const& intent, domain::decode_error const& why) {
    return fail(error_code::internal,
                "the stored result of intent " + domain::to_string(intent) + " does not decode: " + why.message());
  }

  command_store* store_;
  clock const* clock_;
  id_generator* ids_;
  metrics* metrics_;
  dispatcher_options options_;
  std::unique_ptr<contention_hints> contention_;  // shared by all threads using this dispatcher
};

}  // namespace once::application

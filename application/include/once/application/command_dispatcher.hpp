/// \file
/// The command dispatcher: the use case every adapter (HTTP, Kafka, a test)
/// calls. It implements the repeat-semantics table of docs/semantics.md:
///
///   intent id + fingerprint -> decide on the aggregate as last seen, commit in one step
///     repeat    -> answer from the intent record, per the command's declared policy
///     in flight -> in_flight_timeout
///     committed -> state + intent record + outbox written as one unit
///     moved     -> decide again on the aggregate the store answered with
///   after a conflict, or on an aggregate that had one recently:
///     claim in the store (atomic, waits for an in-flight twin), decide on the
///     locked aggregate, commit; retry the transaction on `aborted`
///
/// Concurrency is decided by the store, never by a check in this object's
/// memory: what it remembers (recent conflicts, the aggregates it last saw)
/// only chooses how to ask, and a stale memory costs a retry, never a wrong
/// answer. A dispatcher may be shared by any number of threads.
///
/// Exceptions thrown by a handler propagate to the caller after the claim has
/// been rolled back (the intent stays new). Store failures come back as errors.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <once/application/aggregate_cache.hpp>
#include <once/application/clock.hpp>
#include <once/application/command_store.hpp>
#include <once/application/contention_hints.hpp>
#include <once/application/entity_reading.hpp>
#include <once/application/error.hpp>
#include <once/application/external_steps.hpp>
#include <once/application/fingerprint.hpp>
#include <once/application/id_generator.hpp>
#include <once/application/metrics.hpp>
#include <once/application/records.hpp>
#include <once/domain/aggregate.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/domain/envelope.hpp>
#include <once/domain/external.hpp>
#include <once/domain/intent_id.hpp>
#include <once/domain/json_decode.hpp>
#include <once/domain/outcome.hpp>

namespace once::application {

/// How commands with an external step call out (docs/external-calls.md).
struct external_step_options {
  std::chrono::milliseconds call_timeout{2000};  // bounds the whole call
  /// How long a process may hold a claimed step: it sends no call after its
  /// lease, and recovery may take the step over once it has passed.
  std::chrono::milliseconds lease{5000};
  /// How long after the last call could have been sent the other side may
  /// still book it: recovery calls again only after this, and only when the
  /// other side holds nothing under the reference.
  std::chrono::milliseconds grace{5000};
  std::chrono::milliseconds recheck{1000};  // when recovery asks again about a step it could not settle
  int max_calls = 5;                        // calls without an answer before the step goes to the exception queue
  std::string holder;                       // who holds the steps this process claims; a fresh id when empty
};

struct dispatcher_options {
  claim_waits waits{};
  int max_attempts = 5;              // transactions per command when the store answers `aborted`
  std::size_t max_key_length = 255;  // longer keys are refused as invalid_argument
  /// A new intent is decided on its aggregate as this process last saw it (as
  /// absent when it saw none) and committed in one step that checks the
  /// version (command_store::commit_decided); false: claim, decide, commit.
  bool commit_in_one_step = true;
  /// The bound of the aggregates remembered for that (aggregate_cache); 0 remembers
  /// none, so every command on an existing aggregate is decided twice.
  std::size_t aggregate_cache_bytes = std::size_t{32} << 20;
  external_step_options steps{};
};

/// Collaborators; any left null uses the process-wide default (system clock,
/// random UUIDs, no metrics). `steps` is needed by commands with an external step.
struct dispatcher_services {
  application::clock const* clock = nullptr;
  id_generator* ids = nullptr;
  application::metrics* metrics = nullptr;
  external_step_store* steps = nullptr;
};

/// What recovery did with one step.
enum class recovery_result {
  recovered,     // the other side held one record: concluded from it
  recalled,      // it provably held none and the grace had passed: called again, concluded from the answer
  waiting,       // it holds none yet, the grace has not passed: looked at again later
  not_asked,     // the other side could not be asked: looked at again later
  needs_review,  // it holds more than one record, or calls keep ending unknown: in the exception queue
  lost,          // another holder took the step meanwhile: nothing written
};

[[nodiscard]] std::string_view to_string(recovery_result result) noexcept;

/// A dispatcher seen by the recovery worker: it settles the steps of its command types.
class step_recoverer {
 public:
  virtual ~step_recoverer() = default;
  [[nodiscard]] virtual bool recovers(std::string_view command_type) const = 0;
  [[nodiscard]] virtual result<recovery_result> recover(step_record const& step) = 0;
};

namespace detail {
clock const& default_clock();
id_generator& default_ids();
metrics& default_metrics();
}  // namespace detail

template <domain::aggregate A>
class command_dispatcher final : public step_recoverer {
 public:
  template <class Command>
  using outcome_of = domain::outcome<domain::result_of<A, Command>>;

  explicit command_dispatcher(command_store& store, dispatcher_services services = {}, dispatcher_options options = {})
      : store_(&store),
        clock_(services.clock != nullptr ? services.clock : &detail::default_clock()),
        ids_(services.ids != nullptr ? services.ids : &detail::default_ids()),
        metrics_(services.metrics != nullptr ? services.metrics : &detail::default_metrics()),
        options_(std::move(options)),
        contention_(std::make_unique<contention_hints>()),
        cache_(options_.commit_in_one_step ? options_.aggregate_cache_bytes : 0),
        steps_(services.steps) {
    if (options_.steps.holder.empty()) options_.steps.holder = ids_->next();
  }

  /// The call a command with an external step makes; connected once, before
  /// the first dispatch of that command. The call outlives the dispatcher.
  template <class Command>
  requires domain::has_external_step<Command>
  void connect(external_call<Command>& call) {
    calls_[std::type_index{typeid(Command)}] = &call;
    recoverers_[std::string{Command::type_name}] = [this, &call](step_record const& step) {
      return recover_step<Command>(call, step);
    };
  }

  [[nodiscard]] bool recovers(std::string_view command_type) const override {
    return recoverers_.contains(std::string{command_type});
  }

  [[nodiscard]] result<recovery_result> recover(step_record const& step) override {
    auto found = recoverers_.find(step.command_type);
    if (found == recoverers_.end()) {
      return fail(error_code::internal, "no external call is connected for " + step.command_type);
    }
    return found->second(step);
  }

  /// The typed intent id a command gets under this envelope, or invalid_argument
  /// when it has no key (a client-key command without one, or an oversized key).
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

  /// Handles one command exactly once per intent id. See the table in docs/semantics.md.
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

  /// The intent record of a typed intent id: how a caller that got
  /// outcome_unknown can learn what happened without repeating anything.
  template <class Command>
  [[nodiscard]] result<std::optional<intent_record>> lookup(domain::intent_id<Command> const& intent) {
    return store_->find(intent.untyped());
  }

  /// How often one attempt decides again behind this process's own commits on
  /// its aggregate (decided_commit::moved_by_own_commit) before it counts as
  /// contended and serialises instead.
  static constexpr int max_decisions_behind_own_commits = 64;

 private:
  using state_type = typename A::state;
  using event_type = typename A::event;

  template <class Declaration, class Command>
  result<outcome_of<Command>> handle(Declaration const& declaration, Command const& command,
                                     domain::envelope const& env) {
    if constexpr (domain::has_external_step<Command>) {
      static_assert(Declaration::policy() == domain::repeat_policy::return_prior,
                    "once: a command with an external step answers repeats with its intent's current status: declare "
                    "it .repeat(return_prior)");
      if (call_of<Command>() == nullptr || steps_ == nullptr) {
        return fail(error_code::internal, std::string{Command::type_name} +
                                              " has an external step: connect its external_call and give the "
                                              "dispatcher an external_step_store");
      }
    }
    auto intent = intent_of(command, env);
    if (!intent) return domain::unexpected{std::move(intent).error()};
    auto const now = clock_->now();
    intent_claim claim{
        intent->untyped(),
        std::string{Command::type_name},
        fingerprint_of(command),
        aggregate_ref{std::string{A::type_name}, target_of(declaration, command, *intent), env.tenant},
        now,
        declaration.retention().has_value() ? std::optional<time_point>{now + *declaration.retention()} : std::nullopt};
    // One bound on waiting for an in-flight twin per command, across attempts:
    // an optimistic commit that waited and a serialising retry share it.
    auto const in_flight_deadline = std::chrono::steady_clock::now() + options_.waits.in_flight;
    for (int attempt = 1;; ++attempt) {
      // After a conflict, here or recently on the same aggregate, queue on it instead of racing again.
      claim.serialise = attempt > 1 || contention_->is_hot(claim.target, std::chrono::steady_clock::now());
      auto const waits = waits_until(in_flight_deadline);
      auto answer = claim.serialise || !options_.commit_in_one_step
                        ? attempt_claimed(declaration, command, env, claim, attempt, waits)
                        : attempt_in_one_step(declaration, command, env, claim, attempt, waits);
      if (answer || answer.error().code != error_code::aborted) return answer;
      contention_->conflicted(claim.target, std::chrono::steady_clock::now());
      if (attempt >= options_.max_attempts) return answer;
      metrics_->transaction_retried(Command::type_name);
    }
  }

  template <class Declaration, class Command>
  static std::string target_of(Declaration const& declaration, Command const& command,
                               domain::intent_id<Command> const& intent) {
    if constexpr (Declaration::target_named_by_intent) {
      return named_aggregate_id(intent.untyped());
    } else {
      return declaration.target_of(command);
    }
  }

  /// The configured waits, with what is left of the in-flight bound (at least a millisecond).
  claim_waits waits_until(std::chrono::steady_clock::time_point in_flight_deadline) const {
    claim_waits waits = options_.waits;
    // Rounded up: the wait ends at the deadline, never before it.
    auto const left =
        std::chrono::ceil<std::chrono::milliseconds>(in_flight_deadline - std::chrono::steady_clock::now());
    waits.in_flight = std::max(left, std::chrono::milliseconds{1});
    return waits;
  }

  /// One transaction through a claim: the store hands over the aggregate (locked when serialising).
  template <class Declaration, class Command>
  result<outcome_of<Command>> attempt_claimed(Declaration const& declaration, Command const& command,
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
    auto& holder = *claimed->claim;
    try {
      auto prepared = prepare(
          command, env, claim, holder.current(),
          [&holder](std::string_view collection, std::string const& id) { return holder.entity(collection, id); });
      if (!prepared) return domain::unexpected{std::move(prepared).error()};
      if (auto committed = holder.commit(std::move(prepared->effects)); !committed) {
        cache_.forget(claim.target);
        return domain::unexpected{std::move(committed).error()};
      }
      return answer_committed(command, claim, *prepared);
    } catch (entity_unavailable const& unavailable) {
      return domain::unexpected{unavailable.why};  // the claim rolls back when `claimed` goes out of scope
    }
  }

  /// One transaction in one step: decided on the aggregate as this process last
  /// saw it (when it saw none: on "absent", right for a new aggregate, unless
  /// misses of this command type keep finding existing ones; then on a read), committed by
  /// commit_decided. When the store answers that the aggregate moved, decided
  /// once more on what it answered; moving again is a race, left to handle().
  /// Commands of a type that lately were mostly repeats are looked up first.
  template <class Declaration, class Command>
  result<outcome_of<Command>> attempt_in_one_step(Declaration const& declaration, Command const& command,
                                                  domain::envelope const& env, intent_claim const& claim, int attempt,
                                                  claim_waits const& waits) {
    // A repeat the store remembers is answered before anything is decided or read.
    if (auto const remembered = store_->recall(claim); remembered.has_value()) {
      return answer_repeat(declaration, command, claim, *remembered);
    }
    // When commands of this type have lately been mostly repeats, a lookup
    // answers one for less than deciding it and sending the commit.
    bool const looked_up = cache_.repeat_is_likely(claim.command_type);
    if (looked_up) {
      auto found = store_->find(claim.intent);
      if (!found) return domain::unexpected{std::move(found).error()};
      bool const repeat = found->has_value() && live_at(**found, claim.requested_at);
      cache_.learn_answer(claim.command_type, repeat);
      if (repeat) return answer_repeat(declaration, command, claim, **found);
    }
    auto known = cache_.find(claim.target);
    bool guessed = !known.has_value();
    if (guessed && !cache_.absent_is_likely(claim.command_type)) {
      // Misses of this command type find existing aggregates: reading costs less than a wrong guess.
      auto stored = store_->read(claim.target);
      if (!stored) return domain::unexpected{std::move(stored).error()};
      cache_.learn_miss(claim.command_type, !stored->has_value());
      known = std::move(*stored);
      guessed = false;
    }
    bool lost_a_race = false;
    int queued_behind_own_commits = 0;
    for (bool refreshed = false;;) {
      auto const read_entry = [this, &claim](std::string_view collection, std::string const& id) {
        return store_->read_entity(claim.target, collection, id);
      };
      result<prepared_command<Command>> prepared = fail(error_code::internal, "not prepared");
      try {
        prepared = prepare(command, env, claim, known, read_entry);
      } catch (entity_unavailable const& unavailable) {
        return domain::unexpected{unavailable.why};
      } catch (...) {
        // A handler that cannot decide on "absent" for an aggregate that exists gets
        // to see the real one; on a state read from the store its exceptions propagate.
        if (!guessed) throw;
        auto stored = store_->read(claim.target);
        if (!stored) return domain::unexpected{std::move(stored).error()};
        known = std::move(*stored);
        guessed = false;
        continue;
      }
      if (!prepared) return domain::unexpected{std::move(prepared).error()};
      auto said = store_->commit_decided(claim, std::move(prepared->effects), waits);
      if (!said) {
        cache_.forget(claim.target);
        return domain::unexpected{std::move(said).error()};
      }
      if (guessed) cache_.learn_miss(claim.command_type, said->state != decided_commit::status::moved);
      if (!looked_up && !refreshed)
        cache_.learn_answer(claim.command_type, said->state == decided_commit::status::repeat);
      if (said->state == decided_commit::status::in_flight ||
          (said->state == decided_commit::status::repeat && (attempt > 1 || refreshed))) {
        metrics_->in_flight_waited(Command::type_name);
      }
      switch (said->state) {
        case decided_commit::status::committed:
          return answer_committed(command, claim, *prepared);
        case decided_commit::status::repeat:
          return answer_repeat(declaration, command, claim, *said->existing);
        case decided_commit::status::in_flight:
          return outcome_of<Command>::in_flight_timeout(claim.intent);
        case decided_commit::status::moved:
          break;
      }
      if (said->current.has_value()) {
        cache_.remember(*said->current);
      } else {
        cache_.forget(claim.target);
      }
      // Moving under a decision made on what the store answered is a race, left to
      // handle(); moved by this process's own commit it waited for, the command
      // is queueing on the aggregate, within a bound.
      bool const lost = said->moved_by_own_commit ? ++queued_behind_own_commits > max_decisions_behind_own_commits
                                                  : std::exchange(lost_a_race, true);
      if (lost) return fail(error_code::aborted, "the aggregate " + claim.target.id + " moved while deciding");
      metrics_->decided_again(Command::type_name);
      known = std::move(said->current);
      guessed = false;
      refreshed = true;
    }
  }

  /// A decision turned into the effects to commit, and the answer once they are committed.
  template <class Command>
  struct prepared_command {
    command_effects effects;
    std::optional<outcome_of<Command>> answer;  // none when an external step is to be called first
    std::optional<stored_aggregate> after;      // the aggregate as the commit leaves it, to remember
    std::string step_reference;                 // for a command with an external step
    std::chrono::steady_clock::time_point lease_ends{};
  };

  /// Decides on `current` (the aggregate at its version, or none) and builds the effects.
  template <class Command, class EntryReader>
  result<prepared_command<Command>> prepare(Command const& command, domain::envelope const& env,
                                            intent_claim const& claim, std::optional<stored_aggregate> const& current,
                                            EntryReader&& read_entry) {
    std::optional<state_type> state;
    std::int64_t version = 0;
    if (current.has_value()) {
      auto decoded = decode_state(*current);
      if (!decoded) return domain::unexpected{std::move(decoded).error()};
      state = std::move(*decoded);
      version = current->version;
    }
    read_entities_through(state, std::forward<EntryReader>(read_entry));

    domain::decision_context context{claim.requested_at, claim.target.id, {}};
    if constexpr (domain::has_external_step<Command>) context.external_reference = external_reference(claim.intent);
    auto decision = domain::decide_command<A>(std::as_const(state), command, context);

    prepared_command<Command> prepared;
    auto& effects = prepared.effects;
    effects.expected_version = version;
    effects.inbox = env.receipt;
    effects.record = intent_record{
        claim.intent, claim.command_type, claim.fingerprint, claim.target, version, intent_status::applied,
        {},           claim.requested_at, claim.expires_at};
    prepared.after = current;
    if (!decision.events().empty()) {
      for (auto const& event : decision.events()) domain::evolve<A>(state, event);
      ++version;
      effects.new_state =
          stored_aggregate{claim.target, version, domain::canonical_json(*state), changed_entities(*state)};
      prepared.after = stored_aggregate{claim.target, version, effects.new_state->state, {}};
      effects.outbox.reserve(decision.events().size());
      for (auto const& event : decision.events()) effects.outbox.push_back(outbox_entry(event, claim, env, version));
    }
    effects.record.aggregate_version = version;
    if (decision.is_rejected()) {
      effects.record.status = intent_status::rejected;
      effects.record.stored_result = domain::canonical_json(decision.refusal());
      prepared.answer = outcome_of<Command>::rejected(claim.intent, decision.refusal());
      return prepared;
    }

    auto result = domain::result_after<A>(decision, state, command);
    if (!result.has_value()) {
      return fail(error_code::internal, std::string{Command::type_name} +
                                            ": decide returned decision<> without events for an aggregate that does "
                                            "not exist, so there is no state to compute its result from");
    }
    effects.record.stored_result = domain::canonical_json(*result);
    if constexpr (domain::has_external_step<Command>) {
      effects.record.status = intent_status::pending;
      effects.step = step_start{context.external_reference, domain::canonical_json(command), options_.steps.holder,
                                clock_->now() + options_.steps.lease};
      // The lease is counted on this process's steady clock too, so a jump of the wall clock cannot extend it.
      prepared.lease_ends = std::chrono::steady_clock::now() + options_.steps.lease;
      prepared.step_reference = context.external_reference;
    } else {
      prepared.answer = outcome_of<Command>::applied(claim.intent, std::move(*result), version);
    }
    return prepared;
  }

  /// After the effects are committed: the answer, or for a command with an external step its call.
  template <class Command>
  result<outcome_of<Command>> answer_committed(Command const& command, intent_claim const& claim,
                                               prepared_command<Command>& prepared) {
    if (prepared.after.has_value()) cache_.remember(*prepared.after);
    if constexpr (domain::has_external_step<Command>) {
      if (!prepared.answer.has_value()) {
        return call_and_conclude(*call_of<Command>(), command,
                                 step_in_hand{claim.intent, claim.target, prepared.step_reference, 1},
                                 prepared.lease_ends);
      }
    }
    return std::move(*prepared.answer);
  }

  // --- external steps ---

  /// The step a caller holds: which intent, which aggregate, and the attempt it may write.
  struct step_in_hand {
    domain::intent_key intent;
    aggregate_ref target;
    std::string reference;
    std::int64_t attempt = 1;
  };

  template <class Command>
  external_call<Command>* call_of() const {
    auto found = calls_.find(std::type_index{typeid(Command)});
    return found == calls_.end() ? nullptr : static_cast<external_call<Command>*>(found->second);
  }

  /// Calls while the lease holds, then concludes from what the call answered.
  template <class Command>
  result<outcome_of<Command>> call_and_conclude(external_call<Command>& call, Command const& command,
                                                step_in_hand const& step,
                                                std::chrono::steady_clock::time_point lease_ends) {
    using answer_type = typename Command::external_answer;
    using outcome_type = domain::external_outcome<answer_type>;
    auto const left =
        std::chrono::duration_cast<std::chrono::milliseconds>(lease_ends - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds{0}) {
      // Too late to call: recovery takes the step over once the lease has passed.
      return current_answer<Command>(step.intent);
    }
    auto answered = call.call(command, step.reference, std::min(options_.steps.call_timeout, left));
    switch (answered.what) {
      case call_result<answer_type>::kind::answered:
        return conclude<Command>(command, step, outcome_type::answered(std::move(*answered.answer)));
      case call_result<answer_type>::kind::refused:
        return conclude<Command>(command, step, outcome_type::refused(std::move(answered.refusal)));
      case call_result<answer_type>::kind::unknown:
        break;
    }
    return conclude<Command>(command, step, outcome_type::unknown(std::move(answered.reason)));
  }

  /// The second transaction: conclude's events and result on the aggregate as
  /// it is now, if the step is still this attempt's. Unknown keeps the intent
  /// open for recovery; a double booking goes to the exception queue.
  template <class Command>
  result<outcome_of<Command>> conclude(Command const& command, step_in_hand const& step,
                                       domain::external_outcome<typename Command::external_answer> const& outcome) {
    try {
      return conclude_on_current_state(command, step, outcome);
    } catch (entity_unavailable const& unavailable) {
      return domain::unexpected{unavailable.why};
    }
  }

  template <class Command>
  result<outcome_of<Command>> conclude_on_current_state(
      Command const& command, step_in_hand const& step,
      domain::external_outcome<typename Command::external_answer> const& outcome) {
    for (int attempt = 1;; ++attempt) {
      auto stored = store_->read(step.target);
      if (!stored) return domain::unexpected{std::move(stored).error()};
      std::optional<state_type> state;
      std::int64_t version = 0;
      if (stored->has_value()) {
        auto decoded = decode_state(**stored);
        if (!decoded) return domain::unexpected{std::move(decoded).error()};
        state = std::move(*decoded);
        version = (*stored)->version;
      }
      read_entities_through(state, [this, &step](std::string_view collection, std::string const& id) {
        return store_->read_entity(step.target, collection, id);
      });
      auto const now = clock_->now();
      auto decision = A::conclude(std::as_const(state), command, outcome,
                                  domain::decision_context{now, step.target.id, step.reference});

      step_conclusion conclusion;
      conclusion.attempt = step.attempt;
      conclusion.next_check_at = now;
      auto& effects = conclusion.effects;
      effects.expected_version = version;
      effects.record.intent = step.intent;
      effects.record.command_type = std::string{Command::type_name};
      effects.record.target = step.target;
      effects.record.aggregate_version = version;
      std::optional<outcome_of<Command>> answer;
      if (!decision.events().empty()) {
        for (auto const& event : decision.events()) domain::evolve<A>(state, event);
        ++version;
        effects.new_state =
            stored_aggregate{step.target, version, domain::canonical_json(*state), changed_entities(*state)};
        domain::envelope env;
        env.tenant = step.intent.tenant;
        intent_claim origin{step.intent, std::string{Command::type_name}, {}, step.target, now, std::nullopt};
        for (auto const& event : decision.events()) effects.outbox.push_back(outbox_entry(event, origin, env, version));
      }
      effects.record.aggregate_version = version;
      if (decision.is_rejected()) {
        effects.record.status = intent_status::rejected;
        effects.record.stored_result = domain::canonical_json(decision.refusal());
        answer = outcome_of<Command>::rejected(step.intent, decision.refusal());
      } else {
        auto result = domain::result_after<A>(decision, state, command);
        if (!result.has_value()) {
          return fail(error_code::internal, std::string{Command::type_name} +
                                                ": conclude returned decision<> without events for an aggregate that "
                                                "does not exist");
        }
        effects.record.stored_result = domain::canonical_json(*result);
        effects.record.status = intent_status::applied;
        answer = outcome_of<Command>::applied(step.intent, std::move(*result), version);
      }
      using kind = typename domain::external_outcome<typename Command::external_answer>::kind;
      if (outcome.what == kind::unknown) {
        if (effects.record.status == intent_status::applied) effects.record.status = intent_status::unknown;
        conclusion.status = step_status::unknown;
      } else if (outcome.what == kind::duplicated) {
        conclusion.status = step_status::needs_review;
        std::string evidence = R"({"reference":)" + domain::canonical_json(step.reference) + R"(,"records":)" +
                               domain::canonical_json(outcome.answers) + "}";
        conclusion.exception =
            exception_entry{step.intent.tenant, "double_booking", std::move(evidence), step.intent, step.reference};
      }
      auto written = steps_->conclude(conclusion);
      if (!written) {
        if (written.error().code == error_code::aborted && attempt < options_.max_attempts) continue;
        return domain::unexpected{std::move(written).error()};
      }
      if (!*written) return current_answer<Command>(step.intent);  // another holder has the step now
      if (effects.new_state.has_value()) {
        cache_.remember(stored_aggregate{step.target, effects.new_state->version, effects.new_state->state, {}});
      }
      return std::move(*answer);
    }
  }

  /// The intent's answer as its record holds it now (pending, unknown or concluded).
  template <class Command>
  result<outcome_of<Command>> current_answer(domain::intent_key const& intent) {
    auto record = store_->find(intent);
    if (!record) return domain::unexpected{std::move(record).error()};
    if (!record->has_value()) return fail(error_code::internal, "the intent " + domain::to_string(intent) + " is gone");
    if ((*record)->status == intent_status::rejected) {
      auto refusal = domain::decode_json<domain::rejection>((*record)->stored_result);
      if (!refusal) return corrupt(intent, refusal.error());
      return outcome_of<Command>::replayed_rejection(intent, std::move(*refusal));
    }
    auto prior = domain::decode_json<domain::result_of<A, Command>>((*record)->stored_result);
    if (!prior) return corrupt(intent, prior.error());
    return outcome_of<Command>::replayed(intent, std::move(*prior), (*record)->aggregate_version);
  }

  /// Recovery of one step whose holder is gone or whose outcome is unknown:
  /// ask the other side by reference first; call again only when it provably
  /// holds nothing and the grace after the last possible call has passed.
  template <class Command>
  result<recovery_result> recover_step(external_call<Command>& call, step_record const& step) {
    using answer_type = typename Command::external_answer;
    using outcome_type = domain::external_outcome<answer_type>;
    auto command = domain::decode_json<Command>(step.command);
    if (!command) {
      return fail(error_code::internal,
                  "the stored command of intent " + domain::to_string(step.intent) + " does not decode");
    }
    step_in_hand const held{step.intent, step.target, step.reference, step.attempt};
    auto const settled = [](auto const& concluded) -> result<recovery_result> {
      if (!concluded) return domain::unexpected{concluded.error()};
      return recovery_result::recovered;
    };
    auto found = call.look_up(*command, step.reference);
    auto const now = clock_->now();
    if (!found.asked) {
      if (auto deferred = steps_->defer(step.intent, step.attempt, now + options_.steps.recheck); !deferred)
        return domain::unexpected{std::move(deferred).error()};
      return recovery_result::not_asked;
    }
    if (found.found.size() == 1)
      return settled(conclude<Command>(*command, held, outcome_type::answered(found.found[0])));
    if (found.found.size() > 1) {
      auto concluded = conclude<Command>(*command, held, outcome_type::duplicated(std::move(found.found)));
      if (!concluded) return domain::unexpected{std::move(concluded).error()};
      return recovery_result::needs_review;
    }
    if (now < step.last_sent_by + options_.steps.grace) {
      if (auto deferred = steps_->defer(step.intent, step.attempt, step.last_sent_by + options_.steps.grace); !deferred)
        return domain::unexpected{std::move(deferred).error()};
      return recovery_result::waiting;
    }
    if (step.calls >= options_.steps.max_calls) {
      auto escalated = escalate<Command>(step);
      if (!escalated) return domain::unexpected{std::move(escalated).error()};
      return *escalated ? recovery_result::needs_review : recovery_result::lost;
    }
    auto const lease_ends = std::chrono::steady_clock::now() + options_.steps.lease;
    auto prepared = steps_->prepare_call(step.intent, step.attempt, now + options_.steps.lease);
    if (!prepared) return domain::unexpected{std::move(prepared).error()};
    if (!*prepared) return recovery_result::lost;
    auto concluded = call_and_conclude(call, *command, held, lease_ends);
    if (!concluded) return domain::unexpected{std::move(concluded).error()};
    return recovery_result::recalled;
  }

  /// A step that calls keep leaving unknown: the exception queue, the intent as it is.
  template <class Command>
  result<bool> escalate(step_record const& step) {
    auto record = store_->find(step.intent);
    if (!record) return domain::unexpected{std::move(record).error()};
    if (!record->has_value())
      return fail(error_code::internal, "the intent " + domain::to_string(step.intent) + " is gone");
    step_conclusion conclusion;
    conclusion.attempt = step.attempt;
    conclusion.status = step_status::needs_review;
    conclusion.next_check_at = clock_->now();
    conclusion.effects.record = **record;
    conclusion.effects.expected_version = (*record)->aggregate_version;
    conclusion.exception = exception_entry{
        step.intent.tenant, "unresolved",
        R"({"reference":)" + domain::canonical_json(step.reference) + R"(,"calls":)" + std::to_string(step.calls) + "}",
        step.intent, step.reference};
    return steps_->conclude(conclusion);
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
      auto decoded = decode_state(**stored);
      if (!decoded) return domain::unexpected{std::move(decoded).error()};
      std::optional<state_type> state{std::move(*decoded)};
      read_entities_through(state, [this, &claim](std::string_view collection, std::string const& id) {
        return store_->read_entity(claim.target, collection, id);
      });
      try {
        return outcome_of<Command>::no_op(claim.intent, declaration.current_of(*state, command), (*stored)->version);
      } catch (entity_unavailable const& unavailable) {
        return domain::unexpected{unavailable.why};
      }
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
  aggregate_cache cache_;                         // likewise
  external_step_store* steps_ = nullptr;
  /// Connected before the first dispatch and only read afterwards: the calls by command type, and
  /// by command type name the recovery of their steps.
  std::unordered_map<std::type_index, void*> calls_;
  std::unordered_map<std::string, std::function<result<recovery_result>(step_record const&)>> recoverers_;
};

}  // namespace once::application

/// \file
/// The automatic check of an aggregate's declared repeat semantics. Give it
/// one sample per command (and the history that makes the sample meaningful);
/// verify() runs each sample on a fresh in-memory store and asserts the rows of
/// the table in docs/semantics.md for the command's declared policy:
///
///   - a duplicate while the first is in flight waits, then times out;
///     the abandoned first attempt leaves the intent new;
///   - first time: applied or rejected;
///   - repeat, same fingerprint (with a different envelope): replayed result,
///     no_op with the current representation, or duplicate_rejected; a first
///     rejection is replayed under every policy; nothing is written;
///   - repeat with one business field changed: intent_conflict, nothing written;
///   - repeat after the declared retention: handled as new.
///
///   once::testing::repeat_semantics<account>()
///       .sample(open_account{"A-1", "EUR", 10000})
///       .sample(authorize_payment{"A-1", {2500, "EUR"}, "books"}, {account_opened{"A-1", "EUR", 10000}})
///       ...
///       .verify();
///
/// verify() also fails when a command of the table has no sample.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <set>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/hana/for_each.hpp>
#include <boost/hana/keys.hpp>

#include <once/application/clock.hpp>
#include <once/application/command_dispatcher.hpp>
#include <once/application/fingerprint.hpp>
#include <once/domain/aggregate.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/memory/memory_command_store.hpp>
#include <once/testing/mutations.hpp>

namespace once::testing {

inline domain::envelope sample_envelope(std::string key = "sample-key-1") {
  domain::envelope env;
  env.tenant = "tenant-sample";
  env.principal = "sample-client";
  env.client_key = std::move(key);
  env.correlation_id = "first-attempt";
  return env;
}

template <domain::aggregate A>
class repeat_semantics {
 public:
  template <class Command>
  requires domain::handles<A, Command> repeat_semantics& sample(Command command,
                                                                std::vector<typename A::event> history = {},
                                                                domain::envelope env = sample_envelope()) {
    samples_.push_back({Command::type_name, [command = std::move(command), history = std::move(history),
                                             env = std::move(env)] { check(command, history, env); }});
    return *this;
  }

  void verify(std::source_location where = std::source_location::current()) const {
    std::set<std::string_view> sampled;
    for (auto const& [name, run] : samples_) {
      sampled.insert(name);
      run();
    }
    boost::hana::for_each(boost::hana::keys(A::commands), [&](auto type) {
      using command = typename decltype(type)::type;
      if (!sampled.contains(command::type_name)) {
        ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
            << command::type_name << " is in " << A::type_name
            << "'s command table but has no sample: its repeat semantics are unchecked";
      }
    });
  }

 private:
  struct sample_run {
    std::string_view name;
    std::function<void()> run;
  };

  template <class Command>
  static void check(Command const& command, std::vector<typename A::event> const& history,
                    domain::envelope const& env) {
    SCOPED_TRACE(std::string{"repeat semantics of "} + std::string{Command::type_name});
    auto const& declaration = domain::declaration_of<Command>(A::commands);
    application::manual_clock clock;
    memory::memory_command_store store{clock};
    application::dispatcher_options options;
    options.waits.in_flight = std::chrono::milliseconds{30};
    application::command_dispatcher<A> dispatcher{store, {&clock}, options};
    application::aggregate_ref const target{std::string{A::type_name}, declaration.target_of(command), env.tenant};

    if (!history.empty()) {
      std::optional<typename A::state> state;
      for (auto const& event : history) domain::evolve<A>(state, event);
      store.seed({target, 1, domain::canonical_json(*state)});
    }
    auto const intent = dispatcher.intent_of(command, env);
    ASSERT_TRUE(intent.has_value()) << intent.error().message;

    // In flight: a twin holds the claim; the duplicate waits, then times out.
    {
      auto held = store.claim({intent->untyped(), std::string{Command::type_name}, application::fingerprint_of(command),
                               target, clock.now(), std::nullopt, /*serialise=*/true},
                              options.waits);
      ASSERT_TRUE(held.has_value() && held->state == application::claim_result::status::claimed);
      auto const waited = dispatcher.dispatch(command, env);
      ASSERT_TRUE(waited.has_value()) << waited.error().message;
      EXPECT_EQ(waited->kind(), domain::outcome_kind::in_flight_timeout);
    }  // the twin is abandoned without commit: the intent must be new again

    auto const first = dispatcher.dispatch(command, env);
    ASSERT_TRUE(first.has_value()) << first.error().message;
    ASSERT_TRUE(first->kind() == domain::outcome_kind::applied || first->kind() == domain::outcome_kind::rejected)
        << "first handling gave " << domain::to_string(first->kind());

    auto const written = snapshot(store, target);
    domain::envelope retry = env;
    retry.correlation_id = "retry-with-new-metadata";
    retry.trace_parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    retry.received_at += std::chrono::seconds{1};
    auto const repeat = dispatcher.dispatch(command, retry);
    ASSERT_TRUE(repeat.has_value()) << repeat.error().message;
    expect_repeat_answer(declaration, command, store, target, *first, *repeat);
    EXPECT_EQ(snapshot(store, target), written) << "a repeat wrote something";

    bool conflict_checked = false;
    for_each_mutation(command, [&](Command const& changed) {
      if (conflict_checked) return;
      auto const changed_intent = dispatcher.intent_of(changed, env);
      if (!changed_intent || !(*changed_intent == *intent)) return;  // that field is part of the intent id
      if (application::fingerprint_of(changed) == application::fingerprint_of(command)) return;
      conflict_checked = true;
      auto const conflict = dispatcher.dispatch(changed, env);
      ASSERT_TRUE(conflict.has_value()) << conflict.error().message;
      EXPECT_EQ(conflict->kind(), domain::outcome_kind::intent_conflict)
          << "same intent, changed payload gave " << domain::to_string(conflict->kind());
      EXPECT_EQ(snapshot(store, target), written) << "a conflicting repeat wrote something";
    });
    if (!conflict_checked) {
      std::string const note = "[ note ] " + std::string{Command::type_name} +
                               ": every business field is part of the intent id; no conflicting payload exists\n";
      std::fputs(note.c_str(), stdout);
    }

    if (auto const retention = declaration.retention(); retention.has_value()) {
      clock.advance(*retention + std::chrono::seconds{1});
      auto const after_expiry = dispatcher.dispatch(command, env);
      ASSERT_TRUE(after_expiry.has_value()) << after_expiry.error().message;
      EXPECT_TRUE(after_expiry->kind() == domain::outcome_kind::applied ||
                  after_expiry->kind() == domain::outcome_kind::rejected)
          << "a repeat after the retention expired gave " << domain::to_string(after_expiry->kind());
    }
  }

  template <class Declaration, class Command, class Outcome>
  static void expect_repeat_answer(Declaration const& declaration, Command const& command,
                                   memory::memory_command_store& store, application::aggregate_ref const& target,
                                   Outcome const& first, Outcome const& repeat) {
    if (first.kind() == domain::outcome_kind::rejected) {
      EXPECT_EQ(repeat.kind(), domain::outcome_kind::replayed) << "a rejection must be replayed under every policy";
      ASSERT_TRUE(repeat.has_rejection());
      EXPECT_EQ(repeat.refusal(), first.refusal());
      return;
    }
    switch (Declaration::policy()) {
      case domain::repeat_policy::return_prior:
        EXPECT_EQ(repeat.kind(), domain::outcome_kind::replayed);
        ASSERT_TRUE(repeat.has_result());
        EXPECT_EQ(domain::canonical_json(repeat.result()), domain::canonical_json(first.result()));
        EXPECT_EQ(repeat.aggregate_version(), first.aggregate_version());
        break;
      case domain::repeat_policy::no_op: {
        EXPECT_EQ(repeat.kind(), domain::outcome_kind::no_op);
        ASSERT_TRUE(repeat.has_result());
        if constexpr (Declaration::has_current) {
          auto const stored = store.read(target);
          ASSERT_TRUE(stored.has_value() && stored->has_value());
          auto const state = domain::decode_json<typename A::state>((*stored)->state);
          ASSERT_TRUE(state.has_value());
          EXPECT_EQ(domain::canonical_json(repeat.result()),
                    domain::canonical_json(declaration.current_of(*state, command)));
        }
        break;
      }
      case domain::repeat_policy::reject_conflict:
        EXPECT_EQ(repeat.kind(), domain::outcome_kind::duplicate_rejected);
        ASSERT_TRUE(repeat.first().has_value());
        EXPECT_EQ(repeat.first()->aggregate_id, target.id);
        EXPECT_EQ(repeat.first()->command_type, Command::type_name);
        break;
    }
  }

  /// What the store holds for the target: version, state, outbox length, intent count.
  static std::string snapshot(memory::memory_command_store& store, application::aggregate_ref const& target) {
    auto const stored = store.read(target);
    std::string out =
        "outbox=" + std::to_string(store.outbox_size()) + " intents=" + std::to_string(store.intent_count());
    if (stored.has_value() && stored->has_value()) {
      out += " version=" + std::to_string((*stored)->version) + " state=" + (*stored)->state;
    }
    return out;
  }

  std::vector<sample_run> samples_;
};

}  // namespace once::testing

// payments-service without HTTP: its commands, dispatched in-process through
// the same stack as the service's (PostgreSQL store, replay cache in front of
// it, Prometheus metrics). It is bench/http-bench's baseline, so the ratio
// there is the HTTP layer's cost and not the difference between two domains
// or two configurations.
//
//   payments-inprocess-bench --database-url URL --schema NAME [--seconds 10] [--clients 16,64]
//                            [--replay-cache 100000] [--scenarios new,replay,pay,history] [--run-id ID]
//                            [--history 100000] [--history-commands 20]
//
// new:     payments.open_account with a new key and a new account per command (what
//          bench/http/payments.lua sends as "new");
// replays: payments.authorize_payment repeats of 1000 payments made beforehand, one per
//          account (what it sends as "replay"); from memory with the replay
//          cache, one PostgreSQL round trip each with --replay-cache 0.
// pay:     payments.authorize_payment with a new key per command on one of 256 accounts, at random,
//          opened beforehand (what bench/http/payments.lua sends as "pay");
// history: what a new payments.authorize_payment costs on an account that holds --history
//          payments against one that holds 10: --history-commands commands on each, one at
//          a time, alternating between the two; the ratio of the medians. The two accounts
//          are written as those authorizations leave them, through the store port in one
//          commit each (dispatching 100,000 commands first would cost what is measured).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/application/entity_reading.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/service/service.hpp>
#include <once/testing/client_threads.hpp>
#include <payments/domain/account.hpp>
#include <payments/domain/ids.hpp>

namespace {

using payments::domain::account;

struct cell {
  double per_second = 0;
  double p99_ms = 0;
  std::int64_t failed = 0;
};

// `clients` threads calling `one(client, n)` (n counts that client's calls) until the time is up.
template <class One>
cell measure(int clients, std::chrono::seconds duration, One const& one) {
  std::atomic<std::int64_t> failed{0};
  auto const run = once::testing::run_clients(clients, duration, [&](int c) {
    return [&one, &failed, c, n = std::int64_t{0}]() mutable {
      bool const done = one(c, n++);
      if (!done) ++failed;
      return done;
    };
  });
  return {run.per_second, run.percentile_ms(0.99), failed.load()};
}

// Writes account `id` as opening it and authorizing `payments` payments of 1 EUR leaves it.
bool seed_account(once::application::command_store& store, std::string const& id, int payments) {
  using namespace once::application;
  std::optional<payments::domain::account_state> state;
  once::domain::evolve<account>(state, payments::domain::account_opened{id, "EUR", 1'000'000'000'000});
  for (int n = 1; n <= payments; ++n) {
    once::domain::evolve<account>(
        state, payments::domain::payment_authorized{payments::domain::payment_id_for(id, n), id, {1, "EUR"}, "bench"});
  }
  aggregate_ref const ref{std::string{account::type_name}, id, "bench"};
  intent_claim const claim{{"bench", "seed", id}, "bench.seed", "", ref, std::chrono::system_clock::now(), {}, true};
  auto claimed = store.claim(claim, {});
  if (!claimed || claimed->state != claim_result::status::claimed) return false;
  command_effects effects;
  effects.new_state = stored_aggregate{ref, 1, once::domain::canonical_json(*state), changed_entities(*state)};
  effects.record =
      intent_record{claim.intent, claim.command_type, "", ref, 1, intent_status::applied, "{}", claim.requested_at, {}};
  return claimed->claim->commit(std::move(effects)).has_value();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"payments-service's commands in-process on PostgreSQL"};
  // The service's stack (PostgreSQL, migrated; the replay cache in front; metrics on), from the same options.
  once::service::options options{.name = "payments-inprocess-bench"};
  std::string run_id = "inprocess";
  int seconds = 10;
  std::vector<int> client_counts{16, 64};
  std::string scenarios = "new,replay";
  int history = 100'000;
  int history_commands = 20;
  app.add_option("--database-url", options.postgres.database_url)->required();
  app.add_option("--schema", options.postgres.schema)->required();
  app.add_option("--run-id", run_id, "prefix of keys and account ids")->capture_default_str();
  app.add_option("--seconds", seconds, "per measurement")->capture_default_str();
  app.add_option("--clients", client_counts, "comma-separated")->delimiter(',')->capture_default_str();
  app.add_option("--replay-cache", options.replay_cache,
                 "settled intents remembered in memory, 0: none (as payments-service)")
      ->capture_default_str();
  app.add_option(
         "--shared-commits", options.postgres.shared_commit_statements,
         "commits of commands decided together share a statement, at most N such statements at once; 0: each alone")
      ->capture_default_str();
  app.add_option("--scenarios", scenarios)->capture_default_str();
  app.add_option("--history", history, "payments held by the long-lived account of the history scenario")
      ->capture_default_str();
  app.add_option("--history-commands", history_commands, "commands timed on each account")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.postgres.pool_size = static_cast<std::size_t>(*std::max_element(client_counts.begin(), client_counts.end()));

  auto stack = once::service::command_stack::open(options);
  if (!stack) {
    std::fprintf(stderr, "payments-inprocess-bench: %s\n", stack.error().message.c_str());
    return 1;
  }
  once::application::command_dispatcher<account> accounts{(*stack)->commands(), (*stack)->services()};
  auto envelope_for = [](std::string key) {
    once::domain::envelope env;
    env.tenant = "bench";
    env.principal = "bearer:bench";
    env.client_key = std::move(key);
    env.received_at = std::chrono::system_clock::now();
    return env;
  };

  auto const wants = [&](std::string_view name) { return scenarios.find(name) != std::string::npos; };
  constexpr int replayable = 1000;
  for (int i = 0; wants("replay") && i < replayable; ++i) {
    auto const id = run_id + "-B-" + std::to_string(i);
    (void)accounts.dispatch(payments::domain::open_account{id, "EUR", 1'000'000'000'000}, envelope_for("open-" + id));
    (void)accounts.dispatch(payments::domain::authorize_payment{id, {1, "EUR"}, "bench"},
                            envelope_for(run_id + "-replay-" + std::to_string(i)));
  }

  constexpr int paying_accounts = 256;
  for (int i = 0; wants("pay") && i < paying_accounts; ++i) {
    auto const id = run_id + "-P-" + std::to_string(i);
    (void)accounts.dispatch(payments::domain::open_account{id, "EUR", 1'000'000'000'000}, envelope_for("open-" + id));
  }

  std::printf("| scenario | clients | commands/s | p99 ms | failed |\n|---|---|---|---|---|\n");
  std::fflush(stdout);  // scripts sampling CPU wait for this line: the preparation is over
  for (int clients : client_counts) {
    if (wants("new")) {
      auto const fresh = measure(clients, std::chrono::seconds{seconds}, [&](int c, std::int64_t n) {
        auto const id = run_id + "-" + std::to_string(clients) + "-t" + std::to_string(c) + "-" + std::to_string(n);
        auto const outcome = accounts.dispatch(payments::domain::open_account{id, "EUR", 1000}, envelope_for(id));
        return outcome.has_value() && outcome->kind() == once::domain::outcome_kind::applied;
      });
      std::printf("| payments new intents | %d | %.0f | %.3f | %lld |\n", clients, fresh.per_second, fresh.p99_ms,
                  static_cast<long long>(fresh.failed));
    }
    if (wants("pay")) {
      // Accounts at random, each client drawing from a generator of its own (as wrk's threads do).
      std::vector<std::mt19937> account_pickers;
      for (int c = 0; c < clients; ++c) account_pickers.emplace_back(static_cast<std::mt19937::result_type>(c + 1));
      auto const paid = measure(clients, std::chrono::seconds{seconds}, [&](int c, std::int64_t n) {
        std::uniform_int_distribution<int> any_account{0, paying_accounts - 1};
        auto const account = run_id + "-P-" + std::to_string(any_account(account_pickers[static_cast<std::size_t>(c)]));
        auto const key =
            run_id + "-pay-" + std::to_string(clients) + "-t" + std::to_string(c) + "-" + std::to_string(n);
        auto const outcome =
            accounts.dispatch(payments::domain::authorize_payment{account, {1, "EUR"}, "bench"}, envelope_for(key));
        return outcome.has_value() && outcome->kind() == once::domain::outcome_kind::applied;
      });
      std::printf("| payments on existing accounts | %d | %.0f | %.3f | %lld |\n", clients, paid.per_second,
                  paid.p99_ms, static_cast<long long>(paid.failed));
    }
    if (wants("replay")) {
      auto const replays = measure(clients, std::chrono::seconds{seconds}, [&](int c, std::int64_t n) {
        auto const i = static_cast<int>((n * 7919 + c * 104729) % replayable);
        auto const id = run_id + "-B-" + std::to_string(i);
        auto const outcome = accounts.dispatch(payments::domain::authorize_payment{id, {1, "EUR"}, "bench"},
                                               envelope_for(run_id + "-replay-" + std::to_string(i)));
        return outcome.has_value() && outcome->kind() == once::domain::outcome_kind::replayed;
      });
      std::printf("| payments replays | %d | %.0f | %.3f | %lld |\n", clients, replays.per_second, replays.p99_ms,
                  static_cast<long long>(replays.failed));
    }
    std::fflush(stdout);
  }
  if (wants("history")) {
    constexpr int short_history = 10;
    auto const long_lived = run_id + "-H-" + std::to_string(history);
    auto const fresh = run_id + "-H-" + std::to_string(short_history);
    if (!seed_account((*stack)->commands(), long_lived, history) ||
        !seed_account((*stack)->commands(), fresh, short_history)) {
      std::fprintf(stderr, "payments-inprocess-bench: could not write the history scenario's accounts\n");
      return 1;
    }
    std::vector<double> long_ms;
    std::vector<double> short_ms;
    std::int64_t failed = 0;
    auto const authorize = [&](std::string const& id, int n, std::vector<double>& times) {
      auto const started = std::chrono::steady_clock::now();
      auto const outcome = accounts.dispatch(payments::domain::authorize_payment{id, {1, "EUR"}, "bench"},
                                             envelope_for(id + "-pay-" + std::to_string(n)));
      times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
      if (!outcome.has_value() || outcome->kind() != once::domain::outcome_kind::applied) ++failed;
    };
    for (int n = 0; n < history_commands; ++n) {
      authorize(long_lived, n, long_ms);
      authorize(fresh, n, short_ms);
    }
    std::printf("\n| new authorization on an account holding | commands | median ms | failed |\n|---|---|---|---|\n");
    std::printf("| %d payments | %d | %.3f | %lld |\n", history, history_commands, median(long_ms),
                static_cast<long long>(failed));
    std::printf("| %d payments | %d | %.3f | |\n", short_history, history_commands, median(short_ms));
    std::printf("history ratio (%d payments held / %d): %.2fx\n", history, short_history,
                median(long_ms) / median(short_ms));
  }
  return 0;
}

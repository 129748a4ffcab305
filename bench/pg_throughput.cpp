// Committed commands per second and latency through PostgreSQL, for the
// framework's store and, in the same run, the naive transaction a user would
// write by hand (BEGIN; INSERT intent ON CONFLICT DO NOTHING; SELECT version;
// UPDATE with the version check, or INSERT; INSERT outbox; UPDATE intent
// result; COMMIT: 7 round trips, optimistic retry on a lost race).
//
//   bench/pg-bench            (starts a durable throwaway PostgreSQL, builds, runs this)
//   once_pg_bench --database-url URL [--seconds 5] [--clients 1,4,16,64] [--scenarios new,cold,hot,replay]
//                 [--shared-commits N] [--light-load-commits N] [--light-load-beside M]
//
// "once" decides a new intent on the aggregate as it last saw it and commits
// in one statement, with the store's default shared commits (or N); "once,
// each commit alone" is the same with them off; "once, light load M" (with
// --light-load-beside M) is "once" with light_load_commit_statements M;
// "once, claim then commit" is the dispatcher with commit_in_one_step off
// (once_look, then once_commit).
// The last column is the CPU of this machine's PostgreSQL processes per
// command (from /proc).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <once/application/command_dispatcher.hpp>
#include <once/postgres/migrator.hpp>
#include <once/postgres/pg_command_store.hpp>

#include <once/testing/client_threads.hpp>
#include "counter.hpp"
#include "number_list.hpp"

namespace {

using once_bench::add;
using once_bench::counter;

struct cell {
  std::string scenario;
  std::string implementation;
  int clients = 0;
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::int64_t rolled_back = 0;
  double server_cpu_us = 0;  // CPU of this machine's PostgreSQL processes per command; 0 when none run here
};

// The CPU ticks (user + system) of each of this machine's processes named postgres, by PID.
std::map<int, long long> postgres_cpu_ticks() {
  std::map<int, long long> ticks;
  for (auto const& entry : std::filesystem::directory_iterator{"/proc"}) {
    std::ifstream stat{entry.path() / "stat"};
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto const open = line.find('(');
    auto const close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos ||
        line.substr(open + 1, close - open - 1) != "postgres")
      continue;
    std::istringstream fields{line.substr(close + 2)};
    std::string field;
    long long spent = 0;
    for (int index = 3; index <= 15 && fields >> field; ++index) {  // field 3 is the state; 14 and 15 utime and stime
      if (index >= 14) spent += std::stoll(field);
    }
    ticks[std::stoi(line.substr(0, open))] = spent;
  }
  return ticks;
}

// The CPU seconds the server's processes alive at the second reading spent
// since the first, or since they started: the backends (a pool may connect
// within a cell), the WAL writer, the checkpointer. A process that ends within
// a cell, such as an autovacuum worker, is left out rather than lowering the
// sum by what it had spent before.
double postgres_cpu_seconds_between(std::map<int, long long> const& before, std::map<int, long long> const& after) {
  long long spent = 0;
  for (auto const& [pid, ticks] : after) {
    auto const earlier = before.find(pid);
    spent += ticks - (earlier == before.end() ? 0 : earlier->second);
  }
  return static_cast<double>(spent) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string replace_schema(std::string text, std::string const& schema) {
  for (auto at = text.find("${schema}"); at != std::string::npos; at = text.find("${schema}")) {
    text.replace(at, 9, schema);
  }
  return text;
}

// Runs `clients` threads calling `one(client, rng, retries)` until the time is up.
// `one` returns whether a command was committed (or answered, for replays).
cell measure(std::string scenario, std::string implementation, int clients, std::chrono::seconds duration,
             std::function<bool(int, std::mt19937&, std::int64_t&)> const& one) {
  std::atomic<std::int64_t> rolled_back{0};
  auto const cpu_before = postgres_cpu_ticks();
  auto const run = once::testing::run_clients(clients, duration, [&](int c) {
    return [&one, &rolled_back, c, rng = std::mt19937{static_cast<unsigned>(c * 7919 + 1)}]() mutable {
      std::int64_t retries = 0;
      bool const done = one(c, rng, retries);
      rolled_back += retries;
      return done;
    };
  });
  auto const commands = run.per_second * static_cast<double>(duration.count());
  auto const cpu_us =
      commands > 0 ? postgres_cpu_seconds_between(cpu_before, postgres_cpu_ticks()) * 1e6 / commands : 0.0;
  return {std::move(scenario),     std::move(implementation), clients, run.per_second, run.percentile_ms(0.50),
          run.percentile_ms(0.99), rolled_back.load(),        cpu_us};
}

// The naive hand-written transaction; returns false (and counts a retry) when it lost a race.
bool naive_command(pqxx::connection& connection, std::string const& schema, std::string const& key,
                   std::string const& aggregate, std::int64_t& retries) {
  try {
    pqxx::work tx{connection};
    auto const claimed = tx.exec_params("INSERT INTO " + schema +
                                            ".naive_intents (key) VALUES ($1) "
                                            "ON CONFLICT DO NOTHING RETURNING 1",
                                        key);
    if (claimed.empty()) {
      tx.commit();
      return true;  // a repeat: the stored result would be read here
    }
    auto const current = tx.exec_params("SELECT version FROM " + schema + ".naive_aggregates WHERE id = $1", aggregate);
    std::int64_t version = 0;
    if (current.empty()) {
      tx.exec_params("INSERT INTO " + schema + ".naive_aggregates (id, version, state) VALUES ($1, 1, '{\"total\":1}')",
                     aggregate);
    } else {
      version = current[0][0].as<std::int64_t>();
      auto const updated =
          tx.exec_params("UPDATE " + schema +
                             ".naive_aggregates SET version = version + 1, "
                             "state = jsonb_set(state, '{total}', to_jsonb((state->>'total')::bigint + 1)) "
                             "WHERE id = $1 AND version = $2",
                         aggregate, version);
      if (updated.affected_rows() == 0) {
        ++retries;  // lost the race: roll back and try again
        return false;
      }
    }
    tx.exec_params(
        "INSERT INTO " + schema + ".naive_outbox (aggregate_id, version, payload) VALUES ($1, $2, '{\"amount\":1}')",
        aggregate, version + 1);
    tx.exec_params("UPDATE " + schema + ".naive_intents SET result = '{\"ok\":true}' WHERE key = $1", key);
    tx.commit();
    return true;
  } catch (pqxx::unique_violation const&) {
    ++retries;
    return false;
  } catch (pqxx::serialization_failure const&) {
    ++retries;
    return false;
  } catch (pqxx::deadlock_detected const&) {
    ++retries;
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"once PostgreSQL throughput against a hand-written baseline"};
  std::string url;
  int seconds = 5;
  std::string clients_text = "1,4,16,64";
  std::string scenarios_text = "new,cold,hot,replay";
  app.add_option("--database-url", url)->required();
  app.add_option("--seconds", seconds, "per measurement")->capture_default_str();
  app.add_option("--clients", clients_text)->capture_default_str();
  app.add_option("--scenarios", scenarios_text)->capture_default_str();
  std::size_t shared_statements = once::postgres::pg_options{}.shared_commit_statements;
  app.add_option("--shared-commits", shared_statements,
                 "pg_options::shared_commit_statements of \"once\"; above 0, a row with each command alone beside it")
      ->capture_default_str();
  std::size_t light_load_statements = once::postgres::pg_options{}.light_load_commit_statements;
  app.add_option("--light-load-commits", light_load_statements, "pg_options::light_load_commit_statements of \"once\"")
      ->capture_default_str();
  std::size_t light_load_beside = 0;
  app.add_option("--light-load-beside", light_load_beside,
                 "above 0, new and cold rows of \"once\" with light_load_commit_statements this instead, beside it");
  CLI11_PARSE(app, argc, argv);
  auto const client_counts = once_bench::parse_number_list(clients_text);
  auto const duration = std::chrono::seconds{seconds};
  auto const wants = [&](std::string const& name) { return scenarios_text.find(name) != std::string::npos; };

  std::string const schema = "bench_" + std::to_string(::getpid());
  once::postgres::pg_options options{url, schema, 64, std::chrono::milliseconds{30000}, "once-bench"};
  options.shared_commit_statements = shared_statements;
  options.light_load_commit_statements = light_load_statements;
  if (auto migrated = once::postgres::migrate(options); !migrated) {
    std::fprintf(stderr, "migrate: %s\n", migrated.error().message.c_str());
    return 1;
  }
  {
    std::ifstream file(ONCE_NAIVE_SQL);
    std::stringstream text;
    text << file.rdbuf();
    pqxx::connection connection{url};
    pqxx::nontransaction statement{connection};
    statement.exec(replace_schema(text.str(), schema));
  }
  auto store = once::postgres::pg_command_store::open(options);
  if (!store) return 1;
  once::application::command_dispatcher<counter> dispatcher{**store};
  // Today's other path, measured beside it: claim (once_look), decide, commit (once_commit).
  once::application::dispatcher_options two_step_options;
  two_step_options.commit_in_one_step = false;
  once::application::command_dispatcher<counter> two_step{**store, {}, two_step_options};
  // The one-step path with shared commits off: each command commits in a transaction of its own.
  auto alone_options = options;
  alone_options.shared_commit_statements = 0;
  auto alone_store = once::postgres::pg_command_store::open(alone_options);
  if (!alone_store) return 1;
  once::application::command_dispatcher<counter> alone{**alone_store};
  constexpr char const* alone_name = "once, each commit alone";
  // The one-step path with another light-load bound, measured in the same sequence of cells when asked.
  std::unique_ptr<once::postgres::pg_command_store> beside_store;
  std::optional<once::application::command_dispatcher<counter>> beside;
  if (light_load_beside > 0) {
    auto beside_options = options;
    beside_options.light_load_commit_statements = light_load_beside;
    auto opened = once::postgres::pg_command_store::open(beside_options);
    if (!opened) return 1;
    beside_store = std::move(*opened);
    beside.emplace(*beside_store);
  }
  std::string const beside_name = "once, light load " + std::to_string(light_load_beside);
  once::domain::envelope env;
  env.tenant = "tenant-bench";

  std::vector<cell> cells;
  std::atomic<std::int64_t> sequence{0};
  auto command_through = [&](once::application::command_dispatcher<counter>& through, std::string const& aggregate,
                             std::int64_t& retries) {
    auto const key = "F-" + std::to_string(sequence++);
    auto const answer = through.dispatch(add{aggregate, key, 1}, env);
    if (!answer.has_value()) ++retries;
    return answer.has_value();
  };
  auto framework_command = [&](std::string const& aggregate, std::int64_t& retries) {
    return command_through(dispatcher, aggregate, retries);
  };
  constexpr char const* two_step_name = "once, claim then commit";
  if (wants("cold")) {
    // Aggregates that exist but that no dispatcher has seen: C-<n> for the one-step path, K-<n> for the other.
    pqxx::connection connection{url};
    pqxx::nontransaction statement{connection};
    std::vector<std::string> prefixes{"C-", "K-"};
    if (light_load_beside > 0) prefixes.emplace_back("D-");
    for (auto const& prefix : prefixes) {
      statement.exec("INSERT INTO " + schema +
                     ".once_aggregates (tenant, aggregate_type, aggregate_id, version, state) "
                     "SELECT 'tenant-bench', 'bench.counter', '" +
                     prefix + "' || n, 1, '{\"total\":0,\"additions\":0}' FROM generate_series(0, 99999) AS n");
    }
  }
  // One connection per naive client, beside the store's pool of 64: the server's max_connections must allow both.
  std::vector<std::unique_ptr<pqxx::connection>> naive_connections;
  try {
    for (int i = 0; i < *std::max_element(client_counts.begin(), client_counts.end()); ++i) {
      naive_connections.push_back(std::make_unique<pqxx::connection>(url));
    }
  } catch (pqxx::broken_connection const& failure) {
    std::fprintf(stderr, "cannot open a connection for naive client %zu: %s\n", naive_connections.size() + 1,
                 failure.what());
    return 1;
  }

  for (int clients : client_counts) {
    if (wants("new")) {
      cells.push_back(measure("new intents, 100k aggregates", "naive", clients, duration,
                              [&](int c, std::mt19937& rng, std::int64_t& retries) {
                                return naive_command(*naive_connections[static_cast<std::size_t>(c)], schema,
                                                     "N-" + std::to_string(sequence++),
                                                     "A-" + std::to_string(rng() % 100000), retries);
                              }));
      cells.push_back(measure("new intents, 100k aggregates", "once", clients, duration,
                              [&](int, std::mt19937& rng, std::int64_t& retries) {
                                return framework_command("A-" + std::to_string(rng() % 100000), retries);
                              }));
      cells.push_back(measure("new intents, 100k aggregates", two_step_name, clients, duration,
                              [&](int, std::mt19937& rng, std::int64_t& retries) {
                                return command_through(two_step, "T-" + std::to_string(rng() % 100000), retries);
                              }));
      if (shared_statements > 0) {
        // Aggregates of its own (S-<n>), as each dispatcher has (A-, T-): one that met aggregates
        // another dispatcher wrote would miss in its memory and pay a read, which the others do not.
        cells.push_back(measure("new intents, 100k aggregates", alone_name, clients, duration,
                                [&](int, std::mt19937& rng, std::int64_t& retries) {
                                  return command_through(alone, "S-" + std::to_string(rng() % 100000), retries);
                                }));
      }
      if (light_load_beside > 0) {
        cells.push_back(measure("new intents, 100k aggregates", beside_name, clients, duration,
                                [&](int, std::mt19937& rng, std::int64_t& retries) {
                                  return command_through(*beside, "L-" + std::to_string(rng() % 100000), retries);
                                }));
      }
    }
    if (wants("cold")) {
      // A fresh dispatcher each time: it has seen none of them.
      once::application::command_dispatcher<counter> unseen{**store};
      cells.push_back(measure("new intents, 100k existing aggregates not seen before", "once", clients, duration,
                              [&](int, std::mt19937& rng, std::int64_t& retries) {
                                return command_through(unseen, "C-" + std::to_string(rng() % 100000), retries);
                              }));
      cells.push_back(measure("new intents, 100k existing aggregates not seen before", two_step_name, clients, duration,
                              [&](int, std::mt19937& rng, std::int64_t& retries) {
                                return command_through(two_step, "K-" + std::to_string(rng() % 100000), retries);
                              }));
      if (light_load_beside > 0) {
        once::application::command_dispatcher<counter> unseen_beside{*beside_store};
        cells.push_back(measure("new intents, 100k existing aggregates not seen before", beside_name, clients, duration,
                                [&](int, std::mt19937& rng, std::int64_t& retries) {
                                  return command_through(unseen_beside, "D-" + std::to_string(rng() % 100000), retries);
                                }));
      }
    }
    if (wants("hot")) {
      cells.push_back(measure(
          "hot set of 10 aggregates", "naive", clients, duration, [&](int c, std::mt19937& rng, std::int64_t& retries) {
            return naive_command(*naive_connections[static_cast<std::size_t>(c)], schema,
                                 "N-" + std::to_string(sequence++), "H-" + std::to_string(rng() % 10), retries);
          }));
      cells.push_back(measure("hot set of 10 aggregates", "once", clients, duration,
                              [&](int, std::mt19937& rng, std::int64_t& retries) {
                                return framework_command("H-" + std::to_string(rng() % 10), retries);
                              }));
      cells.push_back(measure("hot set of 10 aggregates", two_step_name, clients, duration,
                              [&](int, std::mt19937& rng, std::int64_t& retries) {
                                return command_through(two_step, "H-" + std::to_string(rng() % 10), retries);
                              }));
      if (shared_statements > 0) {
        cells.push_back(measure("hot set of 10 aggregates", alone_name, clients, duration,
                                [&](int, std::mt19937& rng, std::int64_t& retries) {
                                  return command_through(alone, "H-" + std::to_string(rng() % 10), retries);
                                }));
      }
    }
  }
  if (wants("replay")) {
    // Intents to replay: the first 10,000 of each kind written above (or now).
    constexpr int replayable = 10000;
    for (int i = 0; i < replayable; ++i) {
      std::int64_t ignored = 0;
      (void)dispatcher.dispatch(add{"R-" + std::to_string(i % 1000), "R-" + std::to_string(i), 1}, env);
      (void)naive_command(*naive_connections[0], schema, "NR-" + std::to_string(i), "R-" + std::to_string(i % 1000),
                          ignored);
    }
    for (int clients : client_counts) {
      cells.push_back(
          measure("replays", "naive (bare SELECT)", clients, duration, [&](int c, std::mt19937& rng, std::int64_t&) {
            pqxx::nontransaction tx{*naive_connections[static_cast<std::size_t>(c)]};
            auto const rows = tx.exec_params("SELECT result FROM " + schema + ".naive_intents WHERE key = $1",
                                             "NR-" + std::to_string(rng() % replayable));
            return !rows.empty();
          }));
      cells.push_back(measure("replays", "once", clients, duration, [&](int, std::mt19937& rng, std::int64_t& retries) {
        auto const i = rng() % replayable;
        auto const answer = dispatcher.dispatch(add{"R-" + std::to_string(i % 1000), "R-" + std::to_string(i), 1}, env);
        if (!answer.has_value()) ++retries;
        return answer.has_value() && answer->kind() == once::domain::outcome_kind::replayed;
      }));
    }
  }

  std::printf(
      "| scenario | implementation | clients | committed/s | p50 ms | p99 ms | rolled back | PostgreSQL CPU µs per "
      "command |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::map<std::string, double> rate;
  for (auto const& c : cells) {
    std::printf("| %s | %s | %d | %.0f | %.2f | %.2f | %lld | %.0f |\n", c.scenario.c_str(), c.implementation.c_str(),
                c.clients, c.per_second, c.p50_ms, c.p99_ms, static_cast<long long>(c.rolled_back), c.server_cpu_us);
    rate[c.scenario + "/" + c.implementation + "/" + std::to_string(c.clients)] = c.per_second;
  }
  std::printf("\nratios (same run):\n");
  for (int clients : client_counts) {
    auto const key = "/" + std::to_string(clients);
    auto ratio = [&](std::string const& a, std::string const& b) {
      auto const x = rate.find(a + key);
      auto const y = rate.find(b + key);
      return x == rate.end() || y == rate.end() || y->second == 0 ? 0.0 : x->second / y->second;
    };
    std::string const two_step_of = std::string{"/"} + two_step_name;
    std::printf(
        "  %2d clients: new once/naive %.2fx | new once/two-step %.2fx | cold once/two-step %.2fx | hot once/naive "
        "%.2fx | hot once/two-step %.2fx | replay once / new once %.2fx | replay once / bare SELECT %.2fx\n",
        clients, ratio("new intents, 100k aggregates/once", "new intents, 100k aggregates/naive"),
        ratio("new intents, 100k aggregates/once", "new intents, 100k aggregates" + two_step_of),
        ratio("new intents, 100k existing aggregates not seen before/once",
              "new intents, 100k existing aggregates not seen before" + two_step_of),
        ratio("hot set of 10 aggregates/once", "hot set of 10 aggregates/naive"),
        ratio("hot set of 10 aggregates/once", "hot set of 10 aggregates" + two_step_of),
        ratio("replays/once", "new intents, 100k aggregates/once"),
        ratio("replays/once", "replays/naive (bare SELECT)"));
  }
  if (shared_statements > 0) {
    for (int clients : client_counts) {
      auto const at = [&](std::string const& scenario, std::string const& implementation) {
        auto const found = rate.find(scenario + "/" + implementation + "/" + std::to_string(clients));
        return found == rate.end() ? 0.0 : found->second;
      };
      auto const ratio = [](double a, double b) { return b == 0 ? 0.0 : a / b; };
      std::printf(
          "  %2d clients: new once/each commit alone %.2fx | new each commit alone/naive %.2fx | hot "
          "once/each commit alone %.2fx\n",
          clients, ratio(at("new intents, 100k aggregates", "once"), at("new intents, 100k aggregates", alone_name)),
          ratio(at("new intents, 100k aggregates", alone_name), at("new intents, 100k aggregates", "naive")),
          ratio(at("hot set of 10 aggregates", "once"), at("hot set of 10 aggregates", alone_name)));
    }
  }
  if (light_load_beside > 0) {
    for (int clients : client_counts) {
      auto const versus = [&](std::string const& scenario) {
        auto const mine = rate.find(scenario + "/once/" + std::to_string(clients));
        auto const other = rate.find(scenario + "/" + beside_name + "/" + std::to_string(clients));
        return mine == rate.end() || other == rate.end() || other->second == 0 ? 0.0 : mine->second / other->second;
      };
      std::printf("  %2d clients: new once/%s %.2fx | cold once/%s %.2fx\n", clients, beside_name.c_str(),
                  versus("new intents, 100k aggregates"), beside_name.c_str(),
                  versus("new intents, 100k existing aggregates not seen before"));
    }
  }
  auto const hot4 = rate.find("hot set of 10 aggregates/once/4");
  auto const hot64 = rate.find("hot set of 10 aggregates/once/64");
  if (hot4 != rate.end() && hot64 != rate.end()) {
    std::printf("  hot aggregates, once at 64 clients / at 4 clients: %.2fx\n", hot64->second / hot4->second);
  }

  pqxx::connection connection{url};
  pqxx::nontransaction statement{connection};
  statement.exec("DROP SCHEMA " + schema + " CASCADE");
  return 0;
}

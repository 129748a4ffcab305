// A worker process for the multi-process PostgreSQL tests: sends deposits
// (one intent per index, business-keyed) from many threads, retrying until
// each is answered, and prints "ack <index> <outcome> <result>" per answer.
// Its share of the work: every (index, copy) with (index + copy) % processes == process.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/postgres/pg_command_store.hpp>

#include "support/ledger.hpp"
#include "support/retrying_sender.hpp"

int main(int argc, char** argv) {
  CLI::App app{"once test worker: concurrent deposits against PostgreSQL"};
  once::postgres::pg_options options;
  int from = 0;
  int to = 0;
  int copies = 1;
  int process = 0;
  int processes = 1;
  int aggregates = 10;
  int threads = 16;
  unsigned seed = 1;
  app.add_option("--database-url", options.database_url)->required();
  app.add_option("--schema", options.schema)->required();
  app.add_option("--from", from)->required();
  app.add_option("--to", to)->required();
  app.add_option("--copies", copies);
  app.add_option("--process", process);
  app.add_option("--processes", processes);
  app.add_option("--aggregates", aggregates);
  app.add_option("--threads", threads);
  app.add_option("--seed", seed);
  app.add_option("--shared-commits", options.shared_commit_statements);
  CLI11_PARSE(app, argc, argv);

  std::vector<int> work;
  for (int index = from; index < to; ++index) {
    for (int copy = 0; copy < copies; ++copy) {
      if ((index + copy) % processes == process) work.push_back(index);
    }
  }
  std::shuffle(work.begin(), work.end(), std::mt19937{seed});

  options.pool_size = static_cast<std::size_t>(threads);
  options.application_name = "once-worker";
  auto store = once::postgres::pg_command_store::open(options);
  if (!store) {
    std::fprintf(stderr, "worker: %s\n", store.error().message.c_str());
    return 1;
  }
  once::application::command_dispatcher<once_tests::ledger> dispatcher{**store};

  std::atomic<std::size_t> next{0};
  std::atomic<int> unanswered{0};
  std::mutex output;
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&] {
      once::domain::envelope env;
      env.tenant = "tenant-workers";
      for (std::size_t slot = next++; slot < work.size(); slot = next++) {
        int const index = work[slot];
        once_tests::deposit const command{"L-" + std::to_string(index % aggregates), "D-" + std::to_string(index), 1};
        auto const answer = once_tests::send_until_answered(dispatcher, command, env);
        if (!answer.has_value()) {
          ++unanswered;
          continue;
        }
        std::string const result =
            answer->has_result() ? once::domain::canonical_json(answer->result()) : answer->refusal().code;
        std::lock_guard lock(output);
        std::printf("ack %d %s %s\n", index, std::string{once::domain::to_string(answer->kind())}.c_str(),
                    result.c_str());
        std::fflush(stdout);
      }
    });
  }
  for (auto& sender : senders) sender.join();
  if (unanswered > 0) std::fprintf(stderr, "worker: %d commands got no answer\n", unanswered.load());
  return unanswered > 0 ? 1 : 0;
}

// A worker frozen mid-claim: claims one intent in serialising mode (its
// transaction holds the intent's and the aggregate's locks), prints
// "claimed", and stops itself with SIGSTOP before it could commit.
//   once_pg_claim_holder DATABASE_URL SCHEMA KEY CLAIM_TIMEOUT_MS
#include <csignal>
#include <cstdio>
#include <string>

#include <once/postgres/pg_command_store.hpp>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: once_pg_claim_holder DATABASE_URL SCHEMA KEY CLAIM_TIMEOUT_MS\n");
    return 2;
  }
  once::postgres::pg_options options;
  options.database_url = argv[1];
  options.schema = argv[2];
  options.pool_size = 1;
  options.claim_timeout = std::chrono::milliseconds{std::stol(argv[4])};
  auto store = once::postgres::pg_command_store::open(options);
  if (!store) return 1;
  once::application::intent_claim const claim{{"tenant-c", "contract.scope", argv[3]},
                                              "contract.command",
                                              "fp-1",
                                              {"contract.aggregate", "agg-1", "tenant-c"},
                                              std::chrono::system_clock::now(),
                                              std::nullopt,
                                              /*serialise=*/true};
  auto held = (*store)->claim(claim, {});
  if (!held || held->state != once::application::claim_result::status::claimed) return 1;
  std::printf("claimed\n");
  std::fflush(stdout);
  std::raise(SIGSTOP);
  return 0;
}

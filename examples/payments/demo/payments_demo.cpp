// The payments domain in memory, step by step: a first command, its replay,
// a conflicting reuse of the key, concurrent duplicates collapsing into one
// effect, and a rejection that is stored and replayed like a result.
#include <array>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <once/application/command_dispatcher.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/memory/memory_command_store.hpp>

#include <payments/domain/account.hpp>

namespace {

using namespace payments::domain;
using once::domain::outcome_kind;

once::domain::envelope request(std::string idempotency_key) {
  once::domain::envelope env;
  env.tenant = "merchant-42";
  env.principal = "demo";
  env.client_key = std::move(idempotency_key);
  return env;
}

template <class Outcome>
void show(Outcome const& answer) {
  std::cout << "  -> " << once::domain::to_string(answer.kind());
  if (answer.has_result()) std::cout << ' ' << once::domain::canonical_json(answer.result());
  if (answer.has_rejection()) std::cout << " rejection " << once::domain::canonical_json(answer.refusal());
  std::cout << "\n\n";
}

template <class Result>
Result const& must(Result const& answer) {
  if (!answer.has_value()) {
    std::cerr << "demo: infrastructure error: " << answer.error().message << '\n';
    std::exit(1);
  }
  return answer;
}

}  // namespace

int main() {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<account> accounts{store};

  std::cout << "once — payments domain on the in-memory store (tenant merchant-42)\n\n";

  std::cout << "1. Open account A-1 in EUR with a credit limit of 1000.00 (key open-A-1)\n";
  show(*must(accounts.dispatch(open_account{"A-1", "EUR", 100000}, request("open-A-1"))));

  authorize_payment const books{"A-1", {2500, "EUR"}, "books"};
  std::cout << "2. Authorize 25.00 EUR for books (key pay-001): first time, executed\n";
  show(*must(accounts.dispatch(books, request("pay-001"))));

  std::cout << "3. The client times out and retries with the same key: the stored result is replayed\n";
  show(*must(accounts.dispatch(books, request("pay-001"))));

  std::cout << "4. The same key reused for 99.00 EUR: a different payload under one intent is refused\n";
  show(*must(accounts.dispatch(authorize_payment{"A-1", {9900, "EUR"}, "books"}, request("pay-001"))));

  std::cout << "5. 32 threads send the same payment (key pay-002) at once\n";
  authorize_payment const lamp{"A-1", {4000, "EUR"}, "lamp"};
  std::map<outcome_kind, int> kinds;
  std::mutex kinds_mutex;
  std::vector<std::thread> senders;
  for (int i = 0; i < 32; ++i) {
    senders.emplace_back([&] {
      auto const answer = accounts.dispatch(lamp, request("pay-002"));
      std::lock_guard lock(kinds_mutex);
      ++kinds[answer.has_value() ? answer->kind() : outcome_kind::in_flight_timeout];
    });
  }
  for (auto& sender : senders) sender.join();
  for (auto const& [kind, count] : kinds) std::cout << "  " << count << " x " << once::domain::to_string(kind) << '\n';
  auto const stored = must(store.read({std::string{account::type_name}, "A-1", "merchant-42"}));
  auto const state = once::domain::decode_json<account_state>((*stored)->state);
  std::cout << "  account A-1: " << state->payments_authorized << " payments, authorized total "
            << state->authorized_total << " (25.00 + 40.00, each once), version " << (*stored)->version << ", outbox "
            << store.outbox_size() << " events\n\n";

  std::cout << "6. Authorize 2000.00 EUR (key pay-003): over the credit limit, rejected\n";
  authorize_payment const car{"A-1", {200000, "EUR"}, "car"};
  show(*must(accounts.dispatch(car, request("pay-003"))));
  std::cout << "7. The rejected request retried: the rejection is replayed, not re-run\n";
  show(*must(accounts.dispatch(car, request("pay-003"))));

  std::cout << "Intent records: " << store.intent_count() << ", outbox events: " << store.outbox_size() << '\n';
  return 0;
}

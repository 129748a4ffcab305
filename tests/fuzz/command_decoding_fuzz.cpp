// Every example command decoded from any JSON text, as the HTTP routes and the
// consumer decode them: a command or a decode_error naming a field, never a
// crash; a decoded command encodes canonically and decodes back to itself;
// and it goes through its aggregate's dispatcher (the memory store, holding
// account A-1, stock item W-1/SKU-1 with 10 units, and the claim of C-1's
// submission S-1, so that commands on them reach the aggregate's decisions)
// to an outcome or a typed error, and so does its repeat. The first byte picks
// the command; tests/fuzz/corpus/command_decoding has one seed per command.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>

#include <once/application/command_dispatcher.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/domain/json_decode.hpp>
#include <once/memory/memory_command_store.hpp>

#include <claims/domain/claim.hpp>
#include <inventory/domain/stock_item.hpp>
#include <legacy_facade/domain/transfer.hpp>
#include <payments/domain/account.hpp>

namespace {

// A command of AGGREGATE whose decoding, encoding and dispatch are checked.
template <class Aggregate, class Command>
struct dispatched {};
// A command whose dispatch needs an external call: decoded and encoded only.
template <class Command>
struct decoded_only {};

using commands = std::tuple<dispatched<payments::domain::account, payments::domain::open_account>,
                            dispatched<payments::domain::account, payments::domain::authorize_payment>,
                            dispatched<payments::domain::account, payments::domain::capture_payment>,
                            dispatched<payments::domain::account, payments::domain::set_payment_description>,
                            dispatched<payments::domain::account, payments::domain::refund_payment>,
                            dispatched<payments::domain::account, payments::domain::pay_out>,
                            dispatched<inventory::domain::stock_item, inventory::domain::register_stock_item>,
                            dispatched<inventory::domain::stock_item, inventory::domain::receive_shipment>,
                            dispatched<inventory::domain::stock_item, inventory::domain::reserve_stock>,
                            dispatched<inventory::domain::stock_item, inventory::domain::release_reservation>,
                            dispatched<inventory::domain::stock_item, inventory::domain::set_reorder_level>,
                            dispatched<inventory::domain::stock_item, inventory::domain::adjust_stock>,
                            dispatched<claims::domain::claim, claims::domain::submit_claim>,
                            dispatched<claims::domain::claim, claims::domain::approve_disbursement>,
                            dispatched<claims::domain::claim, claims::domain::record_screening>,
                            decoded_only<legacy_facade::domain::create_transfer>>;

once::domain::envelope keyed(std::string key) {
  once::domain::envelope envelope;
  envelope.tenant = "tenant-a";
  envelope.client_key = std::move(key);
  return envelope;
}

// What the store holds before a fuzzed command: something for it to act on.
void prepare(once::application::command_dispatcher<payments::domain::account>& accounts) {
  std::ignore = accounts.dispatch(payments::domain::open_account{"A-1", "EUR", 100000}, keyed("open"));
}
void prepare(once::application::command_dispatcher<inventory::domain::stock_item>& items) {
  std::ignore = items.dispatch(inventory::domain::register_stock_item{"W-1", "SKU-1", 2}, keyed("register"));
  std::ignore = items.dispatch(inventory::domain::receive_shipment{"W-1", "SKU-1", "R-1", 10}, keyed("receive"));
}
void prepare(once::application::command_dispatcher<claims::domain::claim>& claims) {
  std::ignore =
      claims.dispatch(claims::domain::submit_claim{"S-1", "C-1", "P-1", {500, "EUR"}, "storm"}, keyed("submit"));
}

template <class Command>
void check_round_trip(Command const& command) {
  auto const canonical = once::domain::canonical_json(command);
  auto const again = once::domain::decode_json<Command>(canonical);
  if (!again || once::domain::canonical_json(*again) != canonical) std::abort();
}

template <class Command>
void check(decoded_only<Command>, std::string_view text) {
  auto const command = once::domain::decode_json<Command>(text);
  if (!command) return;
  check_round_trip(*command);
}

template <class Aggregate, class Command>
void check(dispatched<Aggregate, Command>, std::string_view text) {
  auto const command = once::domain::decode_json<Command>(text);
  if (!command) {
    if (command.error().problem.empty()) std::abort();  // a refusal always says what is wrong
    return;
  }
  check_round_trip(*command);
  once::memory::memory_command_store store;
  once::application::command_dispatcher<Aggregate> dispatcher{store};
  prepare(dispatcher);
  // A refusal, a conflict or an invalid id are answers; only a crash is a finding.
  std::ignore = dispatcher.dispatch(*command, keyed("fuzz"));
  std::ignore = dispatcher.dispatch(*command, keyed("fuzz"));  // and its repeat
}

template <std::size_t... I>
void check_one(std::size_t which, std::string_view text, std::index_sequence<I...>) {
  ((which == I ? check(std::tuple_element_t<I, commands>{}, text) : void()), ...);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr auto count = std::tuple_size_v<commands>;
  std::string_view const text{reinterpret_cast<char const*>(data) + 1, size - 1};
  check_one(data[0] % count, text, std::make_index_sequence<count>{});
  return 0;
}

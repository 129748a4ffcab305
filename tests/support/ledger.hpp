// A small aggregate for the framework's own tests: one command per repeat
// policy, business-keyed and client-keyed, with a rejection path. It is not
// an example; examples/ holds those.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/hana/define_struct.hpp>

#include <once/domain/aggregate.hpp>
#include <once/domain/command_table.hpp>
#include <once/domain/decision.hpp>

namespace once_tests {

// Deposit: keyed by its business id, return_prior.
struct deposit {
  static constexpr std::string_view type_name = "test.deposit";
  BOOST_HANA_DEFINE_STRUCT(deposit, (std::string, ledger_id), (std::string, deposit_id), (std::int64_t, amount));
};
// Withdraw: client-keyed, return_prior, rejected when the balance is short.
struct withdraw {
  static constexpr std::string_view type_name = "test.withdraw";
  BOOST_HANA_DEFINE_STRUCT(withdraw, (std::string, ledger_id), (std::int64_t, amount));
};
// Rename: client-keyed, no_op, scope embeds the ledger id.
struct rename {
  static constexpr std::string_view type_name = "test.rename";
  BOOST_HANA_DEFINE_STRUCT(rename, (std::string, ledger_id), (std::string, name));
};
// Close: client-keyed, reject_conflict.
struct close_ledger {
  static constexpr std::string_view type_name = "test.close_ledger";
  BOOST_HANA_DEFINE_STRUCT(close_ledger, (std::string, ledger_id), (std::string, reason));
};

struct deposited {
  static constexpr std::string_view type_name = "test.deposited";
  BOOST_HANA_DEFINE_STRUCT(deposited, (std::string, deposit_id), (std::int64_t, amount));
};
struct withdrawn {
  static constexpr std::string_view type_name = "test.withdrawn";
  BOOST_HANA_DEFINE_STRUCT(withdrawn, (std::int64_t, amount));
};
struct renamed {
  static constexpr std::string_view type_name = "test.renamed";
  BOOST_HANA_DEFINE_STRUCT(renamed, (std::string, name));
};
struct closed {
  static constexpr std::string_view type_name = "test.closed";
  BOOST_HANA_DEFINE_STRUCT(closed, (std::string, reason));
};

struct ledger_state {
  BOOST_HANA_DEFINE_STRUCT(ledger_state, (std::string, name), (std::int64_t, balance), (std::int64_t, operations),
                           (bool, is_closed));
};

struct ledger_view {
  BOOST_HANA_DEFINE_STRUCT(ledger_view, (std::string, name), (std::int64_t, balance), (std::int64_t, operations));
  friend bool operator==(ledger_view const&, ledger_view const&) = default;
};

inline ledger_view view_of(ledger_state const& s) {
  return {s.name, s.balance, s.operations};
}

inline constexpr auto ledger_commands =
    once::domain::command_table(once::domain::on<deposit>()
                                    .scope(&deposit::ledger_id)
                                    .key(&deposit::deposit_id)
                                    .target(&deposit::ledger_id)
                                    .repeat(once::domain::return_prior),
                                once::domain::on<withdraw>()
                                    .key(once::domain::client_key)
                                    .target(&withdraw::ledger_id)
                                    .repeat(once::domain::return_prior)
                                    .retain(std::chrono::hours{24}),
                                once::domain::on<rename>()
                                    .scope(&rename::ledger_id)
                                    .key(once::domain::client_key)
                                    .target(&rename::ledger_id)
                                    .repeat(once::domain::no_op)
                                    .current([](ledger_state const& s, rename const&) { return view_of(s); }),
                                once::domain::on<close_ledger>()
                                    .key(once::domain::client_key)
                                    .target(&close_ledger::ledger_id)
                                    .repeat(once::domain::reject_conflict));

struct ledger : once::domain::aggregate_types<ledger_state, std::variant<deposited, withdrawn, renamed, closed>> {
  static constexpr std::string_view type_name = "test.ledger";
  static constexpr auto const& commands = ledger_commands;

  static decision<ledger_view> decide(current const& s, deposit const& c, context const&) {
    if (s && s->is_closed) return once::domain::reject("ledger_closed", "the ledger is closed");
    if (c.amount <= 0) return once::domain::reject("invalid_amount", "deposits are positive");
    auto next = s.value_or(ledger_state{});
    next.balance += c.amount;
    next.operations += 1;
    return once::domain::accept(view_of(next), deposited{c.deposit_id, c.amount});
  }
  static decision<ledger_view> decide(current const& s, withdraw const& c, context const&) {
    if (!s) return once::domain::reject("ledger_not_found", "no such ledger");
    if (c.amount > s->balance) return once::domain::reject("insufficient_funds", "balance too low");
    auto next = *s;
    next.balance -= c.amount;
    next.operations += 1;
    return once::domain::accept(view_of(next), withdrawn{c.amount});
  }
  static decision<ledger_view> decide(current const& s, rename const& c, context const&) {
    if (!s) return once::domain::reject("ledger_not_found", "no such ledger");
    auto next = *s;
    next.name = c.name;
    next.operations += 1;
    return once::domain::accept(view_of(next), renamed{c.name});
  }
  static decision<ledger_view> decide(current const& s, close_ledger const& c, context const&) {
    if (!s) return once::domain::reject("ledger_not_found", "no such ledger");
    auto next = *s;
    next.is_closed = true;
    next.operations += 1;
    return once::domain::accept(view_of(next), closed{c.reason});
  }

  static void apply(ledger_state& s, deposited const& e) { s.balance += e.amount, s.operations += 1; }
  static void apply(ledger_state& s, withdrawn const& e) { s.balance -= e.amount, s.operations += 1; }
  static void apply(ledger_state& s, renamed const& e) { s.name = e.name, s.operations += 1; }
  static void apply(ledger_state& s, closed const&) { s.is_closed = true, s.operations += 1; }
};

}  // namespace once_tests

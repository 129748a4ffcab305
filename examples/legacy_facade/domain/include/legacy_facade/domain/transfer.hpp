// The transfer aggregate: a transfer the facade books once on the legacy
// core. CreateTransfer has an external step (the core's booking): decide
// records the request with the reference the call carries; conclude records
// what the core did — its transfer number, its refusal, that nobody knows
// yet, or that it holds two bookings of our reference.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include <once/domain/aggregate.hpp>
#include <once/domain/external.hpp>

namespace legacy_facade::domain {

struct money {
  BOOST_HANA_DEFINE_STRUCT(money, (std::int64_t, value),  // minor units: the core's amount_cents
                           (std::string, currency));
  friend bool operator==(money const&, money const&) = default;
};

// Account ids: 1 to 64 characters of A-Z a-z 0-9 _ -.
[[nodiscard]] bool is_valid_account(std::string_view id) noexcept;
[[nodiscard]] bool is_currency_code(std::string_view code) noexcept;

// What the legacy core holds for one booking (its answer, and its listing's rows).
struct booking {
  BOOST_HANA_DEFINE_STRUCT(booking, (std::int64_t, transfer_no), (std::string, reference), (std::string, from_account),
                           (std::string, to_account), (std::int64_t, amount_cents));
  friend bool operator==(booking const&, booking const&) = default;
};

// --- the command ---

struct create_transfer {
  static constexpr std::string_view type_name = "facade.create_transfer";
  using external_answer = booking;
  BOOST_HANA_DEFINE_STRUCT(create_transfer, (std::string, from_account), (std::string, to_account), (money, amount));
};

// --- events ---

struct transfer_requested {
  static constexpr std::string_view type_name = "TransferRequested";
  BOOST_HANA_DEFINE_STRUCT(transfer_requested, (std::string, transfer_id), (std::string, reference),
                           (std::string, from_account), (std::string, to_account), (money, amount));
};
struct transfer_completed {
  static constexpr std::string_view type_name = "TransferCompleted";
  BOOST_HANA_DEFINE_STRUCT(transfer_completed, (std::string, transfer_id), (std::int64_t, legacy_transfer_no));
};
struct transfer_failed {
  static constexpr std::string_view type_name = "TransferFailed";
  BOOST_HANA_DEFINE_STRUCT(transfer_failed, (std::string, transfer_id), (std::string, code));
};
// The outcome is not known yet (status "unknown"), or the core holds more than one booking ("needs_review").
struct transfer_in_doubt {
  static constexpr std::string_view type_name = "TransferInDoubt";
  BOOST_HANA_DEFINE_STRUCT(transfer_in_doubt, (std::string, transfer_id), (std::string, status),
                           (std::vector<std::int64_t>, legacy_transfer_nos));
};

// --- state and view ---

struct transfer_state {
  BOOST_HANA_DEFINE_STRUCT(transfer_state, (std::string, transfer_id), (std::string, status), (std::string, reference),
                           (std::string, from_account), (std::string, to_account), (money, amount),
                           (std::optional<std::int64_t>, legacy_transfer_no),
                           (std::vector<std::int64_t>, legacy_transfer_nos), (std::string, code));
};

// status: pending | unknown | completed | failed | needs_review (with every number the core holds).
struct transfer_view {
  BOOST_HANA_DEFINE_STRUCT(transfer_view, (std::string, transfer_id), (std::string, status),
                           (std::optional<std::int64_t>, legacy_transfer_no), (std::string, reference), (money, amount),
                           (std::string, from_account), (std::string, to_account), (std::string, code),
                           (std::vector<std::int64_t>, legacy_transfer_nos));
  friend bool operator==(transfer_view const&, transfer_view const&) = default;
};

[[nodiscard]] transfer_view view_of(transfer_state const& state);

inline constexpr auto transfer_commands = once::domain::command_table(
    once::domain::on<create_transfer>()
        .key(once::domain::client_key)
        .target(once::domain::named_by_intent)
        .only_if_new([](create_transfer const&) {
          return once::domain::reject("transfer_exists", "this key names an existing transfer");
        })
        .result([](transfer_state const& state, create_transfer const&) { return view_of(state); })
        .repeat(once::domain::return_prior));

using transfer_event = std::variant<transfer_requested, transfer_completed, transfer_failed, transfer_in_doubt>;

struct transfer : once::domain::aggregate_types<transfer_state, transfer_event> {
  static constexpr std::string_view type_name = "facade.transfer";
  static constexpr auto const& commands = transfer_commands;
  using outcome = once::domain::external_outcome<booking>;

  static decision<> decide(current const&, create_transfer const&, context const&);
  static decision<> conclude(current const&, create_transfer const&, outcome const&, context const&);

  static void apply(transfer_state&, transfer_requested const&);
  static void apply(transfer_state&, transfer_completed const&);
  static void apply(transfer_state&, transfer_failed const&);
  static void apply(transfer_state&, transfer_in_doubt const&);
};

}  // namespace legacy_facade::domain

// A minimal aggregate for benchmarks: the framework's cost, not a domain's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/hana/define_struct.hpp>

#include <once/domain/aggregate.hpp>

namespace once_bench {

struct add {
  static constexpr std::string_view type_name = "bench.add";
  BOOST_HANA_DEFINE_STRUCT(add, (std::string, counter_id), (std::string, request_id), (std::int64_t, amount));
};
struct added {
  static constexpr std::string_view type_name = "bench.added";
  BOOST_HANA_DEFINE_STRUCT(added, (std::int64_t, amount));
};
struct counter_state {
  BOOST_HANA_DEFINE_STRUCT(counter_state, (std::int64_t, total), (std::int64_t, additions));
};

inline constexpr auto counter_commands = once::domain::command_table(
    once::domain::on<add>().key(&add::request_id).target(&add::counter_id).repeat(once::domain::return_prior));

struct counter {
  static constexpr std::string_view type_name = "bench.counter";
  using state = counter_state;
  using event = std::variant<added>;
  static constexpr auto const& commands = counter_commands;

  static once::domain::decision<event, counter_state> decide(std::optional<counter_state> const& current,
                                                             add const& command,
                                                             once::domain::decision_context const&) {
    auto next = current.value_or(counter_state{});
    next.total += command.amount;
    next.additions += 1;
    return once::domain::accept(next, added{command.amount});
  }
  static void apply(counter_state& state, added const& event) {
    state.total += event.amount;
    state.additions += 1;
  }
};

}  // namespace once_bench

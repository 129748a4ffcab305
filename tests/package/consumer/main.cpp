// Dispatches one command twice through an installed `once`: applied, then replayed.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/hana/define_struct.hpp>
#include <once/application/command_dispatcher.hpp>
#include <once/http/command_endpoint.hpp>
#include <once/http/operations_routes.hpp>
#include <once/memory/memory_command_store.hpp>
#include <once/postgres/pg_command_store.hpp>
#include <once/prometheus/prometheus_metrics.hpp>

struct ping {
  static constexpr std::string_view type_name = "consumer.ping";
  BOOST_HANA_DEFINE_STRUCT(ping, (std::string, id));
};
struct pinged {
  static constexpr std::string_view type_name = "consumer.pinged";
  BOOST_HANA_DEFINE_STRUCT(pinged, (std::string, id));
};
struct pings {
  BOOST_HANA_DEFINE_STRUCT(pings, (std::int64_t, count));
};

inline constexpr auto commands = once::domain::command_table(
    once::domain::on<ping>().key(&ping::id).target(&ping::id).repeat(once::domain::return_prior));

struct pinger : once::domain::aggregate_types<pings, std::variant<pinged>> {
  static constexpr std::string_view type_name = "consumer.pinger";
  static constexpr auto const& commands = ::commands;
  static decision<pings> decide(current const& s, ping const& c, context const&) {
    return once::domain::accept(pings{s ? s->count + 1 : 1}, pinged{c.id});
  }
  static void apply(state& s, pinged const&) { ++s.count; }
};

int main() {
  once::memory::memory_command_store store;
  once::prometheus::prometheus_metrics metrics;
  once::application::command_dispatcher<pinger> dispatcher{store, {nullptr, nullptr, &metrics}};
  // The HTTP adapter links too: a route for the command, served on no port here.
  once::http::bearer_tokens tokens;
  once::http::router routes;
  routes.add("POST", "/pings", once::http::command_endpoint<pinger, ping>(dispatcher, tokens, {}));
  once::http::add_operations_routes(routes, {[] { return true; }, [&metrics] { return metrics.text(); }});
  once::domain::envelope env;
  env.tenant = "t";
  auto const first = dispatcher.dispatch(ping{"p-1"}, env);
  auto const second = dispatcher.dispatch(ping{"p-1"}, env);
  bool const ok = first && second && first->kind() == once::domain::outcome_kind::applied &&
                  second->kind() == once::domain::outcome_kind::replayed;
  // The PostgreSQL adapter links too (no server needed to check its options).
  bool const refuses_bad_schema = !once::postgres::pg_command_store::open({"postgresql://unused", "Bad;Name"});
  bool const counted = metrics.text().find("once_commands_total") != std::string::npos;
  std::puts(ok && refuses_bad_schema && counted ? "consumer: applied then replayed" : "consumer: unexpected outcomes");
  return ok && refuses_bad_schema && counted ? 0 : 1;
}

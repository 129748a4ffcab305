// Dispatches one command twice through an installed `once`: applied, then replayed.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/hana/define_struct.hpp>
#include <once/application/command_dispatcher.hpp>
#include <once/memory/memory_command_store.hpp>
#include <once/postgres/pg_command_store.hpp>

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

inline constexpr auto commands =
    once::domain::command_table(once::domain::on<ping>().key(&ping::id).target(&ping::id).repeat(once::domain::return_prior));

struct pinger {
  static constexpr std::string_view type_name = "consumer.pinger";
  using state = pings;
  using event = std::variant<pinged>;
  static constexpr auto const& commands = ::commands;
  static once::domain::decision<event, pings> decide(std::optional<pings> const& s, ping const& c,
                                                     once::domain::decision_context const&) {
    return once::domain::accept(pings{s ? s->count + 1 : 1}, pinged{c.id});
  }
  static void apply(pings& s, pinged const&) { ++s.count; }
};

int main() {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<pinger> dispatcher{store};
  once::domain::envelope env;
  env.tenant = "t";
  auto const first = dispatcher.dispatch(ping{"p-1"}, env);
  auto const second = dispatcher.dispatch(ping{"p-1"}, env);
  bool const ok = first && second && first->kind() == once::domain::outcome_kind::applied &&
                  second->kind() == once::domain::outcome_kind::replayed;
  // The PostgreSQL adapter links too (no server needed to check its options).
  bool const refuses_bad_schema = !once::postgres::pg_command_store::open({"postgresql://unused", "Bad;Name"});
  std::puts(ok && refuses_bad_schema ? "consumer: applied then replayed" : "consumer: unexpected outcomes");
  return ok && refuses_bad_schema ? 0 : 1;
}

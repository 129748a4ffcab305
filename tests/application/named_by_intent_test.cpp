// Aggregates the framework names from the intent (.target(named_by_intent)),
// and refusals that the aggregate records (reject_recording).
#include <string>
#include <string_view>
#include <variant>

#include <gtest/gtest.h>
#include <boost/hana/define_struct.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/memory/memory_command_store.hpp>

namespace once_tests {
namespace {

struct place_order {
  static constexpr std::string_view type_name = "test.place_order";
  BOOST_HANA_DEFINE_STRUCT(place_order, (std::int64_t, quantity));
};
struct order_placed {
  static constexpr std::string_view type_name = "test.order_placed";
  BOOST_HANA_DEFINE_STRUCT(order_placed, (std::string, order_id), (std::int64_t, quantity));
};
struct order_refused {
  static constexpr std::string_view type_name = "test.order_refused";
  BOOST_HANA_DEFINE_STRUCT(order_refused, (std::string, order_id));
};
struct order_state {
  BOOST_HANA_DEFINE_STRUCT(order_state, (std::string, order_id), (std::string, status));
};
struct order_view {
  BOOST_HANA_DEFINE_STRUCT(order_view, (std::string, order_id), (std::string, status));
};

inline constexpr auto order_commands =
    once::domain::command_table(once::domain::on<place_order>()
                                    .key(once::domain::client_key)
                                    .target(once::domain::named_by_intent)
                                    .result([](order_state const& s, place_order const&) {
                                      return order_view{s.order_id, s.status};
                                    })
                                    .repeat(once::domain::return_prior));

struct order : once::domain::aggregate_types<order_state, std::variant<order_placed, order_refused>> {
  static constexpr std::string_view type_name = "test.order";
  static constexpr auto const& commands = order_commands;
  static decision<> decide(current const&, place_order const& c, context const& ctx) {
    if (c.quantity > 10) {
      return once::domain::reject_recording(once::domain::reject("too_many", "at most 10"),
                                            order_refused{ctx.aggregate_id});
    }
    return once::domain::emit(order_placed{ctx.aggregate_id, c.quantity});
  }
  static void apply(state& s, order_placed const& e) {
    s.order_id = e.order_id;
    s.status = "placed";
  }
  static void apply(state& s, order_refused const& e) {
    s.order_id = e.order_id;
    s.status = "refused";
  }
};

once::domain::envelope keyed(std::string tenant, std::string key) {
  once::domain::envelope env;
  env.tenant = std::move(tenant);
  env.client_key = std::move(key);
  return env;
}

TEST(NamedByIntent, OneIntentNamesOneAggregateAndAnotherIntentAnother) {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<order> dispatcher{store};
  auto first = dispatcher.dispatch(place_order{2}, keyed("tenant-a", "k-1"));
  ASSERT_TRUE(first.has_value());
  auto const id = first->result().order_id;
  EXPECT_EQ(id.size(), 22U);
  EXPECT_EQ(id, once::application::named_aggregate_id(first->intent()));
  auto repeat = dispatcher.dispatch(place_order{2}, keyed("tenant-a", "k-1"));
  EXPECT_EQ(repeat->result().order_id, id);
  auto other_key = dispatcher.dispatch(place_order{2}, keyed("tenant-a", "k-2"));
  auto other_tenant = dispatcher.dispatch(place_order{2}, keyed("tenant-b", "k-1"));
  EXPECT_NE(other_key->result().order_id, id);
  EXPECT_NE(other_tenant->result().order_id, id);
  auto stored = store.read({"test.order", id, "tenant-a"});
  ASSERT_TRUE(stored.has_value() && stored->has_value());
}

TEST(RecordedRejection, AnswersTheRejectionAndKeepsItsEventsInTheState) {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<order> dispatcher{store};
  auto refused = dispatcher.dispatch(place_order{11}, keyed("tenant-a", "k-1"));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->kind(), once::domain::outcome_kind::rejected);
  EXPECT_EQ(refused->refusal().code, "too_many");
  auto const id = once::application::named_aggregate_id(refused->intent());
  auto stored = store.read({"test.order", id, "tenant-a"});
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_NE((*stored)->state.find("refused"), std::string::npos);
  EXPECT_EQ(store.outbox_size(), 1U);
  auto repeat = dispatcher.dispatch(place_order{11}, keyed("tenant-a", "k-1"));
  EXPECT_EQ(repeat->kind(), once::domain::outcome_kind::replayed);
  EXPECT_EQ(repeat->refusal().code, "too_many");
  EXPECT_EQ(store.outbox_size(), 1U);
}

}  // namespace
}  // namespace once_tests

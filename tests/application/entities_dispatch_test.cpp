// Aggregates with entities beside their root (once/domain/entities.hpp),
// dispatched: a command reads the root and the entries it looks at, and
// writes the root and the entries its events changed.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <gtest/gtest.h>
#include <boost/hana/define_struct.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/application/entity_reading.hpp>
#include <once/domain/entities.hpp>
#include <once/memory/memory_command_store.hpp>

#include "support/flaky_store.hpp"

namespace once_tests {
namespace {

namespace app = once::application;
using once::domain::emit;
using once::domain::reject;

struct add_line {
  static constexpr std::string_view type_name = "test.add_line";
  BOOST_HANA_DEFINE_STRUCT(add_line, (std::string, basket_id), (std::string, sku), (std::int64_t, quantity));
};
struct change_quantity {
  static constexpr std::string_view type_name = "test.change_quantity";
  BOOST_HANA_DEFINE_STRUCT(change_quantity, (std::string, basket_id), (std::string, line_id), (std::int64_t, quantity));
};
struct remove_line {
  static constexpr std::string_view type_name = "test.remove_line";
  BOOST_HANA_DEFINE_STRUCT(remove_line, (std::string, basket_id), (std::string, line_id));
};
struct line_removed {
  static constexpr std::string_view type_name = "test.line_removed";
  BOOST_HANA_DEFINE_STRUCT(line_removed, (std::string, line_id));
};
struct line_added {
  static constexpr std::string_view type_name = "test.line_added";
  BOOST_HANA_DEFINE_STRUCT(line_added, (std::string, line_id), (std::string, sku), (std::int64_t, quantity));
};
struct quantity_changed {
  static constexpr std::string_view type_name = "test.quantity_changed";
  BOOST_HANA_DEFINE_STRUCT(quantity_changed, (std::string, line_id), (std::int64_t, quantity));
};
struct line_state {
  BOOST_HANA_DEFINE_STRUCT(line_state, (std::string, sku), (std::int64_t, quantity));
};
struct basket_state {
  BOOST_HANA_DEFINE_STRUCT(basket_state, (std::int64_t, lines_added), (std::int64_t, items),
                           (once::domain::entities<line_state>, lines));
};
struct line_view {
  BOOST_HANA_DEFINE_STRUCT(line_view, (std::string, line_id), (std::int64_t, quantity), (std::int64_t, items));
};

std::string line_id_for(std::int64_t n) {
  return "L" + std::to_string(n);
}

inline constexpr auto basket_commands = once::domain::command_table(
    once::domain::on<add_line>()
        .key(once::domain::client_key)
        .target(&add_line::basket_id)
        .result([](basket_state const& s, add_line const&) {
          auto const id = line_id_for(s.lines_added);
          return line_view{id, s.lines.find(id)->quantity, s.items};
        })
        .repeat(once::domain::return_prior),
    once::domain::on<change_quantity>()
        .key(once::domain::client_key)
        .target(&change_quantity::basket_id)
        .only_if_exists([](change_quantity const& c) { return reject("no_basket", "no basket " + c.basket_id); })
        .result([](basket_state const& s, change_quantity const& c) {
          return line_view{c.line_id, s.lines.find(c.line_id)->quantity, s.items};
        })
        .repeat(once::domain::return_prior),
    once::domain::on<remove_line>()
        .key(once::domain::client_key)
        .target(&remove_line::basket_id)
        .only_if_exists([](remove_line const& c) { return reject("no_basket", "no basket " + c.basket_id); })
        .result([](basket_state const& s, remove_line const& c) {
          return line_view{c.line_id, 0, s.items};
        })
        .repeat(once::domain::return_prior));

struct basket : once::domain::aggregate_types<basket_state, std::variant<line_added, quantity_changed, line_removed>> {
  static constexpr std::string_view type_name = "test.basket";
  static constexpr auto const& commands = basket_commands;
  static decision<> decide(current const& s, add_line const& c, context const&) {
    return emit(line_added{line_id_for(s.has_value() ? s->lines_added + 1 : 1), c.sku, c.quantity});
  }
  static decision<> decide(current const& s, change_quantity const& c, context const&) {
    auto const* line = s->lines.find(c.line_id);
    if (line == nullptr) return reject("no_line", "no line " + c.line_id);
    return emit(quantity_changed{c.line_id, c.quantity});
  }
  static decision<> decide(current const& s, remove_line const& c, context const&) {
    if (s->lines.find(c.line_id) == nullptr) return reject("no_line", "no line " + c.line_id);
    return emit(line_removed{c.line_id});
  }
  static void apply(state& s, line_removed const& e) {
    s.items -= s.lines.find(e.line_id)->quantity;
    s.lines.erase(e.line_id);
  }
  static void apply(state& s, line_added const& e) {
    s.lines_added += 1;
    s.items += e.quantity;
    s.lines.put(e.line_id, line_state{e.sku, e.quantity});
  }
  static void apply(state& s, quantity_changed const& e) {
    auto& line = s.lines.at(e.line_id);
    s.items += e.quantity - line.quantity;
    line.quantity = e.quantity;
  }
};

once::domain::envelope keyed(std::string key) {
  once::domain::envelope env;
  env.tenant = "tenant-a";
  env.client_key = std::move(key);
  return env;
}

app::aggregate_ref basket_ref(std::string id) {
  return {"test.basket", std::move(id), "tenant-a"};
}

// Counts the entries read through the store, by claims and by plain reads.
class counting_store final : public app::command_store {
 public:
  explicit counting_store(app::command_store& inner) : inner_(&inner) {}
  app::result<app::claim_result> claim(app::intent_claim const& claim, app::claim_waits const& waits) override {
    auto claimed = inner_->claim(claim, waits);
    if (claimed && claimed->claim) claimed->claim = std::make_unique<counting_claim>(*this, std::move(claimed->claim));
    return claimed;
  }
  app::result<std::optional<app::stored_aggregate>> read(app::aggregate_ref const& ref) override {
    return inner_->read(ref);
  }
  app::result<std::optional<std::string>> read_entity(app::aggregate_ref const& ref, std::string_view collection,
                                                      std::string const& id) override {
    ++entries_read;
    return inner_->read_entity(ref, collection, id);
  }
  app::result<std::optional<app::intent_record>> find(once::domain::intent_key const& intent) override {
    return inner_->find(intent);
  }
  std::atomic<int> entries_read{0};
  std::atomic<int> entries_written{0};

 private:
  class counting_claim final : public app::claimed_intent {
   public:
    counting_claim(counting_store& owner, std::unique_ptr<app::claimed_intent> inner)
        : owner_(&owner), inner_(std::move(inner)) {}
    std::optional<app::stored_aggregate> const& current() const override { return inner_->current(); }
    app::result<std::optional<std::string>> entity(std::string_view collection, std::string const& id) override {
      ++owner_->entries_read;
      return inner_->entity(collection, id);
    }
    app::result<void> commit(app::command_effects effects) override {
      if (effects.new_state) owner_->entries_written += static_cast<int>(effects.new_state->entities.size());
      return inner_->commit(std::move(effects));
    }

   private:
    counting_store* owner_;
    std::unique_ptr<app::claimed_intent> inner_;
  };
  app::command_store* inner_;
};

TEST(Entities, ACommandReadsOnlyTheEntryItLooksAtAndWritesOnlyWhatItChanged) {
  once::memory::memory_command_store memory;
  counting_store store{memory};
  app::command_dispatcher<basket> baskets{store};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(baskets.dispatch(add_line{"B-1", "SKU-" + std::to_string(i), 1}, keyed("add-" + std::to_string(i))));
  }
  EXPECT_EQ(store.entries_read.load(), 0) << "adding a line looks at no other line";
  EXPECT_EQ(store.entries_written.load(), 50);
  store.entries_written = 0;

  auto const changed = baskets.dispatch(change_quantity{"B-1", "L17", 5}, keyed("change-17"));
  ASSERT_TRUE(changed.has_value()) << changed.error().message;
  EXPECT_EQ(changed->result().quantity, 5);
  EXPECT_EQ(changed->result().items, 54);
  EXPECT_EQ(store.entries_read.load(), 1);
  EXPECT_EQ(store.entries_written.load(), 1);
  EXPECT_EQ(memory.read(basket_ref("B-1"))->value().state, R"({"items":54,"lines_added":50})")
      << "the root stays small, whatever the number of lines";
}

TEST(Entities, ARemovedEntryIsDeletedFromTheStoreAndItsRepeatIsAnsweredFromTheRecord) {
  once::memory::memory_command_store store;
  app::command_dispatcher<basket> baskets{store};
  ASSERT_TRUE(baskets.dispatch(add_line{"B-1", "SKU-1", 2}, keyed("add-1")));
  ASSERT_TRUE(baskets.dispatch(add_line{"B-1", "SKU-2", 3}, keyed("add-2")));
  auto const removed = baskets.dispatch(remove_line{"B-1", "L1"}, keyed("remove-1"));
  ASSERT_TRUE(removed.has_value()) << removed.error().message;
  EXPECT_EQ(removed->result().items, 3);
  EXPECT_FALSE(store.read_entity(basket_ref("B-1"), "lines", "L1")->has_value());
  EXPECT_TRUE(store.read_entity(basket_ref("B-1"), "lines", "L2")->has_value());
  EXPECT_EQ(baskets.dispatch(remove_line{"B-1", "L1"}, keyed("remove-1"))->kind(),
            once::domain::outcome_kind::replayed);
  EXPECT_EQ(baskets.dispatch(remove_line{"B-1", "L1"}, keyed("remove-again"))->refusal().code, "no_line");
}

TEST(Entities, AnEntryThatDoesNotExistIsADomainAnswerNotAnError) {
  once::memory::memory_command_store store;
  app::command_dispatcher<basket> baskets{store};
  ASSERT_TRUE(baskets.dispatch(add_line{"B-1", "SKU-1", 1}, keyed("add")));
  auto const missing = baskets.dispatch(change_quantity{"B-1", "L9", 5}, keyed("change-9"));
  ASSERT_TRUE(missing.has_value()) << missing.error().message;
  EXPECT_EQ(missing->kind(), once::domain::outcome_kind::rejected);
  EXPECT_EQ(missing->refusal().code, "no_line");
}

TEST(Entities, ARepeatIsAnsweredFromTheRecordAndChangesNoEntry) {
  once::memory::memory_command_store store;
  app::command_dispatcher<basket> baskets{store};
  ASSERT_TRUE(baskets.dispatch(add_line{"B-1", "SKU-1", 1}, keyed("add")));
  ASSERT_TRUE(baskets.dispatch(change_quantity{"B-1", "L1", 3}, keyed("change")));
  auto const repeat = baskets.dispatch(change_quantity{"B-1", "L1", 3}, keyed("change"));
  EXPECT_EQ(repeat->kind(), once::domain::outcome_kind::replayed);
  auto const state = app::read_state<basket_state>(store, basket_ref("B-1"));
  ASSERT_TRUE(state.has_value() && state->has_value());
  EXPECT_EQ((*state)->lines.find("L1")->quantity, 3);
  EXPECT_EQ((*state)->items, 3);
}

TEST(Entities, ARootThatHeldItsEntriesInlineMovesThemOutOnItsNextCommit) {
  once::memory::memory_command_store store;
  store.seed({basket_ref("B-old"), 4,
              R"({"items":3,"lines_added":2,"lines":{"L1":{"quantity":1,"sku":"A"},"L2":{"quantity":2,"sku":"B"}}})"});
  app::command_dispatcher<basket> baskets{store};
  auto const changed = baskets.dispatch(change_quantity{"B-old", "L2", 4}, keyed("change"));
  ASSERT_TRUE(changed.has_value()) << changed.error().message;
  EXPECT_EQ(changed->result().items, 5);
  EXPECT_EQ(store.read(basket_ref("B-old"))->value().state, R"({"items":5,"lines_added":2})");
  EXPECT_EQ(store.read_entity(basket_ref("B-old"), "lines", "L1")->value(), R"({"quantity":1,"sku":"A"})");
  EXPECT_EQ(store.read_entity(basket_ref("B-old"), "lines", "L2")->value(), R"({"quantity":4,"sku":"B"})");
}

TEST(Entities, AnEntryTheStoreCannotGiveFailsTheCommandWithTheStoresErrorAndWritesNothing) {
  once::memory::memory_command_store memory;
  app::command_dispatcher<basket>{memory}.dispatch(add_line{"B-1", "SKU-1", 1}, keyed("add")).value();
  flaky_store store{memory};
  store.fail_entity_reads(true);
  app::command_dispatcher<basket> baskets{store};
  auto const failed = baskets.dispatch(change_quantity{"B-1", "L1", 3}, keyed("change"));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, app::error_code::unavailable);
  EXPECT_FALSE(memory.find({"tenant-a", "test.change_quantity", "change"})->has_value()) << "the intent stays new";
  EXPECT_EQ(memory.read(basket_ref("B-1"))->value().version, 1);
  auto const retried =
      app::command_dispatcher<basket>{memory}.dispatch(change_quantity{"B-1", "L1", 3}, keyed("change"));
  EXPECT_EQ(retried->kind(), once::domain::outcome_kind::applied);
}

}  // namespace
}  // namespace once_tests

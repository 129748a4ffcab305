#include <once/domain/entities.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/hana/define_struct.hpp>

#include <once/domain/canonical_json.hpp>
#include <once/domain/json_decode.hpp>

namespace once_tests {
namespace {

struct line {
  BOOST_HANA_DEFINE_STRUCT(line, (std::string, sku), (int, quantity));
  friend bool operator==(line const&, line const&) = default;
};

struct basket_state {
  BOOST_HANA_DEFINE_STRUCT(basket_state, (std::string, basket_id), (once::domain::entities<line>, lines),
                           (int, lines_added));
};

std::vector<std::string> changed_ids(once::domain::entities<line> const& lines) {
  std::vector<std::string> ids;
  lines.for_each_changed([&](std::string const& id, line const&) { ids.push_back(id); });
  return ids;
}

TEST(Entities, AStateBuiltInMemoryFindsWhatWasPutAndNothingElse) {
  basket_state basket;
  basket.lines.put("L1", line{"SKU-1", 2});
  ASSERT_NE(basket.lines.find("L1"), nullptr);
  EXPECT_EQ(basket.lines.find("L1")->quantity, 2);
  EXPECT_EQ(basket.lines.find("L2"), nullptr);
  EXPECT_FALSE(basket.lines.contains("L2"));
}

TEST(Entities, AtChangesAnExistingEntryAndRefusesAMissingOne) {
  basket_state basket;
  basket.lines.put("L1", line{"SKU-1", 2});
  basket.lines.at("L1").quantity += 3;
  EXPECT_EQ(basket.lines.find("L1")->quantity, 5);
  EXPECT_THROW(basket.lines.at("L9"), std::out_of_range);
}

TEST(Entities, ReadsAnEntryNotInMemoryThroughTheLoaderOnceAndRemembersAbsence) {
  basket_state basket;
  std::map<std::string, int> asked;
  basket.lines.load_with([&](std::string const& id) -> std::optional<line> {
    ++asked[id];
    if (id == "L7") return line{"SKU-7", 1};
    return std::nullopt;
  });
  ASSERT_NE(basket.lines.find("L7"), nullptr);
  EXPECT_EQ(basket.lines.find("L7")->sku, "SKU-7");
  EXPECT_EQ(basket.lines.find("L8"), nullptr);
  EXPECT_EQ(basket.lines.find("L8"), nullptr);
  EXPECT_EQ(asked, (std::map<std::string, int>{{"L7", 1}, {"L8", 1}}));
  EXPECT_TRUE(changed_ids(basket.lines).empty()) << "reading changes nothing";
}

TEST(Entities, CountsAsChangedOnlyWhatWasPutOrChanged) {
  basket_state basket;
  basket.lines.load_with([](std::string const& id) -> std::optional<line> { return line{"SKU-" + id, 1}; });
  (void)basket.lines.find("A");
  basket.lines.at("B").quantity = 4;
  basket.lines.put("C", line{"SKU-C", 1});
  EXPECT_EQ(changed_ids(basket.lines), (std::vector<std::string>{"B", "C"}));
}

TEST(Entities, AnErasedEntryIsGoneAndCountsAsErasedNotAsChanged) {
  basket_state basket;
  basket.lines.load_with([](std::string const& id) -> std::optional<line> { return line{"SKU-" + id, 1}; });
  basket.lines.erase("A");
  basket.lines.at("B").quantity = 2;
  EXPECT_EQ(basket.lines.find("A"), nullptr) << "not read again from the store";
  EXPECT_THROW(basket.lines.at("A"), std::out_of_range);
  std::vector<std::string> erased;
  basket.lines.for_each_erased([&](std::string const& id) { erased.push_back(id); });
  EXPECT_EQ(erased, (std::vector<std::string>{"A"}));
  EXPECT_EQ(changed_ids(basket.lines), (std::vector<std::string>{"B"}));
}

TEST(Entities, AreNeverPartOfTheRootsJson) {
  basket_state basket;
  basket.basket_id = "B-1";
  basket.lines.put("L1", line{"SKU-1", 2});
  basket.lines_added = 1;
  EXPECT_EQ(once::domain::canonical_json(basket), R"({"basket_id":"B-1","lines_added":1})");
}

TEST(Entities, ARootWithoutThemDecodesWithNone) {
  auto const decoded = once::domain::decode_json<basket_state>(R"({"basket_id":"B-1","lines_added":1})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(decoded->lines.find("L1"), nullptr);
  EXPECT_TRUE(changed_ids(decoded->lines).empty());
}

TEST(Entities, ARootThatHeldThemInlineDecodesWithThemAsChangedSoTheNextCommitMovesThemOut) {
  auto const decoded = once::domain::decode_json<basket_state>(
      R"({"basket_id":"B-1","lines":{"L1":{"quantity":2,"sku":"SKU-1"},"L2":{"quantity":1,"sku":"SKU-2"}},"lines_added":2})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  ASSERT_NE(decoded->lines.find("L2"), nullptr);
  EXPECT_EQ(*decoded->lines.find("L2"), (line{"SKU-2", 1}));
  EXPECT_EQ(changed_ids(decoded->lines), (std::vector<std::string>{"L1", "L2"}));
  EXPECT_EQ(once::domain::canonical_json(*decoded), R"({"basket_id":"B-1","lines_added":2})");
}

TEST(Entities, AnInlineEntryThatDoesNotDecodeNamesItsPath) {
  auto const decoded =
      once::domain::decode_json<basket_state>(R"({"basket_id":"B-1","lines":{"L1":{"sku":7}},"lines_added":1})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().field, "lines.L1.sku");
}

TEST(Entities, EachCollectionIsNamedByItsMember) {
  basket_state basket;
  std::vector<std::string> names;
  once::domain::for_each_entity_collection(basket, [&](std::string_view name, auto&) { names.emplace_back(name); });
  EXPECT_EQ(names, (std::vector<std::string>{"lines"}));
  static_assert(once::domain::has_entities<basket_state>());
  static_assert(!once::domain::has_entities<line>());
}

}  // namespace
}  // namespace once_tests

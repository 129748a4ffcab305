#include <once/application/fingerprint.hpp>

#include <set>

#include <gtest/gtest.h>

#include <once/domain/json_decode.hpp>
#include <once/testing/mutations.hpp>

#include "support/sample_types.hpp"

namespace once_tests {
namespace {

using once::application::fingerprint_of;

TEST(Fingerprint, IsTheSha256OfTheInputInLowercaseHex) {
  EXPECT_EQ(once::application::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(fingerprint_of(sample_order()).size(), 64U);
}

TEST(Fingerprint, IsStableWhateverTheKeyOrderAndSpacingOfTheIncomingJson) {
  auto const one = once::domain::decode_json<place_order>(
      R"({"order_id":"O-1","customer":"C-9","gift":false,"total":4200,"attributes":{"channel":"web"},
          "lines":[{"sku":"SKU-1","quantity":2},{"sku":"SKU-2","quantity":1}]})");
  auto const two = once::domain::decode_json<place_order>(
      R"({ "total" : 4200, "lines" : [ {"quantity":2, "sku":"SKU-1"}, {"quantity":1,"sku":"SKU-2"} ],
           "gift":false, "attributes":{"channel":"web"}, "customer":"C-9", "order_id":"O-1", "note": null })");
  ASSERT_TRUE(one.has_value() && two.has_value());
  EXPECT_EQ(fingerprint_of(*one), fingerprint_of(*two));
  EXPECT_EQ(fingerprint_of(*one), fingerprint_of(sample_order()));
}

TEST(Fingerprint, ChangesWithEveryBusinessField) {
  auto const original = fingerprint_of(sample_order());
  std::set<std::string> seen{original};
  int mutations = 0;
  once::testing::for_each_mutation(sample_order(), [&](place_order const& changed) {
    ++mutations;
    EXPECT_TRUE(seen.insert(fingerprint_of(changed)).second) << once::domain::canonical_json(changed);
  });
  // order_id, customer, 2 x (sku, quantity), a shorter list, note, gift, total, attributes.channel
  EXPECT_EQ(mutations, 11);
}

TEST(Fingerprint, ChangesWithTheOrderOfListElements) {
  auto reordered = sample_order();
  std::swap(reordered.lines[0], reordered.lines[1]);
  EXPECT_NE(fingerprint_of(reordered), fingerprint_of(sample_order()));
}

TEST(Fingerprint, DiffersBetweenCommandTypesWithTheSameFields) {
  EXPECT_NE(fingerprint_of(top_up{"A", 5}), fingerprint_of(charge{"A", 5}));
}

}  // namespace
}  // namespace once_tests

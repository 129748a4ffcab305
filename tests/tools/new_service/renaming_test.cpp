#include "renaming.hpp"

#include <gtest/gtest.h>

namespace once::new_service {
namespace {

TEST(ServiceNameSpellings, AreLowerCamelAndUpper) {
  auto const spelled = spell("order_desk");
  EXPECT_EQ(spelled.lower, "order_desk");
  EXPECT_EQ(spelled.camel, "OrderDesk");
  EXPECT_EQ(spelled.upper, "ORDER_DESK");
}

TEST(ServiceNames, AreLowercaseIdentifiers) {
  EXPECT_FALSE(refuse_name("shipping"));
  EXPECT_FALSE(refuse_name("order_desk2"));
  EXPECT_TRUE(refuse_name(""));
  EXPECT_TRUE(refuse_name("Shipping"));
  EXPECT_TRUE(refuse_name("2shipping"));
  EXPECT_TRUE(refuse_name("_shipping"));
  EXPECT_TRUE(refuse_name("ship-ping"));
  EXPECT_TRUE(refuse_name("ship ping"));
  EXPECT_TRUE(refuse_name("ship__ping"));
  EXPECT_TRUE(refuse_name("shipping_"));
  EXPECT_TRUE(refuse_name("../shipping"));
  EXPECT_TRUE(refuse_name(std::string(41, 's')));
}

TEST(ServiceNames, AreNeitherKeywordsNorTakenNamespaces) {
  EXPECT_EQ(refuse_name("class"), "'class' is a C++ keyword");
  EXPECT_TRUE(refuse_name("co_await"));
  EXPECT_TRUE(refuse_name("once"));
  EXPECT_TRUE(refuse_name("std"));
  EXPECT_TRUE(refuse_name("testing"));
}

TEST(Renaming, ReplacesEverySpellingInIdentifiersPathsAndRoutes) {
  auto const from = spell("payments");
  auto const to = spell("order_desk");
  EXPECT_EQ(rename("namespace payments::domain {", from, to), "namespace order_desk::domain {");
  EXPECT_EQ(rename("add_library(payments_domain domain/src/account.cpp)", from, to),
            "add_library(order_desk_domain domain/src/account.cpp)");
  EXPECT_EQ(rename("#include <payments/domain/account.hpp>", from, to), "#include <order_desk/domain/account.hpp>");
  EXPECT_EQ(rename("payments-service --listen", from, to), "order_desk-service --listen");
  EXPECT_EQ(rename("\"/v1/payments/\" + id", from, to), "\"/v1/order_desk/\" + id");
  EXPECT_EQ(rename("TEST_F(PaymentsServiceOnPostgres, X)", from, to), "TEST_F(OrderDeskServiceOnPostgres, X)");
  EXPECT_EQ(rename("PAYMENTS_SERVICE=\"x\"", from, to), "ORDER_DESK_SERVICE=\"x\"");
  EXPECT_EQ(rename("# Payments: accounts", from, to), "# OrderDesk: accounts");
}

TEST(Renaming, LeavesOtherWordsThatContainTheName) {
  auto const from = spell("claims");
  auto const to = spell("shipping");
  EXPECT_EQ(rename("he disclaims the claimsx and the claim", from, to), "he disclaims the claimsx and the claim");
  EXPECT_EQ(rename("CLAIMSX xCLAIMS Claimsy", from, to), "CLAIMSX xCLAIMS Claimsy");
  EXPECT_EQ(rename("IsRefusedBeyondTheClaimsAmount", from, to), "IsRefusedBeyondTheShippingAmount");
}

TEST(Identifiers, AreTheRunsOfWordCharacters) {
  auto const found = identifiers("namespace payments::domain { struct account_state; } // 42x");
  EXPECT_TRUE(found.contains("payments"));
  EXPECT_TRUE(found.contains("account_state"));
  EXPECT_TRUE(found.contains("42x"));
  EXPECT_FALSE(found.contains("account"));
}

}  // namespace
}  // namespace once::new_service

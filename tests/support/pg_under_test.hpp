// The PostgreSQL store on a fresh schema, with SQL to look inside it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <once/postgres/pg_command_store.hpp>

#include <once/testing/pg_schema.hpp>
#include "support/store_under_test.hpp"

namespace once_tests {

using once::testing::pg_schema;

class pg_under_test final : public store_under_test {
 public:
  // shared_commit_statements: pg_options' (0: every commit in a transaction of its own).
  explicit pg_under_test(std::size_t shared_commit_statements = once::postgres::pg_options{}.shared_commit_statements)
      : store_(open(schema_, shared_commit_statements)) {}

  once::application::command_store& store() override { return *store_; }
  std::size_t intent_count() override {
    return static_cast<std::size_t>(schema_.scalar("SELECT count(*) FROM ${schema}.once_intents"));
  }
  std::vector<once::application::outbox_message> outbox() override {
    pqxx::connection connection{schema_.url()};
    pqxx::nontransaction statement{connection};
    auto const rows = statement.exec(
        "SELECT message_id, aggregate_type, aggregate_id, aggregate_version, event_type, topic, message_key, "
        "payload::text, headers::text, tenant FROM " +
        schema_.name() + ".once_outbox ORDER BY id");
    std::vector<once::application::outbox_message> messages;
    for (auto const& row : rows) {
      once::application::outbox_message message;
      message.message_id = row[0].c_str();
      message.source = once::application::aggregate_ref{row[1].c_str(), row[2].c_str(), row[9].c_str()};
      message.aggregate_version = row[3].as<std::int64_t>();
      message.event_type = row[4].c_str();
      message.topic = row[5].c_str();
      message.key = row[6].c_str();
      message.payload = row[7].c_str();
      for (auto const& pair : nlohmann::json::parse(row[8].c_str())) {
        message.headers.emplace_back(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
      }
      messages.push_back(std::move(message));
    }
    return messages;
  }
  pg_schema const& schema() const { return schema_; }

 private:
  static std::unique_ptr<once::postgres::pg_command_store> open(pg_schema const& schema,
                                                                std::size_t shared_commit_statements) {
    auto options = schema.options();
    options.shared_commit_statements = shared_commit_statements;
    auto opened = once::postgres::pg_command_store::open(options);
    if (!opened) throw std::runtime_error(opened.error().message);
    return std::move(*opened);
  }

  pg_schema schema_;
  std::unique_ptr<once::postgres::pg_command_store> store_;
};

// The store with pg_options' defaults (shared commits on).
struct pg_store_factory {
  std::unique_ptr<store_under_test> make(once::application::clock const&) { return std::make_unique<pg_under_test>(); }
};
// The same with shared commits off: each command commits in a transaction of its own.
struct pg_store_alone_factory {
  std::unique_ptr<store_under_test> make(once::application::clock const&) { return std::make_unique<pg_under_test>(0); }
};

// For the store contract suite, which owns a bare command_store.
class pg_contract_store final : public once::application::command_store {
 public:
  once::application::result<once::application::claim_result> claim(
      once::application::intent_claim const& claim, once::application::claim_waits const& waits) override {
    return under_test_.store().claim(claim, waits);
  }
  once::application::result<std::optional<once::application::stored_aggregate>> read(
      once::application::aggregate_ref const& ref) override {
    return under_test_.store().read(ref);
  }
  once::application::result<std::optional<std::string>> read_entity(once::application::aggregate_ref const& ref,
                                                                    std::string_view collection,
                                                                    std::string const& id) override {
    return under_test_.store().read_entity(ref, collection, id);
  }
  once::application::result<std::optional<once::application::intent_record>> find(
      once::domain::intent_key const& intent) override {
    return under_test_.store().find(intent);
  }
  once::application::result<once::application::decided_commit> commit_decided(
      once::application::intent_claim const& claim, once::application::command_effects effects,
      once::application::claim_waits const& waits) override {
    return under_test_.store().commit_decided(claim, std::move(effects), waits);
  }

 private:
  pg_under_test under_test_;
};

struct pg_contract_factory {
  std::unique_ptr<once::application::command_store> make() { return std::make_unique<pg_contract_store>(); }
};

}  // namespace once_tests

// The outbox's wake-up on a real PostgreSQL: a commit notifies only while a
// relay waits for rows (a NOTIFY makes commits of the whole server take
// turns, so writers must not send one for a relay that is busy or absent),
// and a waiting relay is woken by a commit long before its timeout.
#include <once/postgres/pg_outbox.hpp>

#include <chrono>
#include <future>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/notification>

#include <once/application/command_dispatcher.hpp>
#include <once/postgres/pg_command_store.hpp>
#include <once/testing/eventually.hpp>
#include <once/testing/pg_schema.hpp>

#include "support/ledger.hpp"

namespace once_tests {
namespace {

using namespace std::chrono_literals;
using once::testing::pg_schema;

struct outbox_writer {
  pg_schema schema;
  std::unique_ptr<once::postgres::pg_command_store> store;
  std::unique_ptr<once::application::command_dispatcher<ledger>> ledgers;
  int written = 0;

  outbox_writer() {
    auto opened = once::postgres::pg_command_store::open(schema.options(2));
    if (!opened) throw std::runtime_error(opened.error().message);
    store = std::move(*opened);
    ledgers = std::make_unique<once::application::command_dispatcher<ledger>>(*store);
  }
  // One command whose event lands in the outbox.
  void write_one() {
    ++written;
    once::domain::envelope env;
    env.tenant = "tenant-a";
    auto const done = ledgers->dispatch(deposit{"L-1", "D-" + std::to_string(written), 5}, env);
    if (!done) throw std::runtime_error(done.error().message);
  }
  std::unique_ptr<once::postgres::pg_outbox> outbox() const {
    auto opened = once::postgres::pg_outbox::open(schema.options(1));
    if (!opened) throw std::runtime_error(opened.error().message);
    return std::move(*opened);
  }
  std::int64_t waiting_relays() const {
    return schema.scalar("SELECT count(*) FROM ${schema}.once_outbox_waiting WHERE until > clock_timestamp()");
  }
};

// LISTENs on the outbox channel as the relay does, without registering as a waiting relay.
struct eavesdropper final : pqxx::notification_receiver {
  eavesdropper(pqxx::connection& connection, std::string const& schema)
      : pqxx::notification_receiver(connection, "once_outbox_" + schema) {}
  void operator()(std::string const&, int) override { ++heard; }
  int heard = 0;
};

TEST(PgOutbox, ACommitNotifiesNoOneWhileNoRelayWaits) {
  outbox_writer writer;
  pqxx::connection listening{writer.schema.url()};
  eavesdropper ear{listening, writer.schema.name()};
  writer.write_one();
  writer.write_one();
  // A notification sent at commit arrives within milliseconds; none comes.
  (void)listening.await_notification(0, 500000);
  EXPECT_EQ(ear.heard, 0);
}

TEST(PgOutbox, AWaitingRelayIsWokenByACommitLongBeforeItsTimeout) {
  outbox_writer writer;
  auto outbox = writer.outbox();
  pqxx::connection listening{writer.schema.url()};
  eavesdropper ear{listening, writer.schema.name()};

  auto waited = std::async(std::launch::async, [&] { outbox->wait_for_rows(std::chrono::milliseconds{60s}); });
  ASSERT_TRUE(once::testing::eventually([&] { return writer.waiting_relays() == 1; }, 30s));
  writer.write_one();
  // Woken, not timed out: the wait ends well inside its 60 seconds.
  ASSERT_EQ(waited.wait_for(30s), std::future_status::ready);
  (void)listening.await_notification(5, 0);
  EXPECT_GE(ear.heard, 1);
  // Awake, the relay no longer asks to be told.
  EXPECT_EQ(writer.waiting_relays(), 0);
}

TEST(PgOutbox, ARelayFindingRowsAlreadyWrittenDoesNotWaitForANotification) {
  outbox_writer writer;
  auto outbox = writer.outbox();
  writer.write_one();  // written while no relay waited: not announced
  auto waited = std::async(std::launch::async, [&] { outbox->wait_for_rows(std::chrono::milliseconds{60s}); });
  ASSERT_EQ(waited.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(writer.waiting_relays(), 0);
}

}  // namespace
}  // namespace once_tests

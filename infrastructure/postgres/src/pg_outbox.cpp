#include <once/postgres/pg_outbox.hpp>

#include <functional>
#include <optional>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/notification>
#include <pqxx/result>

#include "connection_pool.hpp"
#include "pg_errors.hpp"
#include "sql_text.hpp"
#include "statement_watchdog.hpp"

namespace once::postgres {
namespace {

using application::error_code;
using application::fail;
using application::result;

constexpr char const* lease_name = "outbox";

// How long after registering a waiting relay looks for rows once more: a
// commit that began before the registration was visible does not notify.
constexpr std::chrono::milliseconds late_commit_grace{10};

// Remembers that a notification came; LISTENs on construction.
class wake_up final : public pqxx::notification_receiver {
 public:
  wake_up(pqxx::connection_base& connection, std::string const& channel)
      : pqxx::notification_receiver(connection, channel) {}
  void operator()(std::string const&, int) override { woken = true; }
  bool woken = false;
};

std::vector<std::pair<std::string, std::string>> headers_from(char const* json) {
  std::vector<std::pair<std::string, std::string>> headers;
  auto const parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_array()) return headers;
  for (auto const& pair : parsed) {
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
      headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  return headers;
}

}  // namespace

struct pg_outbox::state {
  pg_options options;
  std::string connection_string;
  std::unique_ptr<pqxx::connection> statements;  // the relay's statements, reopened after a failure
  std::unique_ptr<pqxx::connection> listener;    // LISTENs for new rows; none behind a pooler that refused it
  std::unique_ptr<wake_up> notified;
  bool listening_refused = false;
  detail::statement_watchdog watchdog;

  // Runs one statement in autocommit, within the statement timeout; a failed
  // connection is closed so that the next statement opens a new one.
  result<pqxx::result> run(std::function<std::string(pqxx::connection&)> const& build) {
    try {
      if (statements == nullptr) statements = std::make_unique<pqxx::connection>(connection_string);
      auto const sql = build(*statements);
      auto guard =
          watchdog.arm(statements->sock(), detail::statement_watchdog::clock::now() + options.statement_timeout);
      pqxx::nontransaction statement{*statements};
      auto rows = statement.exec(sql);
      if (guard.expired()) throw pqxx::broken_connection{"no answer within the statement timeout"};
      return rows;
    } catch (std::exception const& failure) {
      auto error = detail::translate(failure, detail::phase::before_commit);
      if (detail::connection_is_lost(error)) statements.reset();
      return domain::unexpected{std::move(error)};
    }
  }

  // Whether any row waits to be published; false also when the database cannot say.
  bool rows_unpublished() {
    auto rows = run([&](pqxx::connection&) {
      return "SELECT EXISTS (SELECT 1 FROM " + options.schema + ".once_outbox WHERE published_at IS NULL)";
    });
    return rows && rows->at(0).at(0).as<bool>();
  }

  // One statement on the LISTENing connection (its backend pid names the
  // registration); throws when it fails or outlives `deadline`.
  void on_listener(std::string const& sql, detail::statement_watchdog::clock::time_point deadline) {
    auto guard = watchdog.arm(listener->sock(), deadline);
    pqxx::nontransaction statement{*listener};
    statement.exec(sql);
    if (guard.expired()) throw pqxx::broken_connection{"no answer within the statement timeout"};
  }
};

pg_outbox::pg_outbox(pg_options options) : state_(std::make_unique<state>()) {
  state_->connection_string = detail::with_connection_parameters(options);
  state_->options = std::move(options);
}
pg_outbox::~pg_outbox() = default;

result<std::unique_ptr<pg_outbox>> pg_outbox::open(pg_options options) {
  if (!is_valid_schema_name(options.schema)) {
    return fail(error_code::invalid_argument, "schema name '" + options.schema + "' is not a plain identifier");
  }
  return std::unique_ptr<pg_outbox>{new pg_outbox(std::move(options))};
}

result<std::optional<application::relay_lease>> pg_outbox::take_lease(std::string const& holder,
                                                                      std::chrono::milliseconds ttl) {
  auto const& schema = state_->options.schema;
  auto rows = state_->run([&](pqxx::connection& c) {
    return "SELECT " + schema + ".once_take_relay_lease(" + c.quote(lease_name) + ", " + c.quote(holder) + ", " +
           std::to_string(ttl.count()) + ")";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  auto const epoch = rows->at(0).at(0);
  if (epoch.is_null()) return std::optional<application::relay_lease>{};
  return std::optional<application::relay_lease>{application::relay_lease{holder, epoch.as<std::int64_t>()}};
}

result<std::vector<application::outbox_row>> pg_outbox::unpublished(std::size_t limit) {
  auto const& schema = state_->options.schema;
  auto rows = state_->run([&](pqxx::connection&) {
    return "SELECT id, message_id, tenant, aggregate_type, aggregate_id, aggregate_version, event_type, topic, "
           "message_key, payload::text, headers::text, " +
           schema + ".once_epoch_us(created_at) FROM " + schema +
           ".once_outbox WHERE published_at IS NULL ORDER BY id LIMIT " + std::to_string(limit);
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  std::vector<application::outbox_row> batch;
  batch.reserve(rows->size());
  for (auto const& row : *rows) {
    application::outbox_row each;
    each.id = row[0].as<std::int64_t>();
    auto& message = each.message;
    message.message_id = row[1].c_str();
    message.source = application::aggregate_ref{row[3].c_str(), row[4].c_str(), row[2].c_str()};
    message.aggregate_version = row[5].as<std::int64_t>();
    message.event_type = row[6].c_str();
    message.topic = row[7].c_str();
    message.key = row[8].c_str();
    message.payload = row[9].c_str();
    message.headers = headers_from(row[10].c_str());
    message.created_at = detail::from_epoch_us(row[11].as<std::int64_t>());
    batch.push_back(std::move(each));
  }
  return batch;
}

result<bool> pg_outbox::mark_published(application::relay_lease const& lease, std::span<std::int64_t const> ids) {
  if (ids.empty()) return true;
  auto const& schema = state_->options.schema;
  auto rows = state_->run([&](pqxx::connection& c) {
    std::string array = "ARRAY[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) array += ',';
      array += std::to_string(ids[i]);
    }
    return "SELECT " + schema + ".once_mark_published(" + c.quote(lease_name) + ", " + c.quote(lease.holder) + ", " +
           std::to_string(lease.epoch) + ", " + array + "]::bigint[])";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return rows->at(0).at(0).as<int>() >= 0;
}

void pg_outbox::wait_for_rows(std::chrono::milliseconds timeout) {
  using clock = detail::statement_watchdog::clock;
  auto& s = *state_;
  auto const deadline = clock::now() + timeout;
  if (s.listener == nullptr && !s.listening_refused) {
    try {
      s.listener = std::make_unique<pqxx::connection>(s.connection_string);
      s.notified = std::make_unique<wake_up>(*s.listener, "once_outbox_" + s.options.schema);
    } catch (std::exception const&) {
      // A pooler that refuses LISTEN, or a server that is away: poll instead (and try again later).
      s.notified.reset();
      s.listener.reset();
    }
  }
  if (s.listener == nullptr) {
    std::this_thread::sleep_for(timeout);  // polling: the caller looks again after the interval
    return;
  }
  // Rows written while the last round ran need no sleep: the usual case under load.
  if (s.rows_unpublished()) return;
  try {
    s.notified->woken = false;
    (void)s.listener->get_notifs();
    s.on_listener("INSERT INTO " + s.options.schema +
                      ".once_outbox_waiting (listener, until) VALUES (pg_backend_pid(), clock_timestamp() + " +
                      "interval '1 millisecond' * " + std::to_string(timeout.count()) +
                      ") ON CONFLICT (listener) DO UPDATE SET until = excluded.until",
                  clock::now() + s.options.statement_timeout);
    auto const sleep_until = [&](clock::time_point until) {
      auto const micros = std::chrono::duration_cast<std::chrono::microseconds>(until - clock::now()).count();
      if (micros <= 0 || s.notified->woken) return;
      (void)s.listener->await_notification(static_cast<long>(micros / 1000000), static_cast<long>(micros % 1000000));
    };
    // A writer that looked for a waiting relay before this one registered
    // does not notify: look again now, and once more after its commit has had
    // time to finish.
    if (!s.rows_unpublished()) {
      sleep_until(std::min(deadline, clock::now() + late_commit_grace));
      if (!s.notified->woken && !s.rows_unpublished()) sleep_until(deadline);
    }
    s.on_listener("DELETE FROM " + s.options.schema + ".once_outbox_waiting WHERE listener = pg_backend_pid()",
                  clock::now() + s.options.statement_timeout);
  } catch (std::exception const&) {
    s.notified.reset();
    s.listener.reset();  // its registration lapses at its `until`
  }
}

result<pg_outbox::backlog> pg_outbox::measure_backlog() {
  auto const& schema = state_->options.schema;
  auto rows = state_->run([&](pqxx::connection&) {
    return "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 FROM " +
           schema + ".once_outbox WHERE published_at IS NULL";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return backlog{rows->at(0).at(0).as<std::int64_t>(), rows->at(0).at(1).as<double>()};
}

}  // namespace once::postgres

/// \file
/// How to reach PostgreSQL. The schema holds the framework's tables (see
/// sql/); every statement names it, so no session state (search_path) is
/// needed and PgBouncer in transaction pooling mode works.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace once::postgres {

/// Every wait is bounded, so that a frozen, partitioned or overloaded server
/// holds no thread, intent or aggregate for longer than these.
struct pg_options {
  std::string database_url;  // libpq URI or key=value string
  std::string schema = "public";
  std::size_t pool_size = 8;
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free pooled connection
  std::string application_name = "once";
  /// Client-side bound on a statement, beyond the lock waits it is allowed
  /// (claim_waits): past it the connection is closed, and a commit's outcome
  /// is reported unknown. Holds when the server is frozen or unreachable.
  std::chrono::milliseconds statement_timeout{5000};
  /// How long a serialising claim's transaction may sit idle while its caller
  /// decides; past it the server ends the session and frees the intent and
  /// the aggregate (idle_in_transaction_session_timeout, set locally).
  std::chrono::milliseconds claim_timeout{5000};
  /// Opening a connection (libpq connect_timeout: whole seconds, at least 2).
  /// TCP keepalives and tcp_user_timeout are set too, unless database_url sets them.
  std::chrono::milliseconds connect_timeout{5000};
  /// Decided commands committed at the same moment share one transaction
  /// (one statement per command in one round trip, one WAL flush): while
  /// commands queue, at most this many such statements run at the same time,
  /// and commands decided while they run go together in the next. Each keeps
  /// its own checks and answer; a statement that fails sends its commands
  /// again one by one. 0: every command commits in a transaction of its own.
  std::size_t shared_commit_statements = 2;
  /// Under a light load, while every running statement carries a single
  /// command, up to this many go at once, each alone: a queue would only
  /// delay them. Never fewer than shared_commit_statements. The defaults,
  /// two and four, are measured in docs/performance.md ("Shared commits").
  std::size_t light_load_commit_statements = 4;
};

/// Lower-case letters, digits and underscores, starting with a letter or an
/// underscore, at most 63 bytes: safe to splice into SQL as an identifier.
[[nodiscard]] bool is_valid_schema_name(std::string_view name) noexcept;

}  // namespace once::postgres

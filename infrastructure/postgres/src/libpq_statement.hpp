// Statements sent with libpq's non-blocking calls, so that the wait for the
// answer goes through the caller's waiting (once/application/waiting.hpp):
// a handler run as a coroutine suspends instead of blocking its thread.
// The connection stays a libpqxx connection for everything else (opening,
// quoting, closing); libpqxx keeps its libpq handle private, so a connection
// policy of our own lends it when the connection opens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>
#include <pqxx/connection_base>

namespace once::postgres::detail {

using libpq_handle = pqxx::internal::pq::PGconn*;

// A libpqxx connection that lends its libpq handle.
class lending_connection final : public pqxx::connection_base {
 public:
  explicit lending_connection(std::string const& options);
  ~lending_connection() noexcept;
  lending_connection(lending_connection const&) = delete;
  lending_connection& operator=(lending_connection const&) = delete;

  // The open connection's handle; null once it is closed.
  [[nodiscard]] libpq_handle handle() const noexcept { return handle_; }

 private:
  class lending_policy final : public pqxx::connect_direct {
   public:
    lending_policy(std::string const& options, libpq_handle& lent) : pqxx::connect_direct(options), lent_(&lent) {}
    handle do_startconnect(handle original) override;
    handle do_dropconnect(handle original) noexcept override;
    handle do_disconnect(handle original) noexcept override;

   private:
    libpq_handle* lent_;
  };

  libpq_handle handle_ = nullptr;
  lending_policy policy_;  // after handle_: connection_base's constructor only stores a reference to it
};

// The rows of a statement's answer (the last statement's, for a script).
// Copies share the answer; a row or field is valid while one copy lives.
class rows {
 public:
  class field {
   public:
    field(pqxx::internal::pq::PGresult const* answer, int row, int column) noexcept
        : answer_(answer), row_(row), column_(column) {}
    [[nodiscard]] bool is_null() const noexcept;
    [[nodiscard]] char const* c_str() const noexcept;
    // Throws std::invalid_argument on a null or a text that does not read as T.
    template <typename T>
    [[nodiscard]] T as() const;

   private:
    pqxx::internal::pq::PGresult const* answer_;
    int row_;
    int column_;
  };

  class row {
   public:
    row(pqxx::internal::pq::PGresult const* answer, int index) noexcept : answer_(answer), index_(index) {}
    // Throws std::out_of_range for a column the answer does not have.
    [[nodiscard]] field operator[](std::string_view column) const;
    [[nodiscard]] field at(int column) const;
    [[nodiscard]] field operator[](int column) const { return at(column); }

   private:
    pqxx::internal::pq::PGresult const* answer_;
    int index_;
  };

  class iterator {
   public:
    iterator(pqxx::internal::pq::PGresult const* answer, int index) noexcept : answer_(answer), index_(index) {}
    row operator*() const noexcept { return row{answer_, index_}; }
    iterator& operator++() noexcept {
      ++index_;
      return *this;
    }
    bool operator==(iterator const& other) const noexcept { return index_ == other.index_; }

   private:
    pqxx::internal::pq::PGresult const* answer_;
    int index_;
  };

  rows() = default;
  explicit rows(pqxx::internal::pq::PGresult* answer);

  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  // Throws std::out_of_range past the last row.
  [[nodiscard]] row at(std::size_t index) const;
  [[nodiscard]] row operator[](std::size_t index) const { return at(index); }
  [[nodiscard]] iterator begin() const noexcept { return {answer_.get(), 0}; }
  [[nodiscard]] iterator end() const noexcept { return {answer_.get(), static_cast<int>(size())}; }

 private:
  std::shared_ptr<pqxx::internal::pq::PGresult> answer_;
};

template <>
std::int64_t rows::field::as<std::int64_t>() const;
template <>
int rows::field::as<int>() const;
template <>
bool rows::field::as<bool>() const;
template <>
double rows::field::as<double>() const;

// Sends `sql` (one statement or a script) and waits for its answer through
// the current waiting. Throws pqxx::broken_connection when the connection is
// lost (or was shut down by the statement watchdog) and pqxx::sql_error, with
// the SQLSTATE, when the server refused a statement: the exceptions libpqxx
// throws, so that pg_errors translates both alike.
[[nodiscard]] rows execute(lending_connection& connection, std::string const& sql);
// The same, answering each statement's rows, in order.
[[nodiscard]] std::vector<rows> execute_each(lending_connection& connection, std::string const& sql);

// A statement whose values travel apart from its text ($1, $2, ...; the
// server infers their types), with no quoting and no session state.
struct parameterized_statement {
  std::string text;
  std::vector<std::optional<std::string>> parameters;  // none: NULL
};

// Sends the statements in one pipeline of the extended protocol, ended by
// one Sync: one round trip and one implicit transaction, so that either all
// of them are committed or none (as a script of several statements). A text
// equal to the one before it is parsed and analysed once for both (the
// unnamed prepared statement, bound again): for a pipeline of commands that
// call one function, that work is done once instead of once per command.
// Answers each statement's rows, in order; throws as `execute` does, after
// reading the pipeline to its end, so a refused one leaves the connection
// ready for the next.
[[nodiscard]] std::vector<rows> execute_pipeline(lending_connection& connection,
                                                 std::vector<parameterized_statement> const& statements);

// Whether a connection that sat idle can still be used. An idle connection
// has nothing to read: anything there is the server's farewell (the FATAL
// of pg_terminate_backend or a shutdown) or the end of the stream. Without
// the check the next statement fails on it and is sent again on a fresh
// connection (a commit's outcome unknown until then), and the fresh one
// drops the pool's other idle connections.
[[nodiscard]] bool idle_connection_is_usable(lending_connection const& connection) noexcept;

}  // namespace once::postgres::detail

#include "libpq_statement.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

#include <libpq-fe.h>
#include <poll.h>
#include <pqxx/except>

#include <once/application/waiting.hpp>

namespace once::postgres::detail {

using application::current_waiting;
using application::wait_clock;
using application::waiting;

lending_connection::lending_connection(std::string const& options)
    : pqxx::connection_base(policy_), policy_(options, handle_) {
  init();
}

lending_connection::~lending_connection() noexcept {
  close();
}

auto lending_connection::lending_policy::do_startconnect(handle original) -> handle {
  *lent_ = pqxx::connect_direct::do_startconnect(original);
  return *lent_;
}

auto lending_connection::lending_policy::do_dropconnect(handle original) noexcept -> handle {
  *lent_ = nullptr;
  return pqxx::connect_direct::do_dropconnect(original);
}

auto lending_connection::lending_policy::do_disconnect(handle original) noexcept -> handle {
  *lent_ = nullptr;
  return pqxx::connect_direct::do_disconnect(original);
}

rows::rows(PGresult* answer) : answer_(answer, PQclear) {}

std::size_t rows::size() const noexcept {
  return answer_ == nullptr ? 0 : static_cast<std::size_t>(PQntuples(answer_.get()));
}

rows::row rows::at(std::size_t index) const {
  if (index >= size()) throw std::out_of_range("row " + std::to_string(index) + " of " + std::to_string(size()));
  return row{answer_.get(), static_cast<int>(index)};
}

rows::field rows::row::operator[](std::string_view column) const {
  // PQfnumber folds unquoted names to lower case; the store's columns are lower case already.
  int const number = PQfnumber(answer_, std::string{column}.c_str());
  if (number < 0) throw std::out_of_range("no column '" + std::string{column} + "' in the answer");
  return field{answer_, index_, number};
}

rows::field rows::row::at(int column) const {
  if (column < 0 || column >= PQnfields(answer_)) throw std::out_of_range("no column " + std::to_string(column));
  return field{answer_, index_, column};
}

bool rows::field::is_null() const noexcept {
  return PQgetisnull(answer_, row_, column_) != 0;
}

char const* rows::field::c_str() const noexcept {
  return PQgetvalue(answer_, row_, column_);  // "" for a null, as libpqxx
}

namespace {

template <typename Number>
Number read_number(rows::field const& field, char const* type) {
  if (field.is_null()) throw std::invalid_argument(std::string{"a null where "} + type + " was expected");
  std::string_view const text = field.c_str();
  Number value{};
  auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    throw std::invalid_argument(std::string{"not "} + type + ": '" + std::string{text.substr(0, 32)} + "'");
  }
  return value;
}

// The answer's error as libpqxx would throw it.
[[noreturn]] void throw_refusal(PGconn* handle, PGresult const* answer, std::string const& sql) {
  std::string message = PQresultErrorMessage(answer);
  if (PQstatus(handle) != CONNECTION_OK) throw pqxx::broken_connection{message};
  char const* sqlstate = PQresultErrorField(answer, PG_DIAG_SQLSTATE);
  throw pqxx::sql_error{message, sql, sqlstate != nullptr ? sqlstate : ""};
}

[[noreturn]] void throw_lost(PGconn* handle) {
  throw pqxx::broken_connection{handle != nullptr ? PQerrorMessage(handle) : "the connection is closed"};
}

}  // namespace

template <>
std::int64_t rows::field::as<std::int64_t>() const {
  return read_number<std::int64_t>(*this, "a bigint");
}

template <>
int rows::field::as<int>() const {
  return read_number<int>(*this, "an integer");
}

template <>
double rows::field::as<double>() const {
  return read_number<double>(*this, "a number");
}

template <>
bool rows::field::as<bool>() const {
  if (is_null()) throw std::invalid_argument("a null where a boolean was expected");
  std::string_view const text = c_str();
  if (text == "t" || text == "true") return true;
  if (text == "f" || text == "false") return false;
  throw std::invalid_argument("not a boolean: '" + std::string{text.substr(0, 32)} + "'");
}

std::vector<rows> execute_each(lending_connection& connection, std::string const& sql) {
  PGconn* handle = connection.handle();
  if (handle == nullptr || PQstatus(handle) != CONNECTION_OK) throw_lost(handle);
  waiting& waits = current_waiting();
  auto const wait_for = [&](waiting::readiness wanted) {
    (void)waits.until_ready(PQsocket(handle), wanted, wait_clock::time_point::max());  // the watchdog bounds it
  };
  // Non-blocking: sending a large statement waits through the waiting too.
  if (PQisnonblocking(handle) == 0 && PQsetnonblocking(handle, 1) != 0) throw_lost(handle);
  if (PQsendQuery(handle, sql.c_str()) == 0) throw_lost(handle);
  for (;;) {
    int const unsent = PQflush(handle);
    if (unsent == 0) break;
    if (unsent < 0) throw_lost(handle);
    wait_for(waiting::readiness::writable);
    // The server may answer (an error) before it has read everything: read it, or both sides wait.
    if (PQconsumeInput(handle) == 0) throw_lost(handle);
  }
  // A script answers one result per statement; after an error the server
  // runs none of the rest, so an error is last. `answers` owns each result as
  // it comes, so a wait that throws leaks none.
  std::vector<rows> answers;
  PGresult* last = nullptr;
  for (;;) {
    while (PQisBusy(handle) != 0) {
      wait_for(waiting::readiness::readable);
      if (PQconsumeInput(handle) == 0) throw_lost(handle);
    }
    PGresult* next = PQgetResult(handle);
    if (next == nullptr) break;
    last = next;
    answers.emplace_back(next);
  }
  if (last == nullptr) return answers;
  auto const status = PQresultStatus(last);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return answers;
  if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) throw_refusal(handle, last, sql);
  throw pqxx::sql_error{std::string{"unexpected answer: "} + PQresStatus(status), sql, ""};
}

rows execute(lending_connection& connection, std::string const& sql) {
  auto answers = execute_each(connection, sql);
  if (answers.empty()) return rows{};
  return std::move(answers.back());
}

bool idle_connection_is_usable(lending_connection const& connection) noexcept {
  PGconn* handle = connection.handle();
  if (handle == nullptr || PQstatus(handle) != CONNECTION_OK) return false;
  pollfd idle{.fd = PQsocket(handle), .events = POLLIN, .revents = 0};
  return ::poll(&idle, 1, 0) == 0;
}

}  // namespace once::postgres::detail

#include "libpq_statement.hpp"

#include <charconv>
#include <memory>
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

namespace {

// Waits for the connection's socket through the current waiting; the watchdog bounds every wait.
void wait_for(PGconn* handle, waiting::readiness wanted) {
  (void)current_waiting().until_ready(PQsocket(handle), wanted, wait_clock::time_point::max());
}

PGconn* open_handle(lending_connection& connection) {
  PGconn* handle = connection.handle();
  if (handle == nullptr || PQstatus(handle) != CONNECTION_OK) throw_lost(handle);
  // Non-blocking: sending a large statement waits through the waiting too.
  if (PQisnonblocking(handle) == 0 && PQsetnonblocking(handle, 1) != 0) throw_lost(handle);
  return handle;
}

// Sends what libpq holds for the server.
void flush(PGconn* handle) {
  for (;;) {
    int const unsent = PQflush(handle);
    if (unsent == 0) return;
    if (unsent < 0) throw_lost(handle);
    wait_for(handle, waiting::readiness::writable);
    // The server may answer (an error) before it has read everything: read it, or both sides wait.
    if (PQconsumeInput(handle) == 0) throw_lost(handle);
  }
}

// The next result, waiting for it through the current waiting.
PGresult* next_result(PGconn* handle) {
  while (PQisBusy(handle) != 0) {
    wait_for(handle, waiting::readiness::readable);
    if (PQconsumeInput(handle) == 0) throw_lost(handle);
  }
  return PQgetResult(handle);
}

}  // namespace

std::vector<rows> execute_each(lending_connection& connection, std::string const& sql) {
  PGconn* handle = open_handle(connection);
  if (PQsendQuery(handle, sql.c_str()) == 0) throw_lost(handle);
  flush(handle);
  // A script answers one result per statement; after an error the server
  // runs none of the rest, so an error is last. `answers` owns each result as
  // it comes, so a wait that throws leaks none.
  std::vector<rows> answers;
  PGresult* last = nullptr;
  while (PGresult* next = next_result(handle)) {
    last = next;
    answers.emplace_back(next);
  }
  if (last == nullptr) return answers;
  auto const status = PQresultStatus(last);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return answers;
  if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) throw_refusal(handle, last, sql);
  throw pqxx::sql_error{std::string{"unexpected answer: "} + PQresStatus(status), sql, ""};
}

std::vector<rows> execute_pipeline(lending_connection& connection,
                                   std::vector<parameterized_statement> const& statements) {
  PGconn* handle = open_handle(connection);
  if (PQenterPipelineMode(handle) == 0) throw_lost(handle);
  // What each answer in the pipeline is for: a statement's text parsed, or the statement run.
  struct request {
    parameterized_statement const* statement;
    bool runs;
  };
  std::vector<request> answered_for;
  std::string const* parsed = nullptr;
  std::vector<char const*> values;
  for (auto const& statement : statements) {
    values.clear();
    for (auto const& parameter : statement.parameters) values.push_back(parameter ? parameter->c_str() : nullptr);
    int const count = static_cast<int>(values.size());
    if (parsed == nullptr || *parsed != statement.text) {
      if (PQsendPrepare(handle, "", statement.text.c_str(), count, nullptr) == 0) throw_lost(handle);
      answered_for.push_back({&statement, false});
      parsed = &statement.text;
    }
    if (PQsendQueryPrepared(handle, "", count, values.data(), nullptr, nullptr, 0) == 0) throw_lost(handle);
    answered_for.push_back({&statement, true});
  }
  if (PQpipelineSync(handle) == 0) throw_lost(handle);
  flush(handle);
  // Each request answers one result and a null; after an error, the server
  // skips the rest (PGRES_PIPELINE_ABORTED) up to the Sync, and the
  // transaction is rolled back. Read to the Sync before throwing.
  std::vector<rows> answers;
  std::unique_ptr<PGresult, decltype(&PQclear)> refusal{nullptr, PQclear};
  std::string const* refused_text = nullptr;
  std::size_t next_request = 0;
  bool ended_one = false;
  for (;;) {
    std::unique_ptr<PGresult, decltype(&PQclear)> next{next_result(handle), PQclear};
    if (next == nullptr) {
      // The end of one request's answer; two ends in a row would mean libpq expects nothing more before the Sync.
      if (PQstatus(handle) != CONNECTION_OK) throw_lost(handle);
      if (ended_one) throw pqxx::broken_connection{"a pipeline ended before its Sync"};
      ended_one = true;
      continue;
    }
    ended_one = false;
    auto const status = PQresultStatus(next.get());
    if (status == PGRES_PIPELINE_SYNC) break;
    // Answers that match no request leave the connection in a state not known: it is not used again.
    if (next_request >= answered_for.size()) throw pqxx::broken_connection{"more answers than requests in a pipeline"};
    auto const [statement, runs] = answered_for[next_request++];
    if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) {
      if (PQstatus(handle) != CONNECTION_OK) throw_refusal(handle, next.get(), "");
      if (refusal == nullptr) {
        refused_text = &statement->text;
        refusal = std::move(next);
      }
    } else if (runs && status == PGRES_TUPLES_OK) {
      answers.emplace_back(next.release());
    } else if (status != PGRES_COMMAND_OK && status != PGRES_PIPELINE_ABORTED) {
      throw pqxx::broken_connection{std::string{"unexpected answer in a pipeline: "} + PQresStatus(status)};
    }
  }
  if (PQexitPipelineMode(handle) == 0) throw_lost(handle);
  if (refusal != nullptr) throw_refusal(handle, refusal.get(), *refused_text);
  return answers;
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

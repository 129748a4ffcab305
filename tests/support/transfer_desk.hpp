// A small aggregate with an external step, and the system it calls: a
// transfers desk that is not idempotent at all (every call books anew) and
// can be told to fail in each way a real one does.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include <once/application/external_steps.hpp>
#include <once/domain/aggregate.hpp>
#include <once/domain/entities.hpp>
#include <once/domain/external.hpp>

namespace once_tests {

struct booking {
  BOOST_HANA_DEFINE_STRUCT(booking, (std::int64_t, booking_no), (std::string, reference), (std::int64_t, amount));
  friend bool operator==(booking const&, booking const&) = default;
};

struct send_money {
  static constexpr std::string_view type_name = "test.send_money";
  using external_answer = booking;
  BOOST_HANA_DEFINE_STRUCT(send_money, (std::string, transfer_id), (std::int64_t, amount));
};

struct transfer_view {
  BOOST_HANA_DEFINE_STRUCT(transfer_view, (std::string, transfer_id), (std::string, status), (std::string, reference),
                           (std::int64_t, booking_no));
  friend bool operator==(transfer_view const&, transfer_view const&) = default;
};

struct booking_entry {
  BOOST_HANA_DEFINE_STRUCT(booking_entry, (std::string, reference));
};

struct transfer_state {
  BOOST_HANA_DEFINE_STRUCT(transfer_state, (std::string, transfer_id), (std::string, status), (std::string, reference),
                           (std::int64_t, booking_no), (std::int64_t, amount),
                           // beside the root: what a conclusion writes besides it
                           (once::domain::entities<booking_entry>, bookings));
};

struct money_requested {
  static constexpr std::string_view type_name = "test.money_requested";
  BOOST_HANA_DEFINE_STRUCT(money_requested, (std::string, transfer_id), (std::string, reference),
                           (std::int64_t, amount));
};
struct money_sent {
  static constexpr std::string_view type_name = "test.money_sent";
  BOOST_HANA_DEFINE_STRUCT(money_sent, (std::int64_t, booking_no));
};
struct money_refused {
  static constexpr std::string_view type_name = "test.money_refused";
  BOOST_HANA_DEFINE_STRUCT(money_refused, (std::string, code));
};
struct money_in_doubt {
  static constexpr std::string_view type_name = "test.money_in_doubt";
  BOOST_HANA_DEFINE_STRUCT(money_in_doubt, (std::string, status));
};

inline constexpr auto transfer_commands =
    once::domain::command_table(once::domain::on<send_money>()
                                    .key(once::domain::client_key)
                                    .target(&send_money::transfer_id)
                                    .result([](transfer_state const& s, send_money const&) {
                                      return transfer_view{s.transfer_id, s.status, s.reference, s.booking_no};
                                    })
                                    .repeat(once::domain::return_prior));

struct transfer
    : once::domain::aggregate_types<transfer_state,
                                    std::variant<money_requested, money_sent, money_refused, money_in_doubt>> {
  static constexpr std::string_view type_name = "test.transfer";
  static constexpr auto const& commands = transfer_commands;
  using outcome = once::domain::external_outcome<booking>;

  static decision<> decide(current const& s, send_money const& c, context const& ctx) {
    if (s.has_value()) return once::domain::reject("transfer_exists", "the transfer exists");
    if (c.amount <= 0) return once::domain::reject("invalid_amount", "amounts are positive");
    return once::domain::emit(money_requested{c.transfer_id, ctx.external_reference, c.amount});
  }
  static decision<> conclude(current const&, send_money const&, outcome const& o, context const&) {
    switch (o.what) {
      case outcome::kind::answered:
        return once::domain::emit(money_sent{o.answers.front().booking_no});
      case outcome::kind::refused:
        return once::domain::emit(money_refused{o.refusal.code});
      case outcome::kind::duplicated:
        return once::domain::emit(money_in_doubt{"needs_review"});
      case outcome::kind::unknown:
        break;
    }
    return once::domain::emit(money_in_doubt{"unknown"});
  }
  static void apply(state& s, money_requested const& e) {
    s.transfer_id = e.transfer_id;
    s.reference = e.reference;
    s.amount = e.amount;
    s.status = "pending";
  }
  static void apply(state& s, money_sent const& e) {
    s.status = "completed";
    s.booking_no = e.booking_no;
    s.bookings.put(std::to_string(e.booking_no), booking_entry{s.reference});
  }
  static void apply(state& s, money_refused const&) { s.status = "failed"; }
  static void apply(state& s, money_in_doubt const& e) { s.status = e.status; }
};

// The other system: books on every call; faults are set per next call.
class transfer_desk final : public once::application::external_call<send_money> {
 public:
  enum class fault {
    none,
    book_and_lose_the_answer,  // books, the caller sees a timeout
    lose_before_booking,       // the caller sees a timeout, nothing was booked
    refuse,                    // a 400: nothing booked
    unreachable_lookup,        // the next look-up cannot be made
  };
  using call_result = once::application::call_result<booking>;
  using lookup_result = once::application::lookup_result<booking>;

  call_result call(send_money const& command, std::string_view reference, std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    ++calls_;
    auto const now = take_fault();
    if (now == fault::refuse) return call_result::refused(once::domain::reject("refused_by_core", "refused"));
    if (now == fault::lose_before_booking) return call_result::unknown("timeout");
    auto const booked = book(std::string{reference}, command.amount);
    if (now == fault::book_and_lose_the_answer) return call_result::unknown("timeout");
    return call_result::answered(booked);
  }
  lookup_result look_up(send_money const&, std::string_view reference) override {
    std::lock_guard lock(mutex_);
    ++lookups_;
    if (!faults_.empty() && faults_.front() == fault::unreachable_lookup) {
      faults_.erase(faults_.begin());
      return lookup_result::not_asked("connection refused");
    }
    std::vector<booking> found;
    for (auto const& each : bookings_) {
      if (each.reference == reference) found.push_back(each);
    }
    return lookup_result::holds(std::move(found));
  }

  void next(fault f) {
    std::lock_guard lock(mutex_);
    faults_.push_back(f);
  }
  // Books as if a call had arrived from elsewhere (a double booking).
  booking book_directly(std::string reference, std::int64_t amount) {
    std::lock_guard lock(mutex_);
    return book(std::move(reference), amount);
  }
  std::size_t bookings_of(std::string_view reference) const {
    std::lock_guard lock(mutex_);
    std::size_t count = 0;
    for (auto const& each : bookings_) count += each.reference == reference ? 1U : 0U;
    return count;
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  int lookups() const {
    std::lock_guard lock(mutex_);
    return lookups_;
  }

 private:
  fault take_fault() {
    if (faults_.empty() || faults_.front() == fault::unreachable_lookup) return fault::none;
    auto const f = faults_.front();
    faults_.erase(faults_.begin());
    return f;
  }
  booking book(std::string reference, std::int64_t amount) {
    bookings_.push_back(booking{static_cast<std::int64_t>(bookings_.size()) + 1, std::move(reference), amount});
    return bookings_.back();
  }

  mutable std::mutex mutex_;
  std::vector<booking> bookings_;
  std::vector<fault> faults_;
  int calls_ = 0;
  int lookups_ = 0;
};

}  // namespace once_tests

/// \file
/// Entities kept beside an aggregate's root. The part of a state that grows
/// with the aggregate's history (an account's payments, an order's lines) is a
/// member of type entities<T>: the store keeps each entry as a record of its
/// own, a command reads the root and only the entries it looks at, and its
/// commit writes the root and the entries its events put or changed. What a
/// command costs then depends on what it touches, not on how many entries the
/// aggregate has gathered.
///
///   struct account_state {
///     BOOST_HANA_DEFINE_STRUCT(account_state, (std::string, account_id), ...,
///                              (once::domain::entities<payment_state>, payments));
///   };
///   decide:  auto const* payment = account->payments.find(command.payment_id);  // nullptr: none
///   apply:   account.payments.put(event.payment_id, payment_state{...});        // a new entry
///            account.payments.at(event.payment_id).captured += ...;           // an existing one
///            account.payments.erase(event.payment_id);                         // gone
///
/// Entries are read on demand. In a unit test the state that apply built holds
/// them all; under the dispatcher the first look at an id asks the store
/// (inside the command's claim) and the answer is kept for the rest of the
/// command. The root's JSON never contains the entries. A root written before
/// a member became entities<T> (the entries inline, as a JSON object) still
/// decodes: those entries count as changed, so the next commit moves them out.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/hana/accessors.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>

#include <once/domain/detail/reflection.hpp>

namespace once::domain {

template <class T>
class entities {
 public:
  using value_type = T;
  /// Reads the JSON of an entry the store holds and this state has not seen
  /// yet; none when there is no such entry. Set by the framework.
  using loader = std::function<std::optional<T>(std::string const& id)>;

  /// The entry, or nullptr when the aggregate has none under this id.
  [[nodiscard]] T const* find(std::string const& id) const {
    auto known = entries_.find(id);
    if (known == entries_.end()) {
      std::optional<T> loaded;
      if (load_) loaded = load_(id);
      known = entries_.emplace(id, std::move(loaded)).first;
    }
    return known->second.has_value() ? &*known->second : nullptr;
  }
  [[nodiscard]] bool contains(std::string const& id) const { return find(id) != nullptr; }

  /// A new entry, or the replacement of an existing one.
  T& put(std::string const& id, T value) {
    changed_.insert(id);
    return entries_.insert_or_assign(id, std::optional<T>{std::move(value)}).first->second.value();
  }

  /// An existing entry, to change; std::out_of_range when there is none (apply
  /// runs on events decide emitted after finding the entry, so it is there).
  T& at(std::string const& id) {
    if (find(id) == nullptr) throw std::out_of_range{"once: no entity " + id};
    changed_.insert(id);
    return entries_.find(id)->second.value();
  }

  /// Removes the entry, if there is one: the commit deletes its record.
  void erase(std::string const& id) {
    changed_.insert(id);
    entries_.insert_or_assign(id, std::nullopt);
  }

  // --- what the framework uses ---

  /// Entries not in memory are read through `load` from now on.
  void load_with(loader load) { load_ = std::move(load); }

  /// Calls f(id, entry) for each entry put or changed since the state was read.
  template <class F>
  void for_each_changed(F&& f) const {
    for (auto const& id : changed_) {
      if (auto const& entry = entries_.at(id); entry.has_value()) f(id, *entry);
    }
  }

  /// Calls f(id) for each entry erased since the state was read.
  template <class F>
  void for_each_erased(F&& f) const {
    for (auto const& id : changed_) {
      if (!entries_.at(id).has_value()) f(id);
    }
  }

  /// Calls f(id, entry) for each entry in memory (all of them when nothing is read on demand).
  template <class F>
  void for_each_in_memory(F&& f) const {
    for (auto const& [id, entry] : entries_) {
      if (entry.has_value()) f(id, *entry);
    }
  }

  /// An entry of a root that held its entries inline: it counts as changed, so the next commit writes it out.
  T& adopt_inline(std::string const& id) { return put(id, T{}); }

  friend bool operator==(entities const& a, entities const& b) { return a.entries_ == b.entries_; }

 private:
  mutable std::map<std::string, std::optional<T>> entries_;  // what is known; none: known to be absent
  std::set<std::string> changed_;
  loader load_;
};

/// Calls f(name, collection) for each entities<T> member of a reflected state;
/// the name is the member's, which is also the collection's name in the store.
template <class State, class F>
void for_each_entity_collection(State& state, F&& f) {
  boost::hana::for_each(boost::hana::accessors<std::remove_const_t<State>>(), [&](auto const& field) {
    auto& member = boost::hana::second(field)(state);
    if constexpr (detail::is_entities<std::remove_cvref_t<decltype(member)>>) {
      f(std::string_view{std::remove_cvref_t<decltype(boost::hana::first(field))>::c_str()}, member);
    }
  });
}

/// True when a reflected state has an entities<T> member.
template <class State>
constexpr bool has_entities() {
  bool found = false;
  boost::hana::for_each(boost::hana::accessors<State>(), [&](auto const& field) {
    using member = std::remove_cvref_t<decltype(boost::hana::second(field)(std::declval<State&>()))>;
    if constexpr (detail::is_entities<member>) found = true;
  });
  return found;
}

}  // namespace once::domain

/// \file
/// How the framework reads and writes an aggregate's entities
/// (once/domain/entities.hpp) through the store port: entries are read one at
/// a time when the state first looks at them, and the entries a command put
/// or changed are written with its root.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <once/application/command_store.hpp>
#include <once/application/error.hpp>
#include <once/application/records.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/domain/entities.hpp>
#include <once/domain/json_decode.hpp>

namespace once::application {

/// Thrown out of domain code that looked at an entry the store could not give
/// (unreachable, or stored JSON that does not decode). The dispatcher turns it
/// back into the store's error; code that reads states itself (read_state)
/// catches it the same way.
struct entity_unavailable : std::runtime_error {
  explicit entity_unavailable(error failure) : std::runtime_error(failure.message), why(std::move(failure)) {}
  error why;
};

/// From now on, the state reads entries of its entities through `read`,
/// (collection, id) -> result<optional<JSON>>, when it first looks at them.
template <class State, class Read>
void read_entities_through(std::optional<State>& state, Read read) {
  if constexpr (domain::has_entities<State>()) {
    if (!state.has_value()) return;
    domain::for_each_entity_collection(*state, [&read](std::string_view name, auto& collection) {
      using entry_type = typename std::remove_cvref_t<decltype(collection)>::value_type;
      collection.load_with([read, name](std::string const& id) -> std::optional<entry_type> {
        auto json = read(name, id);
        if (!json) throw entity_unavailable{std::move(json).error()};
        if (!json->has_value()) return std::nullopt;
        auto decoded = domain::decode_json<entry_type>(**json);
        if (!decoded) {
          throw entity_unavailable{error{error_code::internal, "stored entity " + std::string{name} + ' ' + id +
                                                                   " does not decode: " + decoded.error().message()}};
        }
        return std::move(*decoded);
      });
    });
  }
}

/// The entries of the state's entities that were put, changed or erased, to be written with its root.
template <class State>
std::vector<stored_entity> changed_entities(State const& state) {
  std::vector<stored_entity> changed;
  if constexpr (domain::has_entities<State>()) {
    domain::for_each_entity_collection(state, [&changed](std::string_view name, auto const& collection) {
      collection.for_each_changed([&](std::string const& id, auto const& entry) {
        changed.push_back(stored_entity{std::string{name}, id, domain::canonical_json(entry)});
      });
      collection.for_each_erased([&](std::string const& id) {
        changed.push_back(stored_entity{std::string{name}, id, {}, true});
      });
    });
  }
  return changed;
}

/// An aggregate's state as last committed, or none when it does not exist.
/// Its entities are read from the store when looked at, so looking at an
/// entry may throw entity_unavailable; the store outlives the state.
template <class State>
result<std::optional<State>> read_state(command_store& store, aggregate_ref const& ref) {
  auto stored = store.read(ref);
  if (!stored) return domain::unexpected{std::move(stored).error()};
  if (!stored->has_value()) return std::optional<State>{};
  auto decoded = domain::decode_json<State>((*stored)->state);
  if (!decoded) {
    return fail(error_code::internal,
                "stored state of " + ref.type + ' ' + ref.id + " does not decode: " + decoded.error().message());
  }
  std::optional<State> state{std::move(*decoded)};
  read_entities_through(state, [&store, ref](std::string_view collection, std::string const& id) {
    return store.read_entity(ref, collection, id);
  });
  return state;
}

}  // namespace once::application

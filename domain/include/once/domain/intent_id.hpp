/// \file
/// The identity of one business intent: (tenant, scope, key).
///
/// intent_key is the untyped form stores and logs work with. intent_id<Command>
/// is the typed form the domain and application hand around: the id of one
/// command type cannot be passed where another's is expected, so a claim id is
/// never mistaken for a disbursement id.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>

namespace once::domain {

struct intent_key {
  std::string tenant;
  std::string scope;
  std::string key;

  friend bool operator==(intent_key const&, intent_key const&) = default;
  friend auto operator<=>(intent_key const&, intent_key const&) = default;
};

/// "tenant:scope:key", for logs and error details.
inline std::string to_string(intent_key const& id) {
  return id.tenant + ':' + id.scope + ':' + id.key;
}

template <class Command>
class intent_id {
 public:
  using command_type = Command;

  intent_id(std::string tenant, std::string scope, std::string key)
      : key_{std::move(tenant), std::move(scope), std::move(key)} {}

  [[nodiscard]] std::string const& tenant() const noexcept { return key_.tenant; }
  [[nodiscard]] std::string const& scope() const noexcept { return key_.scope; }
  [[nodiscard]] std::string const& key() const noexcept { return key_.key; }
  [[nodiscard]] intent_key const& untyped() const noexcept { return key_; }

  friend bool operator==(intent_id const&, intent_id const&) = default;

 private:
  intent_key key_;
};

}  // namespace once::domain

namespace std {

template <>
struct hash<once::domain::intent_key> {
  std::size_t operator()(once::domain::intent_key const& id) const noexcept {
    std::hash<std::string> h;
    std::size_t seed = h(id.tenant);
    seed ^= h(id.scope) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    seed ^= h(id.key) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    return seed;
  }
};

}  // namespace std

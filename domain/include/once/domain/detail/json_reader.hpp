/// \file
/// Decoding reflected structs straight from nlohmann's SAX events, without
/// building a DOM: a stack of frames, one per open object or array, each
/// pointing at the C++ value it fills and at a table of functions that know
/// that value's type. Same rules and messages as decode_json_value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <once/domain/detail/reflection.hpp>
#include <once/domain/text.hpp>

namespace once::domain::detail {

struct type_ops;

/// Where the next JSON value goes.
struct slot {
  void* object = nullptr;
  type_ops const* ops = nullptr;  // null: an unknown member, skipped
};

/// A scalar as the SAX parser reports it.
struct scalar {
  enum class kind { null, boolean, signed_integer, unsigned_integer, floating, text } type;
  bool boolean = false;
  std::int64_t signed_integer = 0;
  std::uint64_t unsigned_integer = 0;
  std::string* text = nullptr;
};

struct type_ops {
  enum class shape { scalar, object, array, map, optional } form;
  /// scalar: store it, or return the problem ("expected a string").
  char const* (*store)(void* object, scalar const& value) = nullptr;
  /// object: the member's slot and its bit (none for unknown members).
  slot (*member)(void* object, std::string_view name, std::uint64_t& bit) = nullptr;
  /// object: the first required member not seen, or null.
  char const* (*missing)(std::uint64_t seen) = nullptr;
  /// array: a new element's slot; map: the entry's slot for a key.
  slot (*element)(void* object) = nullptr;
  slot (*entry)(void* object, std::string const& key) = nullptr;
  /// optional: clear it (null), or engage it and return the inner slot.
  void (*reset)(void* object) = nullptr;
  slot (*engage)(void* object) = nullptr;
  char const* expected = "";  // what a value of the wrong shape is told
};

template <class T>
type_ops const& ops_for();

template <class T>
slot slot_of(T& value) {
  return slot{&value, &ops_for<T>()};
}

template <class T>
char const* store_scalar(void* object, scalar const& value) {
  T& out = *static_cast<T*>(object);
  if constexpr (std::is_same_v<T, bool>) {
    if (value.type != scalar::kind::boolean) return "expected a boolean";
    out = value.boolean;
  } else if constexpr (is_json_integer<T>) {
    if (value.type == scalar::kind::signed_integer) {
      if (!std::in_range<T>(value.signed_integer)) return "integer out of range";
      out = static_cast<T>(value.signed_integer);
    } else if (value.type == scalar::kind::unsigned_integer) {
      if (!std::in_range<T>(value.unsigned_integer)) return "integer out of range";
      out = static_cast<T>(value.unsigned_integer);
    } else {
      return "expected an integer";
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (value.type != scalar::kind::text) return "expected a string";
    if (char const* unstorable = unstorable_text_reason(*value.text)) return unstorable;
    out = std::move(*value.text);
  }
  return nullptr;
}

template <class T>
constexpr std::uint64_t required_members() {
  std::uint64_t mask = 0;
  std::size_t index = 0;
  boost::hana::for_each(boost::hana::accessors<T>(), [&](auto const& field) {
    using member = std::remove_cvref_t<decltype(boost::hana::second(field)(std::declval<T&>()))>;
    if (!is_optional<member> && !is_entities<member>) mask |= std::uint64_t{1} << index;
    ++index;
  });
  return mask;
}

/// The operations of a JSON object read entry by entry, each entry's slot from `entry`.
constexpr type_ops map_ops(slot (*entry)(void* object, std::string const& key)) {
  return {type_ops::shape::map, nullptr, nullptr, nullptr, nullptr, entry, nullptr, nullptr, "expected an object"};
}

template <class T>
type_ops const& ops_for() {
  if constexpr (std::is_same_v<T, bool> || is_json_integer<T> || std::is_same_v<T, std::string>) {
    static constexpr type_ops ops{type_ops::shape::scalar, &store_scalar<T>};
    return ops;
  } else if constexpr (is_optional<T>) {
    static constexpr type_ops ops{type_ops::shape::optional,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  [](void* object) { static_cast<T*>(object)->reset(); },
                                  [](void* object) { return slot_of(static_cast<T*>(object)->emplace()); }};
    return ops;
  } else if constexpr (is_vector<T>) {
    static constexpr type_ops ops{type_ops::shape::array,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  [](void* object) { return slot_of(static_cast<T*>(object)->emplace_back()); },
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  "expected an array"};
    return ops;
  } else if constexpr (is_string_map<T>) {
    static constexpr type_ops ops =
        map_ops([](void* object, std::string const& key) { return slot_of((*static_cast<T*>(object))[key]); });
    return ops;
  } else if constexpr (is_entities<T>) {
    // Only a root written before the member became entities<T> holds them (inline, as an object).
    static constexpr type_ops ops = map_ops(
        [](void* object, std::string const& key) { return slot_of(static_cast<T*>(object)->adopt_inline(key)); });
    return ops;
  } else if constexpr (is_reflected<T>) {
    static_assert(field_names<T>().size() <= 64, "once: reflected structs have at most 64 members");
    static constexpr type_ops ops{
        type_ops::shape::object,
        nullptr,
        [](void* object, std::string_view name, std::uint64_t& bit) {
          slot found{};
          std::size_t index = 0;
          boost::hana::for_each(boost::hana::accessors<T>(), [&](auto const& field) {
            if (found.ops == nullptr && name == std::remove_cvref_t<decltype(boost::hana::first(field))>::c_str()) {
              found = slot_of(boost::hana::second(field)(*static_cast<T*>(object)));
              bit = std::uint64_t{1} << index;
            }
            ++index;
          });
          return found;
        },
        [](std::uint64_t seen) -> char const* {
          constexpr auto names = field_names<T>();
          std::uint64_t const absent = required_members<T>() & ~seen;
          for (std::size_t i = 0; i < names.size(); ++i) {
            if ((absent >> i) & 1U) return names[i].data();
          }
          return nullptr;
        },
        nullptr,
        nullptr,
        nullptr,
        nullptr,
        "expected an object"};
    return ops;
  } else {
    static_assert(always_false<T>, "once: this type has no JSON form; reflect it with BOOST_HANA_DEFINE_STRUCT");
  }
}

/// The SAX handler. On failure, `field` and `problem` say where and what.
class json_reader : public nlohmann::json_sax<nlohmann::json> {
 public:
  /// refuse_unknown: a member the type does not have fails ("is not a known field") instead of being skipped.
  explicit json_reader(slot root, bool refuse_unknown = false) : next_(root), refuse_unknown_(refuse_unknown) {}

  bool null() override { return put(scalar{scalar::kind::null}); }
  bool boolean(bool value) override {
    scalar s{scalar::kind::boolean};
    s.boolean = value;
    return put(s);
  }
  bool number_integer(number_integer_t value) override {
    scalar s{scalar::kind::signed_integer};
    s.signed_integer = value;
    return put(s);
  }
  bool number_unsigned(number_unsigned_t value) override {
    scalar s{scalar::kind::unsigned_integer};
    s.unsigned_integer = value;
    return put(s);
  }
  bool number_float(number_float_t, string_t const&) override { return put(scalar{scalar::kind::floating}); }
  bool string(string_t& value) override {
    scalar s{scalar::kind::text};
    s.text = &value;
    return put(s);
  }
  bool binary(binary_t&) override { return put(scalar{scalar::kind::floating}); }

  bool start_object(std::size_t) override { return open(type_ops::shape::object); }
  bool start_array(std::size_t) override { return open(type_ops::shape::array); }
  bool key(string_t& name) override {
    if (skipping_ > 0) return true;
    auto& top = frames_.back();
    top.key = name;
    if (top.target.ops->form == type_ops::shape::map) {
      if (char const* unstorable = unstorable_text_reason(name)) return fail(nullptr, unstorable);
      next_ = top.target.ops->entry(top.target.object, name);
    } else {
      std::uint64_t bit = 0;
      next_ = top.target.ops->member(top.target.object, name, bit);
      if (next_.ops == nullptr && refuse_unknown_) return fail(nullptr, "is not a known field");
      // A member given twice names no one value (a parser would silently keep one of them).
      if ((top.seen & bit) != 0) return fail(nullptr, "appears twice");
      top.seen |= bit;
    }
    return true;
  }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, std::string const&, nlohmann::detail::exception const&) override {
    field.clear();
    problem = "malformed JSON";
    return false;
  }

  std::string field;
  std::string problem;

 private:
  struct frame {
    slot target;
    std::size_t index = 0;   // arrays: elements so far
    std::uint64_t seen = 0;  // objects: members set
    std::string key;         // objects and maps: the member being read
  };

  /// The slot for the value arriving now (array elements are created on arrival).
  slot take_slot() {
    if (!frames_.empty() && frames_.back().target.ops->form == type_ops::shape::array) {
      auto& top = frames_.back();
      ++top.index;
      return top.target.ops->element(top.target.object);
    }
    return next_;
  }

  /// Optionals take null as empty and anything else as their inner value.
  bool unwrap(slot& target, bool is_null) {
    while (target.ops != nullptr && target.ops->form == type_ops::shape::optional) {
      if (is_null) {
        target.ops->reset(target.object);
        return false;
      }
      target = target.ops->engage(target.object);
    }
    return true;
  }

  bool put(scalar const& value) {
    if (skipping_ > 0) return true;
    slot target = take_slot();
    if (target.ops == nullptr) return true;  // an unknown member
    if (!unwrap(target, value.type == scalar::kind::null)) return true;
    if (value.type == scalar::kind::null) return fail(nullptr, frames_.empty() ? target.ops->expected : "is required");
    if (target.ops->form != type_ops::shape::scalar) return fail(nullptr, target.ops->expected);
    if (char const* wrong = target.ops->store(target.object, value)) return fail(nullptr, wrong);
    return true;
  }

  bool open(type_ops::shape shape) {
    if (skipping_ > 0) {
      ++skipping_;
      return true;
    }
    slot target = take_slot();
    if (target.ops == nullptr) {
      skipping_ = 1;
      return true;
    }
    (void)unwrap(target, false);
    bool const fits = shape == type_ops::shape::array
                          ? target.ops->form == type_ops::shape::array
                          : (target.ops->form == type_ops::shape::object || target.ops->form == type_ops::shape::map);
    if (!fits) {
      return fail(nullptr,
                  target.ops->form == type_ops::shape::scalar ? scalar_expectation(target) : target.ops->expected);
    }
    frames_.push_back(frame{target});
    return true;
  }

  bool close() {
    if (skipping_ > 0) {
      --skipping_;
      return true;
    }
    auto& top = frames_.back();
    if (top.target.ops->form == type_ops::shape::object) {
      if (char const* absent = top.target.ops->missing(top.seen)) return fail(absent, "is required");
    }
    frames_.pop_back();
    return true;
  }

  /// What a scalar slot says when it gets an object or an array.
  static char const* scalar_expectation(slot const& target) {
    scalar probe{scalar::kind::null};
    probe.type = scalar::kind::floating;
    char const* wrong = target.ops->store(target.object, probe);
    return wrong != nullptr ? wrong : "unexpected value";
  }

  /// Records the dotted path of the failing value (plus `member` for a missing one).
  bool fail(char const* member, char const* what) {
    std::string path;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      auto const& f = frames_[i];
      if (f.target.ops->form == type_ops::shape::array) {
        path += '[' + std::to_string(f.index - 1) + ']';
      } else if (i + 1 < frames_.size() || member == nullptr) {
        if (!path.empty()) path += '.';
        path += f.key;
      }
    }
    if (member != nullptr) {
      if (!path.empty()) path += '.';
      path += member;
    }
    field = std::move(path);
    problem = what;
    return false;
  }

  std::vector<frame> frames_;
  slot next_;
  bool refuse_unknown_ = false;
  int skipping_ = 0;
};

}  // namespace once::domain::detail

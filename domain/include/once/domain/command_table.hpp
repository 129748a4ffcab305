/// \file
/// The command table: one per aggregate, in its own header, stating for every
/// command the aggregate handles how its intent id is formed and what a repeat
/// means. Read it like a sentence:
///
///   inline constexpr auto account_commands = once::domain::command_table(
///       on<open_account>()
///           .key(&open_account::account_id)      // the business id is the key
///           .target(&open_account::account_id)   // the aggregate it acts on
///           .repeat(return_prior),
///       on<authorize_payment>()
///           .scope(&authorize_payment::account_id)  // one key per account: "payments.authorize_payment/A-1"
///           .key(client_key)                     // the client's Idempotency-Key
///           .target(&authorize_payment::account_id)
///           .repeat(return_prior)
///           .retain(std::chrono::days{30}));
///
/// The table is a boost::hana::map keyed by the command type, so dispatching a
/// command the table does not declare is a compile error, not a runtime lookup.
/// The scope defaults to the command's type_name; .scope(...) narrows it
/// within the type ("payments.authorize_payment/A-1"), so two command types
/// never share a scope, whatever their scope functions return. Commands that
/// must share one intent space say so: each declares the same .verbatim_scope(...),
/// which is used as written. Keys and targets are text or integers
/// (formatted in decimal); any other type is a compile error with a sentence.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/hana/at_key.hpp>
#include <boost/hana/contains.hpp>
#include <boost/hana/map.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/type.hpp>

#include <once/domain/decision.hpp>
#include <once/domain/envelope.hpp>
#include <once/domain/fwd.hpp>
#include <once/domain/intent_id.hpp>
#include <once/domain/repeat_policy.hpp>

namespace once::domain {

/// Marks a command whose key is the client's key from the envelope (Idempotency-Key, message id).
struct client_key_t {
  explicit constexpr client_key_t() = default;
};
inline constexpr client_key_t client_key{};

/// Marks a command whose aggregate is named by the framework from its intent:
/// a resource the service creates and names (a transfer, an order), so that a
/// repeat of the intent reaches the same one. The id (22 characters of
/// base64url) reaches decide as context.aggregate_id.
struct named_by_intent_t {
  explicit constexpr named_by_intent_t() = default;
};
inline constexpr named_by_intent_t named_by_intent{};

namespace detail {

struct unset {};
struct default_scope {};
struct no_precondition {};
template <bool MustExist, class Refusal>
struct state_precondition {
  static constexpr bool must_exist = MustExist;
  Refusal refusal;
};

template <class Refusal, class Command>
constexpr bool check_refusal() {
  static_assert(std::is_invocable_r_v<rejection, Refusal const&, Command const&>,
                "once: .only_if_exists(...) and .only_if_new(...) take a function of the command returning the "
                "rejection, e.g. [](open_account const& c) { return reject(\"account_exists\", ...); }");
  return true;
}
struct fixed_scope {
  std::string_view text;
};
/// A scope used as written, so that command types that declare the same one
/// share intents: fixed text, or a source as for keys.
template <class Source>
struct verbatim_scope {
  Source source;
};
template <class Scope>
inline constexpr bool is_verbatim_scope = false;
template <class Source>
inline constexpr bool is_verbatim_scope<verbatim_scope<Source>> = true;

/// What can name an intent or an aggregate: text, or an integer (formatted
/// in decimal by the framework). Not a bool, a character, a floating-point
/// number (no canonical text) or a struct.
template <class Value>
concept id_value = std::is_constructible_v<std::string, Value> ||
    (std::is_integral_v<std::remove_cvref_t<Value>> && !std::is_same_v<std::remove_cvref_t<Value>, bool> &&
     !std::is_same_v<std::remove_cvref_t<Value>, char>);

/// A member pointer to such a field, or a function of the command returning such a value.
template <class Source, class Command>
concept text_source = (std::is_member_object_pointer_v<Source> &&
                       requires(Command const& command, Source source) {
                         requires id_value<decltype(command.*source)>;
                       }) ||
                      (std::is_invocable_v<Source const&, Command const&> &&
                       id_value<std::invoke_result_t<Source const&, Command const&>>);

template <class Value>
std::string to_text(Value&& value) {
  if constexpr (std::is_integral_v<std::remove_cvref_t<Value>>) {
    return std::to_string(value);
  } else {
    return std::string{std::forward<Value>(value)};
  }
}

template <class Command, class Source>
std::string read_text(Source const& source, Command const& command) {
  if constexpr (std::is_member_object_pointer_v<Source>) {
    return to_text(command.*source);
  } else {
    return to_text(source(command));
  }
}

/// The sentence for a key, target or scope of a type that cannot name anything.
template <class Source, class Command>
constexpr bool check_source() {
  static_assert(text_source<Source, Command>,
                "once: .key(...), .target(...) and .scope(...) take a member of the command that is a std::string or "
                "an integer, or a function of the command returning one (a bool, a char, a floating-point number or a "
                "struct cannot name an intent or an aggregate)");
  return true;
}

}  // namespace detail

template <class Command, class Policy = detail::unset, class Scope = detail::default_scope, class Key = detail::unset,
          class Target = detail::unset, class Current = detail::unset, class Precondition = detail::no_precondition>
class command_declaration {
 public:
  using command_type = Command;

  static constexpr bool has_policy = !std::is_same_v<Policy, detail::unset>;
  static constexpr bool has_key = !std::is_same_v<Key, detail::unset>;
  static constexpr bool has_target = !std::is_same_v<Target, detail::unset>;
  static constexpr bool has_current = !std::is_same_v<Current, detail::unset>;
  static constexpr bool uses_client_key = std::is_same_v<Key, client_key_t>;
  static constexpr bool target_named_by_intent = std::is_same_v<Target, named_by_intent_t>;

  constexpr command_declaration() = default;
  constexpr command_declaration(Scope scope, Key key, Target target, Current current,
                                std::optional<std::chrono::seconds> retention, Precondition precondition = {})
      : scope_(scope),
        key_(key),
        target_(target),
        current_(current),
        retention_(retention),
        precondition_(precondition) {}

  // --- the declaration, step by step ---

  template <repeat_policy P>
  constexpr auto repeat(repeat_policy_constant<P> policy) const {
    return command_declaration<Command, decltype(policy), Scope, Key, Target, Current, Precondition>{
        scope_, key_, target_, current_, retention_, precondition_};
  }
  /// Narrows the command's scope: the intent's scope is type_name + "/" + this
  /// (fixed text, a member or a function of the command), e.g. one key space
  /// per account. Never shared with another command type.
  constexpr auto scope(std::string_view fixed) const {
    return command_declaration<Command, Policy, detail::fixed_scope, Key, Target, Current, Precondition>{
        detail::fixed_scope{fixed}, key_, target_, current_, retention_, precondition_};
  }
  template <class Source>
  requires(!std::is_convertible_v<Source, std::string_view>) constexpr auto scope(Source source) const {
    static_assert(detail::check_source<Source, Command>());
    return command_declaration<Command, Policy, Source, Key, Target, Current, Precondition>{
        source, key_, target_, current_, retention_, precondition_};
  }
  /// The scope as written, without the type name in front: command types that
  /// declare the same verbatim scope share intents, so one key names one intent across them and the second
  /// type's command answers intent_conflict. Say this only when that is meant.
  constexpr auto verbatim_scope(std::string_view fixed) const {
    return command_declaration<Command, Policy, detail::verbatim_scope<detail::fixed_scope>, Key, Target, Current,
                               Precondition>{
        {detail::fixed_scope{fixed}}, key_, target_, current_, retention_, precondition_};
  }
  template <class Source>
  requires(!std::is_convertible_v<Source, std::string_view>) constexpr auto verbatim_scope(Source source) const {
    static_assert(detail::check_source<Source, Command>());
    return command_declaration<Command, Policy, detail::verbatim_scope<Source>, Key, Target, Current, Precondition>{
        {source}, key_, target_, current_, retention_, precondition_};
  }

  constexpr auto key(client_key_t) const {
    return command_declaration<Command, Policy, Scope, client_key_t, Target, Current, Precondition>{
        scope_, client_key_t{}, target_, current_, retention_, precondition_};
  }
  template <class Source>
  constexpr auto key(Source source) const {
    static_assert(detail::check_source<Source, Command>());
    return command_declaration<Command, Policy, Scope, Source, Target, Current, Precondition>{
        scope_, source, target_, current_, retention_, precondition_};
  }
  constexpr auto target(named_by_intent_t) const {
    return command_declaration<Command, Policy, Scope, Key, named_by_intent_t, Current, Precondition>{
        scope_, key_, named_by_intent_t{}, current_, retention_, precondition_};
  }
  template <class Source>
  constexpr auto target(Source source) const {
    static_assert(detail::check_source<Source, Command>());
    return command_declaration<Command, Policy, Scope, Key, Source, Current, Precondition>{
        scope_, key_, source, current_, retention_, precondition_};
  }
  /// The command's result as a function of the aggregate's state,
  /// (state, command) -> result: computed from the state after the command's
  /// events when decide returns decision<> (events or a rejection only), so
  /// decide cannot disagree with apply; and, for a no_op command, its answer
  /// to a repeat from the state as it is then.
  template <class Function>
  constexpr auto result(Function function) const {
    return command_declaration<Command, Policy, Scope, Key, Target, Function, Precondition>{
        scope_, key_, target_, function, retention_, precondition_};
  }
  /// For no_op commands: the aggregate's current representation, (state, command) -> result. The same as result().
  template <class Function>
  constexpr auto current(Function function) const {
    return result(function);
  }
  /// The aggregate must exist for this command (only_if_exists) or must not
  /// yet (only_if_new). Otherwise the command is refused with refusal(command)
  /// before decide runs, stored and replayed as decide's own rejections are;
  /// decide may then rely on the state being there (or not).
  template <class Refusal>
  constexpr auto only_if_exists(Refusal refusal) const {
    static_assert(detail::check_refusal<Refusal, Command>());
    return command_declaration<Command, Policy, Scope, Key, Target, Current, detail::state_precondition<true, Refusal>>{
        scope_, key_, target_, current_, retention_, {refusal}};
  }
  template <class Refusal>
  constexpr auto only_if_new(Refusal refusal) const {
    static_assert(detail::check_refusal<Refusal, Command>());
    return command_declaration<Command, Policy, Scope, Key, Target, Current,
                               detail::state_precondition<false, Refusal>>{scope_,   key_,       target_,
                                                                           current_, retention_, {refusal}};
  }
  /// How long the intent record lives; without it, forever.
  constexpr command_declaration retain(std::chrono::seconds retention) const {
    return {scope_, key_, target_, current_, retention, precondition_};
  }
  constexpr command_declaration retain_forever() const {
    return {scope_, key_, target_, current_, std::nullopt, precondition_};
  }

  // --- what the dispatcher reads ---

  static constexpr repeat_policy policy() noexcept requires has_policy { return Policy::value; }

  [[nodiscard]] std::string scope_of(Command const& command) const {
    if constexpr (std::is_same_v<Scope, detail::default_scope>) {
      return std::string{Command::type_name};
    } else if constexpr (detail::is_verbatim_scope<Scope>) {
      return text_of(scope_.source, command);
    } else {
      return std::string{Command::type_name} + '/' + text_of(scope_, command);
    }
  }

  /// The key, or nothing when it comes from the envelope and the envelope has none.
  [[nodiscard]] std::optional<std::string> key_of(Command const& command, envelope const& env) const {
    if constexpr (uses_client_key) {
      return env.client_key;
    } else {
      return detail::read_text(key_, command);
    }
  }

  /// The aggregate id from the command (not for a target named by the intent: the dispatcher names that one).
  [[nodiscard]] std::string target_of(Command const& command) const requires(!target_named_by_intent) {
    return detail::read_text(target_, command);
  }

  template <class State>
  [[nodiscard]] auto current_of(State const& state, Command const& command) const requires has_current {
    return current_(state, command);
  }
  template <class State>
  [[nodiscard]] auto result_of(State const& state, Command const& command) const requires has_current {
    return current_(state, command);
  }

  [[nodiscard]] constexpr std::optional<std::chrono::seconds> retention() const noexcept { return retention_; }

  /// The refusal of the state precondition for an aggregate that does (or does not) exist; none when it holds.
  [[nodiscard]] std::optional<rejection> refusal_for(bool exists, Command const& command) const {
    if constexpr (std::is_same_v<Precondition, detail::no_precondition>) {
      return std::nullopt;
    } else {
      if (exists == Precondition::must_exist) return std::nullopt;
      return precondition_.refusal(command);
    }
  }

 private:
  template <class Source>
  static std::string text_of(Source const& source, Command const& command) {
    if constexpr (std::is_same_v<Source, detail::fixed_scope>) {
      return std::string{source.text};
    } else {
      return detail::read_text(source, command);
    }
  }

  Scope scope_{};
  Key key_{};
  Target target_{};
  Current current_{};
  std::optional<std::chrono::seconds> retention_{};
  Precondition precondition_{};
};

/// Starts the declaration of one command of an aggregate's table.
template <named_type Command>
constexpr command_declaration<Command> on() {
  return {};
}

namespace detail {

template <class Declaration>
constexpr bool check_declaration() {
  static_assert(Declaration::has_policy,
                "once: a command declaration needs .repeat(return_prior), .repeat(no_op) or .repeat(reject_conflict)");
  static_assert(Declaration::has_key, "once: a command declaration needs .key(field | function | client_key)");
  static_assert(Declaration::has_target,
                "once: a command declaration needs .target(field | function): the aggregate id");
  if constexpr (Declaration::has_policy) {
    static_assert(Declaration::policy() != repeat_policy::no_op || Declaration::has_current,
                  "once: a no_op command needs .current(state, command) -> result (or .result(...)): its current "
                  "representation");
  }
  return true;
}

template <class Command, class... Commands>
inline constexpr std::size_t occurrences = (std::size_t{std::is_same_v<Command, Commands>} + ... + 0);

}  // namespace detail

template <class... Declarations>
constexpr auto command_table(Declarations... declarations) {
  static_assert((detail::check_declaration<Declarations>() && ...));
  static_assert(
      ((detail::occurrences<typename Declarations::command_type, typename Declarations::command_type...> == 1) && ...),
      "once: a command appears twice in one command table");
  return boost::hana::make_map(
      boost::hana::make_pair(boost::hana::type_c<typename Declarations::command_type>, declarations)...);
}

/// True when the table declares Command.
template <class Command, class Table>
inline constexpr bool declares =
    decltype(boost::hana::contains(std::declval<Table const&>(), boost::hana::type_c<Command>))::value;

/// The declaration of Command in the table. A command the table does not
/// declare fails here, at compile time, with Command named in the instantiation.
template <class Command, class Table>
constexpr auto const& declaration_of(Table const& table) {
  static_assert(declares<Command, Table>,
                "once: this command has no repeat policy: add on<Command>()...repeat(...) to the aggregate's command "
                "table (the command type is named in the instantiation below)");
  return table[boost::hana::type_c<Command>];
}

}  // namespace once::domain

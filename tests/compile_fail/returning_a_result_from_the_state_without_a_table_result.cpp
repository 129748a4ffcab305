// decide may return decision<> (events or a rejection; the result comes from
// the state after the events) only when the command table says how:
// .result(state, command). Without it the compiler says so in a sentence.
#include <string_view>
#include <variant>

#include <once/application/command_dispatcher.hpp>

#include "support/note_types.hpp"

using namespace once_tests::notes_types;

inline constexpr auto notes_commands =
    once::domain::command_table(once::domain::on<note>()
                                    .key(&note::id)
                                    .target(&note::id)
#ifndef ONCE_EXPECT_COMPILE_ERROR
                                    .result([](notes_state const& s, note const&) { return s; })
#endif
                                    .repeat(once::domain::return_prior));

struct notes : once::domain::aggregate_types<notes_state, std::variant<noted>> {
  static constexpr std::string_view type_name = "test.notes";
  static constexpr auto const& commands = notes_commands;
  static decision<> decide(current const&, note const& command, context const&) {
    return once::domain::emit(noted{command.id});
  }
  static void apply(state& notes, noted const&) { ++notes.count; }
};

void use(once::application::command_dispatcher<notes>& dispatcher) {
  (void)dispatcher.dispatch(note{"N-1"}, {});
}

// A command its aggregate's table declares but no decide overload handles
// cannot be dispatched: the compiler says so in a sentence and names it.
#include <string_view>
#include <variant>

#include <once/application/command_dispatcher.hpp>

#include "support/note_types.hpp"

using namespace once_tests::notes_types;

inline constexpr auto notes_commands = once::domain::command_table(
    once::domain::on<note>().key(&note::id).target(&note::id).repeat(once::domain::return_prior),
    once::domain::on<forget_note>().key(&forget_note::id).target(&forget_note::id).repeat(once::domain::return_prior));

struct notes : once::domain::aggregate_types<notes_state, std::variant<noted>> {
  static constexpr std::string_view type_name = "test.notes";
  static constexpr auto const& commands = notes_commands;
  static decision<notes_state> decide(current const&, note const& command, context const&) {
    return once::domain::accept(notes_state{1}, noted{command.id});
  }
  static void apply(state& notes, noted const&) { ++notes.count; }
};

void use(once::application::command_dispatcher<notes>& dispatcher) {
  (void)dispatcher.dispatch(note{"N-1"}, {});
#ifdef ONCE_EXPECT_COMPILE_ERROR
  (void)dispatcher.dispatch(forget_note{"N-1"}, {});
#endif
}

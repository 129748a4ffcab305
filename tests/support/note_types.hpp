// Commands, events and state of a tiny notes aggregate, for the compile-fail
// tests: each builds its own aggregate from these, with the one misuse it proves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/hana/define_struct.hpp>

namespace once_tests::notes_types {

struct note {
  static constexpr std::string_view type_name = "test.note";
  BOOST_HANA_DEFINE_STRUCT(note, (std::string, id));
};
struct forget_note {
  static constexpr std::string_view type_name = "test.forget_note";
  BOOST_HANA_DEFINE_STRUCT(forget_note, (std::string, id));
};
struct noted {
  static constexpr std::string_view type_name = "test.noted";
  BOOST_HANA_DEFINE_STRUCT(noted, (std::string, id));
};
struct note_archived {
  static constexpr std::string_view type_name = "test.note_archived";
  BOOST_HANA_DEFINE_STRUCT(note_archived, (std::string, id));
};
struct notes_state {
  BOOST_HANA_DEFINE_STRUCT(notes_state, (std::int64_t, count));
};

}  // namespace once_tests::notes_types

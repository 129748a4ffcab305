// The collaborators a dispatcher uses when its caller names none.
#include <once/application/command_dispatcher.hpp>

namespace once::application::detail {

clock const& default_clock() {
  static system_clock const instance;
  return instance;
}

id_generator& default_ids() {
  static auto const instance = make_uuid_generator();
  return *instance;
}

metrics& default_metrics() {
  static no_metrics instance;
  return instance;
}

}  // namespace once::application::detail

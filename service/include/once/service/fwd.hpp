/// \file
/// once::service by name only, for a service's route headers: they take the
/// host by reference and include the definitions in their source file.
#pragma once

namespace once::service {

struct options;
class command_stack;
class host;

}  // namespace once::service

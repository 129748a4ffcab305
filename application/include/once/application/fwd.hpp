/// \file
/// The application layer by name only: the ports and the dispatcher, for
/// headers that mention them (a service's routes take a dispatcher by
/// reference) without including their definitions and what those bring.
#pragma once

#include <once/domain/fwd.hpp>

namespace once::application {

class clock;
class id_generator;
class metrics;
class command_store;
class recent_intents_store;
class external_step_store;
struct recovery_counters;
struct error;
enum class error_code;
struct dispatcher_options;
struct dispatcher_services;
template <domain::aggregate A>
class command_dispatcher;

}  // namespace once::application

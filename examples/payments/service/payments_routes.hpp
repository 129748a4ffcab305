// The payments service's HTTP routes (see docs/http.md): one command route
// per command of the account aggregate, and the reads.
#pragma once

#include <once/application/command_dispatcher.hpp>
#include <once/application/command_store.hpp>
#include <once/http/bearer_tokens.hpp>
#include <once/http/server.hpp>

#include <payments/domain/account.hpp>

namespace payments::service {

// Adds the API's routes to `routes`. The dispatcher, store and tokens must outlive the server.
void add_routes(once::http::router& routes, once::application::command_dispatcher<domain::account>& accounts,
                once::application::command_store& store, once::http::bearer_tokens const& tokens);

}  // namespace payments::service

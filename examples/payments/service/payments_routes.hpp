// The payments service's HTTP routes (see docs/http.md): one command route
// per command of the account aggregate, and the reads.
#pragma once

#include <functional>

#include <once/application/command_dispatcher.hpp>
#include <once/application/command_store.hpp>
#include <once/http/bearer_tokens.hpp>
#include <once/http/server.hpp>

#include <payments/domain/account.hpp>

namespace payments::service {

// Adds every route to `routes`. The dispatcher, store and tokens must outlive the server.
// `ready` answers /readyz: whether the store can be reached now.
void add_routes(once::http::router& routes, once::application::command_dispatcher<domain::account>& accounts,
                once::application::command_store& store, once::http::bearer_tokens const& tokens,
                std::function<bool()> ready);

}  // namespace payments::service

// The payments service's HTTP routes (see docs/http.md): one command route
// per command of the account aggregate, and the reads.
#pragma once

#include <once/service/fwd.hpp>

namespace payments::service {

// Adds the API's routes to the host's router, on its dispatcher of accounts,
// its store and its tokens (which live as long as the server).
void add_routes(once::service::host& host);

}  // namespace payments::service

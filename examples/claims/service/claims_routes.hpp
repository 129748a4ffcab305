// The claims service's HTTP routes: submit a claim, read it, approve a disbursement.
#pragma once

#include <once/service/fwd.hpp>

namespace claims::service {

void add_routes(once::service::host& host);

}  // namespace claims::service

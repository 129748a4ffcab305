// The inventory service's HTTP routes: stock items, their receipts,
// adjustments and reorder level, and order lines' reservations.
#pragma once

#include <once/service/fwd.hpp>

namespace inventory::service {

void add_routes(once::service::host& host);

}  // namespace inventory::service

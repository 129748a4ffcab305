// How once-new-service turns an example's name into a service's name: the
// rules a name must follow, and the replacement of every spelling of the
// example's name in its paths and sources.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace once::new_service {

// The three spellings a name takes in an example's sources.
struct spellings {
  std::string lower;  // payments, order_desk: namespaces, targets, files, routes, the binary
  std::string camel;  // Payments, OrderDesk: test suites, headings
  std::string upper;  // PAYMENTS, ORDER_DESK: macros
};

spellings spell(std::string_view name);

// Why NAME cannot name a service (one line), or nothing when it can: it must be
// a lowercase C++ identifier that is neither a keyword nor a namespace the
// framework or its libraries already use.
std::optional<std::string> refuse_name(std::string_view name);

// TEXT with every spelling of FROM replaced by the same spelling of TO where it
// is a word or a word of an identifier (payments, payments_domain,
// PaymentsService, PAYMENTS_SERVICE, payments-service), never a part of
// another word (a "claims" inside "disclaims" stays).
std::string rename(std::string_view text, spellings const& from, spellings const& to);

// The identifiers of TEXT: its runs of letters, digits and underscores.
std::set<std::string, std::less<>> identifiers(std::string_view text);

}  // namespace once::new_service

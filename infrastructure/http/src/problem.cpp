#include <once/http/problem.hpp>

#include <array>

#include <once/domain/canonical_json.hpp>

namespace once::http {
namespace {

constexpr std::array<problem_type, 18> types{{
    {"urn:once:problem:missing-idempotency-key", "Idempotency-Key header required", 400,
     "Send the request again with an Idempotency-Key header; use one key per business intent."},
    {"urn:once:problem:malformed-idempotency-key", "Malformed Idempotency-Key header", 400,
     "Fix the key: 1-255 token characters (plus ':' and '/') or a quoted printable-ASCII string."},
    {"urn:once:problem:malformed-json", "Malformed JSON body", 400, "Fix the request body; nothing was recorded."},
    {"urn:once:problem:invalid-request", "Invalid request", 400,
     "Fix the field named in 'field'; nothing was recorded, so the same key may be reused."},
    {"urn:once:problem:unauthorized", "Unauthorized", 401, "Send a valid 'Authorization: Bearer' token."},
    {"urn:once:problem:not-found", "Not found", 404, "Check the path and the resource id."},
    {"urn:once:problem:method-not-allowed", "Method not allowed", 405, "Use a method the route supports."},
    {"urn:once:problem:unsupported-media-type", "Unsupported media type", 415, "Send the body as application/json."},
    {"urn:once:problem:payload-too-large", "Payload too large", 413, "Send a smaller body; nothing was recorded."},
    {"urn:once:problem:idempotency-key-reused", "Idempotency-Key reused with a different payload", 422,
     "Do not retry: this key already names another request. Send the original payload, or use a new key for a new "
     "intent."},
    {"urn:once:problem:request-in-flight", "A request with this Idempotency-Key is still in progress", 409,
     "Retry after Retry-After seconds with the same key and payload; you will get its answer."},
    {"urn:once:problem:duplicate-request", "Duplicate request", 409,
     "Stop: this intent was already carried out and may not be repeated. Use a new key only for a new intent."},
    {"urn:once:problem:domain-rejection", "Request refused", 422,
     "The business refused the request (see 'code'); the refusal is recorded and replayed for this key."},
    {"urn:once:problem:service-unavailable", "Service unavailable", 503,
     "Retry after Retry-After seconds with the same key; nothing was recorded."},
    {"urn:once:problem:outcome-unknown", "Outcome unknown", 503,
     "Retry with the same key: it is answered from the record if the request took effect, and carried out if not."},
    {"urn:once:problem:headers-too-large", "Request header fields too large", 431,
     "Send fewer or smaller header fields; nothing was recorded."},
    {"urn:once:problem:internal-error", "Internal error", 500,
     "The service failed on its side and recorded nothing for this request; repeating it is not expected to help. "
     "Report it with the request id."},
    {"urn:once:problem:bad-gateway", "Bad gateway", 502,
     "The system behind this service did not answer; what it did with the request is not known here."},
}};

}  // namespace

problem_type const& type_of(problem_kind kind) noexcept {
  return types[static_cast<std::size_t>(kind)];
}

int status_of(problem const& p) noexcept {
  return p.status_override.value_or(type_of(p.kind).status);
}

std::string problem_json(problem const& p) {
  using domain::detail::write_json_string;
  auto const& type = type_of(p.kind);
  std::string out = "{\"type\":";
  write_json_string(out, type.uri);
  out += ",\"title\":";
  write_json_string(out, type.title);
  out += ",\"status\":" + std::to_string(status_of(p));
  out += ",\"detail\":";
  write_json_string(out, p.detail.empty() ? type.advice : std::string_view{p.detail});
  if (p.field.has_value()) {
    out += ",\"field\":";
    write_json_string(out, *p.field);
  }
  if (p.code.has_value()) {
    out += ",\"code\":";
    write_json_string(out, *p.code);
  }
  return out + '}';
}

}  // namespace once::http

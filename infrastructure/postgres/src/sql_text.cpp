#include "sql_text.hpp"

#include <cstdio>
#include <ctime>

#include <once/domain/canonical_json.hpp>

namespace once::postgres::detail {

std::string iso_utc(application::time_point time) {
  auto const micros = std::chrono::floor<std::chrono::microseconds>(time.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(micros / 1'000'000);
  auto fraction = micros % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    --seconds;
  }
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[96];  // room for any int the compiler cannot rule out
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d %02d:%02d:%02d.%06lldZ", parts.tm_year + 1900, parts.tm_mon + 1,
                parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, static_cast<long long>(fraction));
  return buffer;
}

application::time_point from_epoch_us(std::int64_t microseconds) {
  return application::time_point{
      std::chrono::duration_cast<application::time_point::duration>(std::chrono::microseconds{microseconds})};
}

std::string entities_json(std::vector<application::stored_entity> const& entities) {
  using domain::detail::write_json_string;
  std::string out = "[";
  for (auto const& entity : entities) {
    if (out.size() > 1) out += ',';
    out += "{\"collection\":";
    write_json_string(out, entity.collection);
    out += ",\"id\":";
    write_json_string(out, entity.id);
    out += ",\"state\":" + (entity.removed ? std::string{"null"} : entity.state) + '}';  // already JSON
  }
  out += ']';
  return out;
}

std::string entries_json(std::vector<application::stored_entity> const& entities, entry_part part) {
  using domain::detail::write_json_string;
  std::string out;
  for (auto const& entity : entities) {
    if (entity.removed != (part == entry_part::removed)) continue;
    out += out.empty() ? "[" : ",";
    out += "{\"collection\":";
    write_json_string(out, entity.collection);
    out += ",\"id\":";
    write_json_string(out, entity.id);
    if (part == entry_part::written) out += ",\"state\":" + entity.state;  // already JSON
    out += '}';
  }
  if (!out.empty()) out += ']';
  return out;
}

std::string outbox_json(std::vector<application::outbox_message> const& messages) {
  using domain::detail::write_json_string;
  std::string out = "[";
  for (auto const& message : messages) {
    if (out.size() > 1) out += ',';
    out += "{\"message_id\":";
    write_json_string(out, message.message_id);
    out += ",\"aggregate_type\":";
    write_json_string(out, message.source.type);
    out += ",\"aggregate_id\":";
    write_json_string(out, message.source.id);
    out += ",\"aggregate_version\":" + std::to_string(message.aggregate_version);
    out += ",\"event_type\":";
    write_json_string(out, message.event_type);
    out += ",\"topic\":";
    write_json_string(out, message.topic);
    out += ",\"message_key\":";
    write_json_string(out, message.key);
    out += ",\"payload\":" + message.payload;  // already canonical JSON
    out += ",\"headers\":[";
    for (std::size_t i = 0; i < message.headers.size(); ++i) {
      if (i > 0) out += ',';
      out += '[';
      write_json_string(out, message.headers[i].first);
      out += ',';
      write_json_string(out, message.headers[i].second);
      out += ']';
    }
    out += "],\"created_at\":";
    write_json_string(out, iso_utc(message.created_at));
    out += '}';
  }
  return out + ']';
}

}  // namespace once::postgres::detail

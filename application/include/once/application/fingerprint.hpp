/// \file
/// The fingerprint of a command: hex SHA-256 over its type name and the
/// canonical JSON of its business fields. The envelope never enters it, so a
/// retry with new trace ids is the same intent; any business field changes it.
#pragma once

#include <string>
#include <string_view>

#include <once/domain/canonical_json.hpp>
#include <once/domain/command_table.hpp>

namespace once::application {

[[nodiscard]] std::string sha256_hex(std::string_view bytes);

template <domain::named_type Command>
[[nodiscard]] std::string fingerprint_of(Command const& command) {
  std::string input{Command::type_name};
  input += '\n';
  domain::append_canonical_json(input, command);
  return sha256_hex(input);
}

}  // namespace once::application

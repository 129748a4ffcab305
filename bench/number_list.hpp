// "1,4,16" -> {1, 4, 16}: the --clients lists of the benchmarks.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace once_bench {

inline std::vector<int> parse_number_list(std::string const& text) {
  std::vector<int> values;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) values.push_back(std::stoi(item));
  return values;
}

}  // namespace once_bench

// What /proc/PID/stat says of a process, for tests that watch another
// process: whether it is stopped, how much CPU it used.
#pragma once

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace once_tests {

// The fields after the command name (field 3, the state, first); empty when the process is gone.
inline std::string proc_stat_fields(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string const text{std::istreambuf_iterator<char>{stat}, {}};
  auto const end_of_name = text.rfind(')');  // the name may hold spaces and parentheses
  return end_of_name == std::string::npos || end_of_name + 2 >= text.size() ? std::string{}
                                                                            : text.substr(end_of_name + 2);
}

// The state letter ('T' when stopped), or '?'.
inline char process_state(pid_t pid) {
  auto const fields = proc_stat_fields(pid);
  return fields.empty() ? '?' : fields.front();
}

// User plus system CPU time so far.
inline std::chrono::duration<double> cpu_time(pid_t pid) {
  std::istringstream fields{proc_stat_fields(pid)};
  std::string field;
  double ticks = 0;
  for (int number = 3; fields >> field && number <= 15; ++number) {
    if (number == 14 || number == 15) ticks += std::stod(field);  // utime, stime
  }
  return std::chrono::duration<double>{ticks / static_cast<double>(sysconf(_SC_CLK_TCK))};
}

}  // namespace once_tests

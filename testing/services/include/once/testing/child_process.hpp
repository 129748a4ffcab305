/// \file
/// A child process whose standard output goes to a file, so a test can read
/// what it acknowledged even after killing it with SIGKILL.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace once::testing {

class child_process {
 public:
  /// descriptor_limit > 0: the child's RLIMIT_NOFILE (soft and hard).
  child_process(std::string const& program, std::vector<std::string> const& arguments, rlim_t descriptor_limit = 0) {
    char path_template[] = "/tmp/once-child-XXXXXX";
    int const fd = mkstemp(path_template);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    output_path_ = path_template;
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(fd, STDOUT_FILENO);
      close(fd);
      if (descriptor_limit > 0) {
        rlimit const limit{descriptor_limit, descriptor_limit};
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
      }
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(program.c_str()));
      for (auto const& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
      argv.push_back(nullptr);
      execv(program.c_str(), argv.data());
      _exit(127);
    }
    close(fd);
  }
  child_process(child_process const&) = delete;
  child_process& operator=(child_process const&) = delete;
  ~child_process() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      (void)wait_for_exit();
    }
    unlink(output_path_.c_str());
  }

  void kill_hard() { kill(pid_, SIGKILL); }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// The exit status, or 128 + signal number.
  int wait_for_exit() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
  }

  std::vector<std::string> output_lines() const {
    std::ifstream file(output_path_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(file, line);) lines.push_back(line);
    return lines;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string output_path_;
};

}  // namespace once::testing

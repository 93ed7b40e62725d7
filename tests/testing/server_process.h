// ServerProcess: runs the hrnn-server binary (HRNN_SERVER_BINARY) as a child process for tests
// that need a real process: start-up lines, signals, kill -9. Not thread-safe.
#ifndef HRNN_TESTS_TESTING_SERVER_PROCESS_H_
#define HRNN_TESTS_TESTING_SERVER_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn::testing {

// A child process running hrnn-server with `args` and extra environment `env`; stdout is read
// through a pipe, stderr goes to `stderr_path`.
class ServerProcess {
 public:
  ServerProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                const std::string& stderr_path) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      FILE* err = std::fopen(stderr_path.c_str(), "w");
      if (err != nullptr) dup2(fileno(err), STDERR_FILENO);
      close(fds[0]);
      for (const std::string& var : env) putenv(const_cast<char*>(var.c_str()));
      std::vector<char*> argv = {const_cast<char*>(HRNN_SERVER_BINARY)};
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~ServerProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) std::fclose(out_);
  }

  // The next stdout line ("" at end of output).
  std::string ReadLine() {
    char buffer[512];
    if (std::fgets(buffer, sizeof(buffer), out_) == nullptr) return "";
    std::string line(buffer);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }
  // Reads stdout up to the "listening on HOST:PORT" line and returns HOST:PORT ("" if the
  // process ended first).
  std::string ReadAddress() {
    const std::string prefix = "listening on ";
    for (std::string line = ReadLine(); !line.empty(); line = ReadLine()) {
      if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    }
    return "";
  }
  void Signal(int signal_number) { kill(pid_, signal_number); }
  // Waits for exit; returns the exit status, or -1 when killed by a signal.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool reaped_ = false;
};

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_TESTING_SERVER_PROCESS_H_

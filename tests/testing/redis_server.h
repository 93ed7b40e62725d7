// RedisServer: a throwaway redis-server (Debian's package; scripts/setup.sh installs it) on a free
// loopback port, without persistence, for the tests of the catalogue stream. Stop() and Start()
// restart it on the same port (an empty server again). Not thread-safe.
#ifndef HRNN_TESTS_TESTING_REDIS_SERVER_H_
#define HRNN_TESTS_TESTING_REDIS_SERVER_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn::testing {

class RedisServer {
 public:
  RedisServer() : port_(FreePort()) {}
  ~RedisServer() { Stop(); }

  // Starts redis-server and waits (up to 10 s) until it accepts connections; false when it
  // could not (not installed, the port taken).
  bool Start() {
    pid_ = fork();
    if (pid_ == 0) {
      const int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, STDOUT_FILENO);
      const std::string port = std::to_string(port_);
      std::vector<const char*> argv = {"redis-server", "--port", port.c_str(), "--bind",
                                       "127.0.0.1",    "--save", "",           "--appendonly",
                                       "no",           nullptr};
      execvp(argv[0], const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (Accepts()) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // It exited (not installed?).
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Stops it (SIGKILL: nothing is kept) and waits for the exit.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  // redis://127.0.0.1:PORT/NAME
  std::string Url(const std::string& stream) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + stream;
  }

 private:
  static int FreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    close(fd);
    return ntohs(address.sin_port);
  }

  bool Accepts() const {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port_));
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    return ok;
  }

  const int port_;
  pid_t pid_ = -1;
};

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_TESTING_REDIS_SERVER_H_

// A service binary run as a child process, for crash tests: started with its environment on a
// fixed port (so that clients reconnect to the same address), killed with SIGKILL at any moment,
// started again.
#ifndef JIBAN_LIBS_TESTING_CHILD_H_
#define JIBAN_LIBS_TESTING_CHILD_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/channel.h"

namespace jiban::testing {

// A loopback port the kernel had free (picked by binding to port 0).
int FreePort();

class ChildService {
 public:
  // `env` holds NAME=value entries; JIBAN_GRPC_ADDR (the port) and JIBAN_METRICS_ADDR are added.
  ChildService(std::string binary, std::vector<std::string> env, int port);
  ~ChildService();  // kills the child and removes its log
  ChildService(const ChildService&) = delete;
  ChildService& operator=(const ChildService&) = delete;

  // Spawns the binary (stdout and stderr appended to a log file) and waits, up to 30 s, until
  // its gRPC health check answers; the error carries the log.
  absl::Status Start();
  // SIGKILL, then reaps the child. No-op when not running.
  void Kill();
  // SIGTERM, then waits for the child to drain and exit; returns its exit status (-1 when not
  // running, 128 + signal when a signal ended it).
  int Terminate();
  std::shared_ptr<grpc::Channel> channel() const;
  int port() const { return port_; }

 private:
  std::string binary_;
  std::vector<std::string> env_;
  int port_;
  std::string log_;
  pid_t pid_ = -1;
};

}  // namespace jiban::testing

#endif  // JIBAN_LIBS_TESTING_CHILD_H_

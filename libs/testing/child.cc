#include "libs/testing/child.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"

namespace jiban::testing {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

ChildService::ChildService(std::string binary, std::vector<std::string> env, int port)
    : binary_(std::move(binary)), env_(std::move(env)), port_(port) {
  env_.push_back(absl::StrCat("JIBAN_GRPC_ADDR=127.0.0.1:", port_));
  env_.push_back("JIBAN_METRICS_ADDR=127.0.0.1:0");
  log_ = absl::StrCat("/tmp/jiban-child-", getpid(), "-", port_, ".log");
}

ChildService::~ChildService() {
  Kill();
  std::remove(log_.c_str());
}

absl::Status ChildService::Start() {
  std::vector<char*> envp;
  for (auto& e : env_) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string bin = binary_;
  char* argv[] = {bin.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int spawned = posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return absl::InternalError(absl::StrCat("cannot spawn ", binary_));
  // The health check waits for the port to accept (wait_for_ready), bounded by its deadline; a
  // call on a killed predecessor's dead connection fails at once, so it is tried again.
  auto health = grpc::health::v1::Health::NewStub(channel());
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  grpc::Status s;
  do {
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(absl::ToChronoTime(give_up));
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    s = health->Check(&ctx, req, &resp);
  } while (s.error_code() == grpc::StatusCode::UNAVAILABLE && absl::Now() < give_up);
  if (s.ok()) return absl::OkStatus();
  std::ifstream in(log_);
  std::stringstream text;
  text << in.rdbuf();
  return absl::UnavailableError(
      absl::StrCat(binary_, " did not start: ", s.error_message(), "\n", text.str()));
}

void ChildService::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int ChildService::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::shared_ptr<grpc::Channel> ChildService::channel() const {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
}

}  // namespace jiban::testing

// jibanctl: the command-line client for the daily work, over the gateway's gRPC face.
//
// Every command is one RPC: flags become fields of the request (enums by their short name, e.g.
// `--state=signed_for`), the answer prints as a table (or `--json`). `call` reaches any public
// method with a JSON body. The same code drives `jiban demo`.
#ifndef JIBAN_SERVICES_CLI_CLI_H_
#define JIBAN_SERVICES_CLI_CLI_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"

namespace jiban::cli {

// One RPC over a channel to the gateway, with the caller's bearer token, request id and deadline.
class Client {
 public:
  Client(std::shared_ptr<grpc::Channel> channel, std::string token,
         absl::Duration timeout = absl::Seconds(10));

  // `method` is the full name "jiban.intake.v1.IntakeService.SubmitRequest" (or with a '/').
  // A write's top-level `request_id` (its idempotency key), when empty, is set to `request_id`
  // (a fresh one when that is empty too) so that a retried command never acts twice; reads
  // (List*, Get*) are sent as they are.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Call(
      const std::string& method, google::protobuf::Message& request,
      const std::string& request_id = "");
  // The request from ProtoJSON.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> CallJson(
      const std::string& method, const std::string& json, const std::string& request_id = "");

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::string token_;
  absl::Duration timeout_;
};

// A new empty request message of `method` (NOT_FOUND for an unknown method).
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> NewRequest(const std::string& method);

// Sets the field at a dotted path ("reply.outcome") from text: numbers, booleans, enum values by
// full or short name, RFC 3339 times; repeated scalars append. INVALID_ARGUMENT names the path.
absl::Status SetField(google::protobuf::Message& m, const std::string& path,
                      const std::string& value);

// The value at a dotted path, as a person reads it: enums by short lower-case name, times in the
// city's zone, repeated fields joined (or counted when they hold messages).
std::string Cell(const google::protobuf::Message& m, const std::string& path);

// A text table; columns sized by display width (CJK characters count two).
void PrintTable(const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows, std::ostream& out);

// Runs `jibanctl <args>`; returns the exit code (0 done, 1 the call failed, 2 usage).
// Environment: JIBAN_GATEWAY (default 127.0.0.1:8080), JIBAN_TOKEN.
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace jiban::cli

#endif  // JIBAN_SERVICES_CLI_CLI_H_

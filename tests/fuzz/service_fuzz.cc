// libFuzzer: every service's request handling under arbitrary requests. The whole suite runs in
// this process on SQLite (services/jiban/suite.h, what `jiban dev` runs), and each input is one
// call through the gateway's gRPC face as one of the roles: handler, domain and store of the
// service behind it see whatever the fuzzer makes. A finding is a crash, a sanitizer report, or an
// answer of INTERNAL, UNKNOWN or DATA_LOSS — bad input must get a clear refusal, never a server
// error (RELIABILITY.md).
//
// An input is METHOD '\n' ROLE '\n' REQUEST, REQUEST being the protobuf bytes of the method's
// request ("jiban.intake.v1.IntakeService.SubmitRequest\nrequester\n…"); an unknown method or role
// picks one by hash, so that any bytes make a call. Bytes that are no valid request are skipped
// (gRPC refuses them before any handler).
//
// JIBAN_FUZZ_WRITE_SEEDS=DIR writes the seed corpus (an empty request of every method, and the
// requests of tests/fuzz/service_seeds.txt in text format) into DIR and exits.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/grpcpp.h"
#include "services/cli/cli.h"
#include "services/gateway/app.h"
#include "services/gateway/auth.h"
#include "services/jiban/suite.h"

namespace {

namespace fs = std::filesystem;

constexpr const char* kServices[] = {
    "jiban.intake.v1.IntakeService", "jiban.routing.v1.RoutingService",
    "jiban.escalation.v1.EscalationService", "jiban.assessment.v1.AssessmentService",
    "jiban.bundle.v1.BundleService"};

[[noreturn]] void Die(const std::string& why) {
  std::cerr << "service_fuzz: " << why << "\n";
  std::abort();
}

// Every public method, "package.Service.Method".
std::vector<std::string> Methods() {
  std::vector<std::string> out;
  for (const char* name : kServices) {
    (void)jiban::cli::NewRequest(absl::StrCat(name, ".")).ok();  // links the contracts
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) Die(absl::StrCat("no service ", name));
    for (int i = 0; i < service->method_count(); ++i)
      out.push_back(service->method(i)->full_name());
  }
  return out;
}

// The seed corpus: an empty request of every method as an administrator, then each line of the
// seeds file ("METHOD ROLE TEXT-FORMAT-REQUEST").
void WriteSeeds(const std::vector<std::string>& methods, const fs::path& dir) {
  fs::create_directories(dir);
  int n = 0;
  auto write = [&](const std::string& method, const std::string& role,
                   const google::protobuf::Message& request) {
    std::ofstream(dir / absl::StrCat("seed-", n++), std::ios::binary)
        << method << '\n'
        << role << '\n'
        << request.SerializeAsString();
  };
  for (const auto& m : methods) write(m, "admin", **jiban::cli::NewRequest(m));
  const char* text = std::getenv("JIBAN_FUZZ_SEEDS_TEXT");
  std::ifstream in(text != nullptr ? text : "tests/fuzz/service_seeds.txt");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    if (parts.size() != 3) Die(absl::StrCat("seed line: ", line));
    auto request = jiban::cli::NewRequest(parts[0]);
    if (!request.ok()) Die(std::string(request.status().message()));
    if (!google::protobuf::TextFormat::ParseFromString(parts[2], request->get())) {
      Die(absl::StrCat("seed request: ", line));
    }
    write(parts[0], parts[1], **request);
  }
  std::cerr << "service_fuzz: " << n << " seeds in " << dir << "\n";
}

// The suite, started once, with a token per role; never stopped (the fuzzer ends the process).
struct World {
  std::vector<std::string> methods;
  std::unique_ptr<jiban::suite::Suite> suite;
  std::shared_ptr<grpc::Channel> channel;
  std::vector<std::pair<std::string, std::string>> tokens;  // role, token
  std::ofstream logs{"/dev/null"};
};

World& TheWorld() {
  static World& world = *[] {
    auto w = std::make_unique<World>();
    w->methods = Methods();
    if (const char* dir = std::getenv("JIBAN_FUZZ_WRITE_SEEDS")) {
      WriteSeeds(w->methods, dir);
      std::exit(0);
    }
    const fs::path data = fs::temp_directory_path() / absl::StrCat("jiban-service-fuzz-", getpid());
    fs::remove_all(data);
    auto suite = jiban::suite::Suite::Start({.data_dir = data.string(),
                                             .standard_ports = false,
                                             .log = &w->logs,
                                             .gateway_limits = {.principal_rate = 1e6,
                                                                .principal_burst = 1e6,
                                                                .address_rate = 1e6,
                                                                .address_burst = 1e6}});
    if (!suite.ok()) Die(std::string(suite.status().message()));
    w->suite = std::move(*suite);
    std::stringstream auth;
    auth << std::ifstream(w->suite->auth_path()).rdbuf();
    for (const char* role : jiban::gateway::kRoles) {
      const std::string unit = std::string(role) == "unit_staff" ? "window.could-not-get-done" : "";
      auto token = jiban::gateway::MintToken(auth.str(), role, absl::StrCat("fuzz-", role), unit,
                                             absl::Hours(24));
      if (!token.ok()) Die(std::string(token.status().message()));
      w->tokens.emplace_back(role, *token);
    }
    w->channel =
        grpc::CreateChannel(w->suite->gateway_address(), grpc::InsecureChannelCredentials());
    return w.release();  // lives until the process ends, with the suite's threads
  }();
  return world;
}

// The entry of `names` called `name`, or one picked by its hash.
template <typename T, typename Name>
const T& Pick(const std::vector<T>& all, const std::string& name, Name name_of) {
  for (const T& t : all) {
    if (name_of(t) == name) return t;
  }
  return all[absl::Hash<std::string>()(name) % all.size()];
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)TheWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  std::vector<std::string> parts = absl::StrSplit(
      std::string(reinterpret_cast<const char*>(data), size), absl::MaxSplits('\n', 2));
  parts.resize(3);
  const std::string& method = Pick(w.methods, parts[0], [](const std::string& m) { return m; });
  const auto& [role, token] = Pick(w.tokens, parts[1], [](const auto& t) { return t.first; });
  auto request = jiban::cli::NewRequest(method);
  if (!request.ok()) Die(std::string(request.status().message()));
  if (!(*request)->ParseFromString(parts[2])) return -1;  // not a request: not kept in the corpus
  jiban::cli::Client client(w.channel, token, absl::Seconds(30));
  auto answer = client.Call(method, **request);
  const absl::StatusCode code = answer.status().code();
  if (code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
      code == absl::StatusCode::kDataLoss) {
    Die(absl::StrCat(method, " as ", role, ": ", answer.status().ToString(),
                     "\nrequest: ", (*request)->ShortDebugString()));
  }
  return 0;
}

// The shipped policy as a matrix over every RPC of every contract and every role: internal methods
// do not exist for anyone; every public RPC has a role that may call it besides the
// administrator; the auditor only reads; the requester and the helper never reach work orders,
// configuration or scores; unit staff act on orders but never configure routing or decide for
// the task force; API key scopes narrow a role further.
#include "services/gateway/policy.h"

#include <catch2/catch.hpp>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "libs/status/status.h"
#include "proto/jiban/assessment/v1/assessment.pb.h"
#include "proto/jiban/bundle/v1/bundle.pb.h"
#include "proto/jiban/escalation/v1/escalation.pb.h"
#include "proto/jiban/events/v1/events.pb.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"

namespace jiban::gateway {
namespace {

// Every method of every service contract, "package.Service/Method".
std::vector<std::string> AllMethods() {
  std::vector<std::string> out;
  for (const google::protobuf::FileDescriptor* f :
       {intake::v1::SubmitRequestRequest::descriptor()->file(),
        routing::v1::GetWorkOrderRequest::descriptor()->file(),
        escalation::v1::ListLightsRequest::descriptor()->file(),
        assessment::v1::GetUnitScoreRequest::descriptor()->file(),
        bundle::v1::SubmitApplicationRequest::descriptor()->file(),
        events::v1::StreamEventsRequest::descriptor()->file()}) {
    for (int s = 0; s < f->service_count(); ++s) {
      for (int m = 0; m < f->service(s)->method_count(); ++m) {
        out.push_back(
            absl::StrCat(f->service(s)->full_name(), "/", f->service(s)->method(m)->name()));
      }
    }
  }
  return out;
}

bool Allowed(const Policy& p, const std::string& role, const std::string& method) {
  return p.Check({.subject = "x", .role = role, .unit_id = "u"}, method).ok();
}

bool Reads(const std::string& method) {
  const std::string name = method.substr(method.find('/') + 1);
  for (const char* verb : {"Get", "List", "Track", "Count", "Verify", "Explain", "Export"}) {
    if (absl::StartsWith(name, verb)) return true;
  }
  return false;
}

TEST_CASE("the shipped policy over every RPC and every role", "[policy]") {
  auto policy = Policy::Default();
  REQUIRE(policy.ok());
  const auto methods = AllMethods();
  REQUIRE(methods.size() == 59);  // grows with the contracts: update with them
  int internal = 0;
  for (const std::string& m : methods) {
    INFO(m);
    if (policy->Internal(m)) {
      ++internal;
      for (const char* role : kRoles) {
        const absl::Status s = policy->Check({.subject = "x", .role = role}, m);
        CHECK(ReasonOf(s) == "METHOD_NOT_FOUND");
      }
      continue;
    }
    CHECK(Allowed(*policy, "admin", m));
    bool someone = false;
    for (const char* role : kRoles) {
      if (std::string(role) != "admin") someone = someone || Allowed(*policy, role, m);
    }
    CHECK(someone);
    if (Allowed(*policy, "auditor", m)) CHECK(Reads(m));
    for (const char* role : {"requester", "helper", "agency_system"}) {
      INFO(role);
      CHECK_FALSE((Allowed(*policy, role, m) && (absl::StartsWith(m, "jiban.routing.") ||
                                                 absl::StartsWith(m, "jiban.assessment.") ||
                                                 absl::StartsWith(m, "jiban.escalation."))));
    }
  }
  // StreamEvents, GetHead, DispatchBundlePart, ReassignWorkOrder, ReloadClassifier
  CHECK(internal == 5);

  for (const char* m : {"jiban.routing.v1.RoutingService/UpdateDispatchList",
                        "jiban.routing.v1.RoutingService/UpsertUnit",
                        "jiban.routing.v1.RoutingService/AssignTriageItem",
                        "jiban.routing.v1.RoutingService/DecideExtension",
                        "jiban.assessment.v1.AssessmentService/DecideObjection",
                        "jiban.assessment.v1.AssessmentService/PublishPeriod",
                        "jiban.bundle.v1.BundleService/DecideHotSpot",
                        "jiban.escalation.v1.EscalationService/OpenCase"}) {
    INFO(m);
    CHECK_FALSE(Allowed(*policy, "unit_staff", m));
    CHECK_FALSE(Allowed(*policy, "window_clerk", m));
  }
  CHECK(Allowed(*policy, "unit_staff", "jiban.routing.v1.RoutingService/ReplyWorkOrder"));
  CHECK(Allowed(*policy, "commission_officer", "jiban.escalation.v1.EscalationService/ActOnCase"));
  CHECK_FALSE(Allowed(*policy, "task_force", "jiban.escalation.v1.EscalationService/ActOnCase"));
  CHECK(Allowed(*policy, "task_force", "jiban.assessment.v1.AssessmentService/DecideObjection"));
  CHECK_FALSE(Allowed(*policy, "auditor", "jiban.bundle.v1.BundleService/GetPartForm"));
  CHECK(ReasonOf(policy->Check({.subject = "x", .role = "requester"},
                               "jiban.routing.v1.RoutingService/ListWorkOrders")) ==
        "ROLE_NOT_ALLOWED");
}

TEST_CASE("an API key's scopes narrow its role", "[policy]") {
  auto policy = Policy::Default();
  REQUIRE(policy.ok());
  const Principal key{.subject = "hotline-system",
                      .role = "agency_system",
                      .scopes = {"jiban.intake.v1.IntakeService/*"},
                      .api_key = true};
  CHECK(policy->Check(key, "jiban.intake.v1.IntakeService/SubmitRequest").ok());
  CHECK(ReasonOf(policy->Check(key, "jiban.bundle.v1.BundleService/SubmitApplication")) ==
        "SCOPE_NOT_ALLOWED");
  CHECK(ReasonOf(policy->Check(key, "jiban.intake.v1.IntakeService/MergeRequests")) ==
        "ROLE_NOT_ALLOWED");
}

TEST_CASE("a policy file is checked entry by entry", "[policy]") {
  CHECK(Policy::Parse(R"({"internal":["a/*"],"roles":{"auditor":["x/Get*"]}})").ok());
  const auto bad = Policy::Parse(R"({"internal":"a","roles":{"boss":["x"],"auditor":[""]}})");
  std::set<std::string> fields;
  for (const auto& v : FieldViolationsOf(bad.status())) fields.insert(v.field);
  CHECK(fields == std::set<std::string>{"internal", "roles.boss", "roles.auditor[0]"});
  CHECK(Matches("jiban.intake.v1.IntakeService/*", "jiban.intake.v1.IntakeService/GetRequest"));
  CHECK_FALSE(Matches("jiban.intake.v1.IntakeService/Get", "jiban.intake.v1.IntakeService/GetX"));
}

}  // namespace
}  // namespace jiban::gateway

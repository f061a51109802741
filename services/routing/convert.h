// The one place where routing's domain types and its protobuf contract meet (both directions),
// used by the gRPC handler, the SQL store (orders, units and lists are stored as their protobuf
// encoding) and the intake-event consumer.
#ifndef JIBAN_SERVICES_ROUTING_CONVERT_H_
#define JIBAN_SERVICES_ROUTING_CONVERT_H_

#include "absl/status/statusor.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"
#include "services/routing/domain.h"

namespace jiban::routing {

v1::WorkOrder ToProto(const WorkOrder& o);
WorkOrder FromProto(const v1::WorkOrder& p);

v1::Unit ToProto(const Unit& u);
Unit FromProto(const v1::Unit& p);

v1::DispatchList ToProto(const DispatchList& l);
DispatchList FromProto(const v1::DispatchList& p);

v1::TriageItem ToTriageItem(const RoutedRequest& r);

RequestFacts FactsOf(const jiban::intake::v1::RequestSummary& s);

// Parses the ProtoJSON files the service loads at start (UnitDirectory, DispatchList);
// INVALID_ARGUMENT with the parser's message (which never holds personal data: these are
// configuration files).
absl::StatusOr<std::vector<Unit>> ParseUnitDirectory(absl::string_view json);
absl::StatusOr<DispatchList> ParseDispatchList(absl::string_view json);

}  // namespace jiban::routing

#endif  // JIBAN_SERVICES_ROUTING_CONVERT_H_

// The one place where intake's protos and its domain types meet, including what each role may
// see of personal data.
#ifndef JIBAN_SERVICES_INTAKE_CONVERT_H_
#define JIBAN_SERVICES_INTAKE_CONVERT_H_

#include <string>

#include "proto/jiban/events/v1/events.pb.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "services/intake/domain.h"

namespace jiban::intake {

// What a caller may see of personal data.
enum class View {
  kMasked,           // everyone by default: 138****8000, 张*, 110***********002X
  kFull,             // window clerks and admins: whole values, except a confidential requester
  kFullConfidential  // discipline-commission officers: whole values, confidential ones too
};

// The view for a role name from `x-jiban-role` (unknown or empty roles see masked data).
View ViewForRole(const std::string& role);

// Caller-supplied fields only; output-only fields of `proto` are ignored.
Request DraftFromProto(const v1::Request& proto);
Supplement FromProto(const v1::Supplement& proto);
Evaluation FromProto(const v1::Evaluation& proto);

v1::Request ToProto(const Request& request, View view);
v1::Supplement ToProto(const Supplement& supplement);
v1::Evaluation ToProto(const Evaluation& evaluation);
v1::TimelineEntry ToProto(const TimelineEntry& entry);
// The request without personal data, for events.
v1::RequestSummary ToSummary(const Request& request);

// What one of routing's events says of requests' progress (empty for events that say nothing
// the requester sees).
std::vector<RoutingProgress> ProgressOf(const jiban::events::v1::Event& event);

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_CONVERT_H_

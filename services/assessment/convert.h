// Where assessment's domain meets protobuf: the three sources' events in, scores and facts out.
#ifndef JIBAN_SERVICES_ASSESSMENT_CONVERT_H_
#define JIBAN_SERVICES_ASSESSMENT_CONVERT_H_

#include "absl/status/statusor.h"
#include "proto/jiban/assessment/v1/assessment.pb.h"
#include "proto/jiban/events/v1/events.pb.h"
#include "services/assessment/domain.h"

namespace jiban::assessment {

// The facts an event of intake, routing or escalation carries (none for other events).
Incoming FactsOf(const jiban::events::v1::Event& event);

v1::Scheme ToProto(const Scheme& s);
// INVALID_ARGUMENT (scheme.effective_from) when the date is not YYYY-MM-DD; other checks are
// Validate's.
absl::StatusOr<Scheme> FromProto(const v1::Scheme& p);
v1::SubItemScore ToProto(const SubItemScore& s);
v1::UnitScore ToProto(const UnitScore& u);
UnitScore FromProto(const v1::UnitScore& p);
v1::OrderFacts ToProto(const OrderFacts& f, const std::optional<Evaluation>& e);
v1::LightFact ToProto(const LightFact& l);
v1::CaseFact ToProto(const CaseFact& c);
v1::Objection ToProto(const Objection& o);
Objection FromProto(const v1::Objection& p);

}  // namespace jiban::assessment

#endif  // JIBAN_SERVICES_ASSESSMENT_CONVERT_H_

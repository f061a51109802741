// Where escalation's domain meets protobuf: routing's events in, lights out.
#ifndef JIBAN_SERVICES_ESCALATION_CONVERT_H_
#define JIBAN_SERVICES_ESCALATION_CONVERT_H_

#include <vector>

#include "proto/jiban/escalation/v1/escalation.pb.h"
#include "proto/jiban/events/v1/events.pb.h"
#include "services/escalation/domain.h"

namespace jiban::escalation {

v1::Light ToProto(const Light& l);
v1::SupervisionCase ToProto(const Case& c);
v1::CaseAction ToProto(const CaseAction& a);
// The order updates one of routing's events carries (none for events about other things).
std::vector<OrderUpdate> UpdatesOf(const jiban::events::v1::Event& event);

}  // namespace jiban::escalation

#endif  // JIBAN_SERVICES_ESCALATION_CONVERT_H_

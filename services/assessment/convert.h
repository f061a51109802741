// Where assessment's domain meets protobuf: the three sources' events in, scores and facts out.
#ifndef JIBAN_SERVICES_ASSESSMENT_CONVERT_H_
#define JIBAN_SERVICES_ASSESSMENT_CONVERT_H_

#include "absl/status/statusor.h"
#include "proto/jiban/assessment/v1/assessment.pb.h"
#include "proto/jiban/escalation/v1/escalation.pb.h"
#include "proto/jiban/events/v1/events.pb.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"
#include "services/assessment/domain.h"

namespace jiban::assessment {

// Turns events of intake, routing and escalation into the facts they carry (none for other
// events). It reuses its decoded messages from one event to the next, so a replay of millions of
// events does not allocate them anew each time: one decoder per thread.
class FactDecoder {
 public:
  // Replaces `in` with what `event` tells (nothing for an event assessment does not use); `in`'s
  // vectors keep their capacity, so a replay decoding millions of events allocates once.
  void Decode(const jiban::events::v1::Event& event, Incoming& in);

 private:
  jiban::routing::v1::OrdersDispatched dispatched_;
  jiban::routing::v1::OrderChanged changed_;
  jiban::intake::v1::RequestEvaluated evaluated_;
  jiban::escalation::v1::LightRaised raised_;
  jiban::escalation::v1::CaseChanged case_changed_;
};

// Rebuilds facts from the three logs' events (serialized jiban.events.v1.Event, each log in its
// order) on `threads` threads: routing's log is split among them (its fold commutes, see Merge);
// intake's and escalation's are each folded whole by one thread. DATA_LOSS on an unreadable event.
absl::StatusOr<MemoryFacts> Replay(const std::vector<std::string>& intake,
                                   const std::vector<std::string>& routing,
                                   const std::vector<std::string>& escalation, int threads);

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

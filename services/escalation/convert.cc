#include "services/escalation/convert.h"

#include "libs/server/timestamp.h"
#include "proto/jiban/routing/v1/routing.pb.h"

namespace jiban::escalation {
namespace {

OrderUpdate UpdateOf(const std::string& change, const jiban::routing::v1::WorkOrder& o,
                     int returns) {
  namespace rv1 = jiban::routing::v1;
  return {.change = change,
          .order = {.order_id = o.id(),
                    .request_id = o.request_id(),
                    .tracking_number = o.tracking_number(),
                    .unit_id = o.unit_id(),
                    .unit_name = o.unit_name(),
                    .district_code = o.district_code(),
                    .answerable = {o.person_answerable().name(), o.person_answerable().post()},
                    .lead = o.lead(),
                    .dispatch_time = server::FromTimestamp(o.dispatch_time()),
                    .clock_start = server::FromTimestamp(o.clock_start_time()),
                    .sign_for_deadline = server::FromTimestamp(o.sign_for_deadline()),
                    .deadline = server::FromTimestamp(o.deadline()),
                    .signed_for = o.has_sign_time(),
                    .paused = o.pause_reason() != rv1::PAUSE_REASON_UNSPECIFIED,
                    .replied = o.state() == rv1::ORDER_STATE_REPLIED,
                    .open = o.state() == rv1::ORDER_STATE_DISPATCHED ||
                            o.state() == rv1::ORDER_STATE_SIGNED_FOR},
          .could_not_get_done = o.request_nature() == jiban::intake::v1::NATURE_COULD_NOT_GET_DONE,
          .rehandle_count = o.rehandle_count(),
          .request_return_count = returns};
}

// The fields a light and a case share: what they are about.
template <typename P, typename T>
void SetAbout(const T& x, P& p) {
  p.set_id(x.id);
  p.set_order_id(x.order_id);
  p.set_request_id(x.request_id);
  p.set_tracking_number(x.tracking_number);
  p.set_unit_id(x.unit_id);
  p.set_unit_name(x.unit_name);
  p.set_district_code(x.district_code);
  p.mutable_person_answerable()->set_name(x.answerable.name);
  p.mutable_person_answerable()->set_post(x.answerable.post);
}
}  // namespace

v1::Light ToProto(const Light& l) {
  v1::Light p;
  SetAbout(l, p);
  p.set_colour(static_cast<v1::LightColour>(ColourOf(l.cause)));
  p.set_cause(static_cast<v1::LightCause>(l.cause));
  *p.mutable_due_time() = server::ToTimestamp(l.due);
  *p.mutable_raise_time() = server::ToTimestamp(l.raised);
  p.set_active(l.active);
  if (l.cleared) *p.mutable_clear_time() = server::ToTimestamp(*l.cleared);
  p.set_clear_reason(l.clear_reason);
  return p;
}

v1::SupervisionCase ToProto(const Case& c) {
  v1::SupervisionCase p;
  SetAbout(c, p);
  p.set_kind(static_cast<v1::CaseKind>(c.kind));
  p.set_state(static_cast<v1::CaseState>(c.state));
  p.set_light_id(c.light_id);
  p.set_opened_by(c.opened_by);
  p.set_officer(c.officer);
  *p.mutable_deadline() = server::ToTimestamp(c.deadline);
  *p.mutable_create_time() = server::ToTimestamp(c.created);
  *p.mutable_update_time() = server::ToTimestamp(c.updated);
  return p;
}

v1::CaseAction ToProto(const CaseAction& a) {
  v1::CaseAction p;
  p.set_sequence(a.sequence);
  p.set_case_id(a.case_id);
  p.set_kind(static_cast<v1::CaseActionKind>(a.kind));
  p.set_actor(a.actor);
  p.set_note(a.note);
  *p.mutable_time() = server::ToTimestamp(a.time);
  p.set_previous_hash(a.previous_hash);
  p.set_hash(a.hash);
  return p;
}

std::vector<OrderUpdate> UpdatesOf(const jiban::events::v1::Event& event) {
  jiban::routing::v1::OrdersDispatched dispatched;
  jiban::routing::v1::OrderChanged changed;
  std::vector<OrderUpdate> out;
  if (event.payload().UnpackTo(&dispatched)) {
    for (const auto& o : dispatched.orders()) out.push_back(UpdateOf("dispatched", o, 0));
  } else if (event.payload().UnpackTo(&changed)) {
    out.push_back(UpdateOf(changed.change(), changed.order(), changed.request_return_count()));
  }
  return out;
}

}  // namespace jiban::escalation

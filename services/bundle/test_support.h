// What the bundle service's tests share: routing as a map, and a complete application.
#ifndef JIBAN_SERVICES_BUNDLE_TEST_SUPPORT_H_
#define JIBAN_SERVICES_BUNDLE_TEST_SUPPORT_H_

#include <map>
#include <string>
#include <vector>

#include "services/bundle/domain.h"

namespace jiban::bundle::fixtures {

// Routing as a map: one order per item (as DispatchBundlePart promises), and scripted failures.
class FakeRouting final : public PartDispatcher {
 public:
  absl::StatusOr<DispatchedOrder> Dispatch(const PartOrder& o) override {
    calls.push_back(o);
    if (auto it = failures.find(o.item_id); it != failures.end() && !it->second.empty()) {
      absl::Status s = it->second.front();
      it->second.erase(it->second.begin());
      return s;
    }
    const std::string& id =
        orders.try_emplace(o.item_id, "order-" + std::to_string(orders.size() + 1)).first->second;
    return DispatchedOrder{.order_id = id,
                           .unit_id = o.unit_id,
                           .deadline = o.receive_time + absl::Hours(24) * o.working_days};
  }
  std::vector<PartOrder> calls;
  std::map<std::string, std::string> orders;  // item → order id
  std::map<std::string, std::vector<absl::Status>> failures;
};

// A complete newborn application (三个事项: 出生登记, 参保, 社保卡).
inline Submission Newborn() {
  return {.bundle_id = "newborn",
          .form = {{"child_name", "张小宝"},
                   {"birth_date", "2026-11-01"},
                   {"guardian_name", "张三"},
                   {"guardian_id_number", "11010519491231002X"},
                   {"contact_phone", "13800138000"}},
          .material_ids = {"birth_certificate", "household_register", "id_card",
                           "marriage_certificate"},
          .district_code = "410202"};
}

}  // namespace jiban::bundle::fixtures

#endif  // JIBAN_SERVICES_BUNDLE_TEST_SUPPORT_H_

// The bundle service's domain, without gRPC or SQL types: the versioned catalogue in force, the
// guide, and applications (一次办) — one application checked against its bundle, stored with its
// form sealed, fanned out into one work order per matter through routing (idempotently: a part's
// item id is its key) and followed through routing's events until every part is done.
#ifndef JIBAN_SERVICES_BUNDLE_DOMAIN_H_
#define JIBAN_SERVICES_BUNDLE_DOMAIN_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "services/bundle/catalogue.h"
#include "services/bundle/hotspot.h"

namespace jiban::bundle {

enum class ApplicationState { kInProgress = 1, kCompleted };
// bundle.v1.PartState's numbers.
enum class PartState { kPending = 1, kDispatched, kInHandling, kDone, kRerouting, kFailed };

struct Part {
  int index = 0;
  std::string matter_id;
  std::string matter_name;
  std::string unit_id;
  int working_days = 0;  // the limit routing holds the part to
  PartState state = PartState::kPending;
  std::string order_id;
  std::optional<absl::Time> deadline;
  std::optional<absl::Time> done_time;
  std::string failure_reason;
  int attempts = 0;
};

struct Application {
  std::string id;
  std::string tracking_number;
  std::string bundle_id;
  std::string bundle_name;
  int64_t catalogue_version = 0;
  std::string district_code;
  ApplicationState state = ApplicationState::kInProgress;
  std::vector<Part> parts;
  absl::Time submit_time;
  std::optional<absl::Time> complete_time;
  std::vector<std::string> form_field_ids;
  std::vector<std::string> material_ids;
  int64_t version = 0;  // optimistic concurrency

  // The latest part deadline, once every part has one.
  std::optional<absl::Time> DueTime() const;
  // Unfinished past its due time, or finished after it.
  bool Overdue(absl::Time now) const;
};

// A part's id in routing ("<application id>/<index>"): the order's request_id and the dispatch's
// idempotency key.
std::string ItemId(const std::string& application_id, int index);
// The application id and part index of a routing item; nullopt when it is not a bundle part.
std::optional<std::pair<std::string, int>> ParseItemId(const std::string& item_id);

// What routing's events say happened to a part's order.
struct OrderNews {
  std::string item_id;
  std::string order_id;
  std::string unit_id;
  std::string change;  // routing's: "dispatched", "signed_for", "replied", "returned", ...
  absl::Time deadline;
  absl::Time at;
};

// Applies news to its part; recomputes the application's state. False when nothing changed (a
// replayed event, or news of an order the part no longer follows).
bool ApplyNews(Application& a, int index, const OrderNews& news);

struct CallContext {
  std::string request_id;
  std::string trace_id;
  std::string actor;
};

// The storage contract, scoped to one transaction.
class Store {
 public:
  virtual ~Store() = default;
  virtual absl::StatusOr<std::optional<Application>> GetApplication(const std::string& id) = 0;
  // Inserts (version 0 → 1) or updates when the stored version is `expected_version` (ABORTED
  // otherwise); bumps a.version.
  virtual absl::Status PutApplication(Application& a, int64_t expected_version) = 0;
  // The form, sealed by the implementation.
  virtual absl::Status PutForm(const std::string& application_id,
                               const std::map<std::string, std::string>& form) = 0;
  virtual absl::StatusOr<std::map<std::string, std::string>> GetForm(
      const std::string& application_id) = 0;
  // Records key → (fingerprint, application id); when the key was recorded before, returns what
  // it was recorded with.
  struct Claim {
    std::string fingerprint;
    std::string application_id;
  };
  virtual absl::StatusOr<std::optional<Claim>> ClaimKey(const std::string& key,
                                                        const Claim& claim) = 0;
  virtual absl::Status Audit(const std::string& application_id, const std::string& action,
                             const std::string& actor, absl::Time time) = 0;
  // The miner's input: a request (kept once however often its event is replayed), and routing's
  // category for it.
  virtual absl::Status PutSignal(const Signal& s) = 0;
  virtual absl::Status SetCategory(const std::string& request_id, const std::string& category) = 0;
  virtual absl::StatusOr<std::optional<HotSpotDecision>> GetDecision(const std::string& key) = 0;
  virtual absl::Status PutDecision(const HotSpotDecision& d) = 0;
  // Events, appended to the outbox in this transaction.
  virtual absl::Status Submitted(const Application& a, const CallContext& call) = 0;
  virtual absl::Status Completed(const Application& a, const CallContext& call) = 0;
};

// Runs `fn` in one transaction, retrying it on ABORTED.
class Transactor {
 public:
  virtual ~Transactor() = default;
  virtual absl::Status Run(const std::function<absl::Status(Store&)>& fn) = 0;
};

struct ApplicationQuery {
  std::string bundle_id;
  std::optional<ApplicationState> state;
  std::string before_id;  // keyset: ids below this one (newest first)
  int limit = 20;
};

// Reads that need no transaction, and the stored catalogue versions.
class Reader {
 public:
  virtual ~Reader() = default;
  // By id or tracking number.
  virtual absl::StatusOr<std::optional<Application>> FindApplication(const std::string& key) = 0;
  virtual absl::StatusOr<std::vector<Application>> ListApplications(const ApplicationQuery& q) = 0;
  // Applications with a part waiting to be dispatched, oldest first.
  virtual absl::StatusOr<std::vector<Application>> PendingApplications(int limit) = 0;
  virtual absl::StatusOr<int64_t> NextSerial() = 0;  // tracking numbers
  // Requests received in [from, to), oldest first.
  virtual absl::StatusOr<std::vector<Signal>> Signals(absl::Time from, absl::Time to) = 0;
  virtual absl::StatusOr<std::optional<HotSpotDecision>> FindDecision(const std::string& key) = 0;
  // Decisions newest first, with ids below `before_id` when it is set (keyset).
  virtual absl::StatusOr<std::vector<HotSpotDecision>> ListDecisions(const std::string& before_id,
                                                                     int limit) = 0;
  virtual absl::StatusOr<std::optional<Catalogue>> LatestCatalogue() = 0;
  virtual absl::StatusOr<std::optional<Catalogue>> CatalogueVersion(int64_t version) = 0;
  // Stores `c` as the next version unless it equals the latest; expected_version < 0: any.
  virtual absl::StatusOr<Catalogue> PutCatalogue(const Catalogue& c, const std::string& actor,
                                                 int64_t expected_version) = 0;
};

// What routing is asked to do for one part.
struct PartOrder {
  std::string item_id;
  std::string tracking_number;
  std::string title;
  std::string unit_id;
  int working_days = 0;
  std::string district_code;
  absl::Time receive_time;
};
struct DispatchedOrder {
  std::string order_id;
  std::string unit_id;
  absl::Time deadline;
};
// Routing's DispatchBundlePart (idempotent by item id).
class PartDispatcher {
 public:
  virtual ~PartDispatcher() = default;
  virtual absl::StatusOr<DispatchedOrder> Dispatch(const PartOrder& order) = 0;
};

struct Submission {
  std::string bundle_id;
  int64_t catalogue_version = 0;  // 0: the one in force
  std::map<std::string, std::string> form;
  std::vector<std::string> material_ids;
  std::string district_code;
};

// One bundle as an applicant sees it.
struct BundleView {
  Bundle bundle;
  std::vector<Matter> matters;
  std::vector<MergedField> form;
  std::vector<MergedMaterial> materials;
  Savings savings;
  int64_t catalogue_version = 0;
};

// A guide answer, resolved against the catalogue.
struct GuideAnswer {
  GuideHit hit;
  const Bundle* bundle = nullptr;  // into `catalogue`
  const Matter* matter = nullptr;
  std::vector<Material> materials;
  int working_days = 0;
  std::shared_ptr<const Catalogue> catalogue;  // keeps the pointers valid
};

class Bundles {
 public:
  // `on_submitted` runs after an application commits (wakes the dispatcher).
  Bundles(Transactor& tx, Reader& reader, Clock& clock, IdGenerator& ids,
          PartDispatcher& dispatcher, std::function<void()> on_submitted = nullptr);

  // At start: stores the file's catalogue when it differs from the latest stored one, then puts
  // the latest in force.
  absl::Status LoadCatalogue(const Catalogue& file, const std::string& source);
  absl::StatusOr<std::shared_ptr<const Catalogue>> GetCatalogue(int64_t version);
  absl::StatusOr<Catalogue> UpdateCatalogue(const Catalogue& c, int64_t expected_version,
                                            const std::string& actor);
  absl::StatusOr<BundleView> GetBundle(const std::string& bundle_id, int64_t version);
  absl::StatusOr<std::vector<GuideAnswer>> Search(const std::string& query, int page_size);

  absl::StatusOr<Application> Submit(const Submission& s, const CallContext& call);
  absl::StatusOr<Application> Get(const std::string& id_or_tracking);
  struct Page {
    std::vector<Application> applications;
    std::string next_page_token;
  };
  absl::StatusOr<Page> List(ApplicationQuery q, int page_size, const std::string& token);
  // The values of the fields part `index`'s matter uses (audited).
  absl::StatusOr<std::map<std::string, std::string>> PartForm(const std::string& application_id,
                                                              int index, const CallContext& call);

  // Dispatches the parts still pending (up to `limit` applications); returns how many parts
  // routing accepted. A transient failure leaves the part pending for the next round; a refusal
  // marks it failed with the reason.
  absl::StatusOr<int> DispatchPending(int limit);
  // Routing's news of a part, inside the consumer's transaction.
  absl::Status OnOrder(Store& s, const OrderNews& news, const CallContext& call);

  // Intake's and routing's news for the miner, inside the consumers' transactions.
  absl::Status OnRequest(Store& s, const Signal& signal);
  absl::Status OnCategory(Store& s, const std::string& request_id, const std::string& category);

  // Hot spots of the last `window_days` (1..90), best first, each with its decision if any.
  struct HotSpotView {
    HotSpot spot;
    std::optional<HotSpotDecision> decision;
  };
  absl::StatusOr<std::vector<HotSpotView>> HotSpots(int window_days, int limit);
  // Records the action taken on a hot spot found in the last `window_days` (idempotent: the
  // same decision again answers the first; another one is refused).
  absl::StatusOr<HotSpotDecision> DecideHotSpot(const std::string& key, ActionKind action,
                                                const std::string& note, int window_days,
                                                const CallContext& call);
  struct DecisionView {
    HotSpotDecision decision;
    Effect effect;
  };
  struct DecisionPage {
    std::vector<DecisionView> decisions;
    std::string next_page_token;
  };
  absl::StatusOr<DecisionPage> Decisions(int page_size, const std::string& token);

  absl::Time Now() const { return clock_.Now(); }

 private:
  struct InForce {
    std::shared_ptr<const Catalogue> catalogue;
    std::shared_ptr<const Guide> guide;
  };
  InForce in_force() const;
  void Install(Catalogue c);
  // Sends one part and records the answer: true when routing took it, false when it refused it
  // (the part failed); an error when routing could not answer (the part stays pending).
  absl::StatusOr<bool> DispatchPart(const Application& a, const Part& p);
  absl::StatusOr<std::vector<HotSpot>> MineWindow(int window_days);

  Transactor& tx_;
  Reader& reader_;
  Clock& clock_;
  IdGenerator& ids_;
  PartDispatcher& dispatcher_;
  const std::function<void()> on_submitted_;
  mutable absl::Mutex mu_;
  InForce in_force_ ABSL_GUARDED_BY(mu_);
  // Older versions applications were made under, loaded on first use.
  absl::flat_hash_map<int64_t, std::shared_ptr<const Catalogue>> versions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jiban::bundle

#endif  // JIBAN_SERVICES_BUNDLE_DOMAIN_H_

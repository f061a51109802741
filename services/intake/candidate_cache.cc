#include "services/intake/candidate_cache.h"

#include <algorithm>

#include "libs/pii/pii.h"
#include "libs/status/macros.h"

namespace jiban::intake {

CandidateCache::~CandidateCache() { Stop(); }

absl::Status CandidateCache::Start(absl::Duration sync_interval) {
  {
    absl::MutexLock lock(&mu_);
    last_id_ = UlidLowerBound(clock_.Now() - window_);
  }
  // Load the whole window before serving, a batch at a time.
  while (true) {
    std::string before;
    {
      absl::MutexLock lock(&mu_);
      before = last_id_;
    }
    JIBAN_RETURN_IF_ERROR(Sync());
    absl::MutexLock lock(&mu_);
    if (last_id_ == before) break;
  }
  thread_ = std::thread([this, sync_interval] {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(&stop_), sync_interval);
        if (stop_) return;
      }
      (void)Sync();  // a failed sync is retried at the next tick
    }
  });
  return absl::OkStatus();
}

void CandidateCache::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CandidateCache::Insert(const std::string& district, DuplicateCandidate c) {
  auto& list = by_district_[district];
  // Usually the newest; a late sync of another replica's row goes in its place.
  auto pos = std::upper_bound(
      list.begin(), list.end(), c.id,
      [](const std::string& id, const DuplicateCandidate& e) { return id < e.id; });
  if (pos != list.begin() && std::prev(pos)->id == c.id) return;  // already there
  list.insert(pos, std::move(c));
  const absl::Time horizon = clock_.Now() - window_;
  while (!list.empty() && (list.size() > per_district_ || list.front().create_time < horizon)) {
    list.pop_front();
  }
}

void CandidateCache::Add(const std::string& district_code, const DuplicateCandidate& c) {
  absl::MutexLock lock(&mu_);
  Insert(district_code, c);
}

std::vector<DuplicateCandidate> CandidateCache::Shortlist(const std::string& district_code,
                                                          const DuplicateCandidate& incoming,
                                                          const DuplicatePolicy& policy) const {
  ShortlistBuilder best;
  absl::MutexLock lock(&mu_);
  auto it = by_district_.find(district_code);
  if (it == by_district_.end()) return {};
  for (auto e = it->second.rbegin(); e != it->second.rend(); ++e) {
    if (incoming.create_time - e->create_time > policy.window) break;
    if (auto score = Screen(incoming, *e, policy)) best.Offer(*score, *e);
  }
  return std::move(best).Take();
}

absl::Status CandidateCache::Sync() {
  absl::MutexLock one(&sync_mu_);
  std::string after;
  {
    absl::MutexLock lock(&mu_);
    // Re-read a few seconds behind the newest id seen: a row whose transaction committed late
    // has a lower id than rows already read (the same trap as the event log's). Insert() skips
    // rows it already holds.
    const int64_t ms = UlidMillis(last_id_);
    after = ms < 0 ? last_id_ : UlidLowerBound(absl::FromUnixMillis(ms) - absl::Seconds(3));
  }
  JIBAN_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT id, district_code, master_id, town_code, address_index, latitude,"
                " longitude, text_signature, created_at_ms, status, nature FROM intake_requests"
                " WHERE id > ? ORDER BY id LIMIT 20000",
                {after}));
  absl::MutexLock lock(&mu_);
  for (const auto& row : rows) {
    last_id_ = std::max(last_id_, row.Text(0));
    if (!IsOpen(static_cast<Status>(row.Int(9))) ||
        !DuplicateEligible(static_cast<Nature>(row.Int(10)))) {
      continue;
    }
    DuplicateCandidate c{.id = row.Text(0),
                         .master_id = row.Text(2),
                         .town_code = row.Text(3),
                         .address_key = row.Text(4),
                         .create_time = absl::FromUnixMillis(row.Int(8)),
                         .signature = pii::DecodeMinHash(row.Text(7))};
    if (!row.IsNull(5)) {
      c.latitude = row.Double(5);
      c.longitude = row.Double(6);
    }
    Insert(row.Text(1), std::move(c));
  }
  return absl::OkStatus();
}

}  // namespace jiban::intake

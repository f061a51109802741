// Recent open requests, in memory, for duplicate detection: what the detector compares a new
// request with (place, text signature, master), so a submit reads no rows to find them.
//
// The cache follows the table: at start it loads the window's requests, then a background sync
// reads rows with ids from a few seconds below the newest it saw (ids are time-ordered; the
// overlap catches rows that committed late), so requests stored by other replicas arrive within
// about a second; this process's own submits are added at once.
// Entries can be stale (withdrawn or merged elsewhere): the detector re-reads the few candidates
// it shortlists before it trusts them.
#ifndef JIBAN_SERVICES_INTAKE_CANDIDATE_CACHE_H_
#define JIBAN_SERVICES_INTAKE_CANDIDATE_CACHE_H_

#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "services/intake/domain.h"

namespace jiban::intake {

class CandidateCache {
 public:
  CandidateCache(db::Database& db, const Clock& clock, absl::Duration window,
                 size_t per_district = 5000)
      : db_(db), clock_(clock), window_(window), per_district_(per_district) {}
  ~CandidateCache();

  // Loads the window and starts the background sync.
  absl::Status Start(absl::Duration sync_interval = absl::Seconds(1));
  void Stop();

  // Adds a request this process has just stored (if it is open and eligible).
  void Add(const std::string& district_code, const DuplicateCandidate& c);
  // Screens the district's entries for `incoming` (see Screen), without copying the others.
  std::vector<DuplicateCandidate> Shortlist(const std::string& district_code,
                                            const DuplicateCandidate& incoming,
                                            const DuplicatePolicy& policy) const;
  // Reads rows stored since the last sync (also called by the background thread).
  absl::Status Sync();

 private:
  void Insert(const std::string& district, DuplicateCandidate c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  db::Database& db_;
  const Clock& clock_;
  const absl::Duration window_;
  const size_t per_district_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::deque<DuplicateCandidate>> by_district_ ABSL_GUARDED_BY(mu_);
  std::string last_id_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex sync_mu_;  // one Sync at a time
  std::thread thread_;
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_CANDIDATE_CACHE_H_

// Time and ids, injected everywhere: domain code never reads the system clock directly, so tests
// can run days of simulated time in milliseconds with FakeClock.
#ifndef JIBAN_LIBS_CLOCK_CLOCK_H_
#define JIBAN_LIBS_CLOCK_CLOCK_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jiban {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Blocks until Now() >= deadline or `cancel` becomes true (checked under the clock's own rules).
  // Returns true when the deadline was reached.
  virtual bool SleepUntil(absl::Time deadline, const bool* cancel, absl::Mutex* cancel_mu) = 0;
};

// The real clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool SleepUntil(absl::Time deadline, const bool* cancel, absl::Mutex* cancel_mu) override;
};

// A clock that moves only when told to. Sleepers wake as soon as Advance/Set passes their
// deadline, so simulated days pass as fast as the code under test can run.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'767'225'600));  // 2026-01-01Z
  absl::Time Now() const override;
  bool SleepUntil(absl::Time deadline, const bool* cancel, absl::Mutex* cancel_mu) override;
  void Advance(absl::Duration d);
  void Set(absl::Time t);
  // Number of threads currently blocked in SleepUntil (lets a test wait for a sleeper to park).
  int sleepers() const;

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  int sleepers_ ABSL_GUARDED_BY(mu_) = 0;
};

// Time-ordered unique ids: 26-character ULIDs (48-bit millisecond time + 80 random bits, Crockford
// base32). Ids from one generator are strictly increasing, also within one millisecond.
class IdGenerator {
 public:
  explicit IdGenerator(const Clock& clock, uint64_t seed = std::random_device{}());
  std::string Next();

 private:
  const Clock& clock_;
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  uint64_t last_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rand_hi_ ABSL_GUARDED_BY(mu_) = 0;  // top 16 of the 80 random bits
  uint64_t rand_lo_ ABSL_GUARDED_BY(mu_) = 0;  // low 64 of the 80 random bits
};

// Milliseconds since the Unix epoch encoded in a ULID, or -1 when `id` is not one.
int64_t UlidMillis(const std::string& id);

// The smallest ULID of millisecond `t`: every id made at or after `t` compares >= it, every id
// made before compares <, so time ranges become id ranges.
std::string UlidLowerBound(absl::Time t);

// Keyset page tokens over time-ordered ULIDs: an opaque token carrying the last id of a page.
std::string EncodePageToken(const std::string& last_id);
// False when `token` is not one EncodePageToken made.
bool DecodePageToken(const std::string& token, std::string* last_id);

}  // namespace jiban

#endif  // JIBAN_LIBS_CLOCK_CLOCK_H_

#include "libs/clock/clock.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jiban {
namespace {
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}  // namespace

bool SystemClock::SleepUntil(absl::Time deadline, const bool* cancel, absl::Mutex* cancel_mu) {
  absl::MutexLock lock(cancel_mu);
  cancel_mu->AwaitWithDeadline(absl::Condition(cancel), deadline);
  return !*cancel;
}

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

void FakeClock::Set(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

int FakeClock::sleepers() const {
  absl::MutexLock lock(&mu_);
  return sleepers_;
}

bool FakeClock::SleepUntil(absl::Time deadline, const bool* cancel, absl::Mutex* cancel_mu) {
  {
    absl::MutexLock lock(&mu_);
    ++sleepers_;
  }
  // Wait on the clock, re-checking the caller's cancel flag between short real-time slices (the
  // two live under different mutexes).
  bool reached = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto due = [this, deadline]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return now_ >= deadline; };
      mu_.AwaitWithTimeout(absl::Condition(&due), absl::Milliseconds(5));
      reached = now_ >= deadline;
    }
    if (reached) break;
    absl::MutexLock lock(cancel_mu);
    if (*cancel) break;
  }
  absl::MutexLock lock(&mu_);
  --sleepers_;
  return reached;
}

IdGenerator::IdGenerator(const Clock& clock, uint64_t seed) : clock_(clock), rng_(seed) {}

std::string IdGenerator::Next() {
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  uint64_t ms = now_ms < 0 ? 0 : static_cast<uint64_t>(now_ms);
  uint64_t hi, lo;
  {
    absl::MutexLock lock(&mu_);
    if (ms <= last_ms_) {
      // Same (or earlier: clock stepped back) millisecond: keep the time, add one to the random
      // part so ids stay strictly increasing.
      ms = last_ms_;
      if (++rand_lo_ == 0) rand_hi_ = (rand_hi_ + 1) & 0xFFFF;
    } else {
      last_ms_ = ms;
      rand_hi_ = rng_() & 0x7FFF;  // leave headroom so increments never overflow 80 bits
      rand_lo_ = rng_();
    }
    hi = rand_hi_;
    lo = rand_lo_;
  }
  // 128 bits: 48 time | 16 rand_hi | 64 rand_lo, written as 26 base32 digits (130 bits, top 2
  // zero).
  const uint64_t word_hi = (ms << 16) | hi;
  std::string out(26, '0');
  for (int j = 0; j < 26; ++j) {
    const int shift = 5 * j;
    uint64_t bits;
    if (shift >= 64) {
      bits = word_hi >> (shift - 64);
    } else if (shift + 5 <= 64) {
      bits = lo >> shift;
    } else {
      bits = (lo >> shift) | (word_hi << (64 - shift));
    }
    out[25 - j] = kCrockford[bits & 31];
  }
  return out;
}

std::string UlidLowerBound(absl::Time t) {
  const int64_t ms = std::max<int64_t>(0, absl::ToUnixMillis(t));
  std::string out(26, '0');
  uint64_t v = static_cast<uint64_t>(ms);
  for (int i = 9; i >= 0; --i) {  // 48 bits of time in the first 10 characters (50 bits)
    out[i] = kCrockford[v & 31];
    v >>= 5;
  }
  return out;
}

int64_t UlidMillis(const std::string& id) {
  if (id.size() != 26) return -1;
  uint64_t hi = 0, lo = 0;
  for (char c : id) {
    const char* pos = std::strchr(kCrockford, c);
    if (c == '\0' || pos == nullptr) return -1;
    hi = (hi << 5) | (lo >> 59);
    lo = (lo << 5) | static_cast<uint64_t>(pos - kCrockford);
  }
  return static_cast<int64_t>(hi >> 16);
}

std::string EncodePageToken(const std::string& last_id) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1|", last_id));
}

bool DecodePageToken(const std::string& token, std::string* last_id) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return false;
  std::vector<std::string> parts = absl::StrSplit(raw, '|');
  if (parts.size() != 2 || parts[0] != "v1" || UlidMillis(parts[1]) < 0) return false;
  *last_id = parts[1];
  return true;
}

}  // namespace jiban

#include "libs/clock/clock.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

#include "libs/clock/page.h"

namespace jiban {
namespace {

TEST_CASE("fake clock runs days of simulated time instantly") {
  FakeClock clock;
  const absl::Time start = clock.Now();
  absl::Mutex mu;
  bool cancel = false;
  bool reached = false;
  std::thread sleeper(
      [&] { reached = clock.SleepUntil(start + absl::Hours(24 * 30), &cancel, &mu); });
  while (clock.sleepers() == 0) std::this_thread::yield();
  for (int day = 0; day < 30; ++day) clock.Advance(absl::Hours(24));
  sleeper.join();
  CHECK(reached);
  CHECK(clock.Now() - start == absl::Hours(24 * 30));
}

TEST_CASE("a sleeper can be cancelled") {
  FakeClock clock;
  absl::Mutex mu;
  bool cancel = false;
  bool reached = true;
  std::thread sleeper(
      [&] { reached = clock.SleepUntil(clock.Now() + absl::Hours(1), &cancel, &mu); });
  while (clock.sleepers() == 0) std::this_thread::yield();
  {
    absl::MutexLock lock(&mu);
    cancel = true;
  }
  sleeper.join();
  CHECK_FALSE(reached);
}

TEST_CASE("system clock sleep returns at the deadline or on cancel") {
  SystemClock clock;
  absl::Mutex mu;
  bool cancel = false;
  CHECK(clock.SleepUntil(clock.Now() + absl::Milliseconds(1), &cancel, &mu));
  cancel = true;
  CHECK_FALSE(clock.SleepUntil(clock.Now() + absl::Hours(1), &cancel, &mu));
}

TEST_CASE("ids are unique, strictly increasing and carry their time") {
  FakeClock clock;
  IdGenerator ids(clock, 42);
  std::string prev = ids.Next();
  CHECK(prev.size() == 26);
  CHECK(UlidMillis(prev) == absl::ToUnixMillis(clock.Now()));
  for (int i = 0; i < 10000; ++i) {
    if (i % 1000 == 0) clock.Advance(absl::Milliseconds(1));
    std::string next = ids.Next();
    REQUIRE(next > prev);
    prev = next;
  }
  const std::string bound = UlidLowerBound(clock.Now());
  CHECK(ids.Next() >= bound);
  CHECK(prev < UlidLowerBound(clock.Now() + absl::Milliseconds(1)));
  CHECK(UlidMillis(bound) == absl::ToUnixMillis(clock.Now()));
  clock.Advance(-absl::Seconds(5));  // a clock stepping back never breaks the order
  CHECK(ids.Next() > prev);
  CHECK(UlidMillis("not-an-id") == -1);
}

TEST_CASE("ids are unique across threads") {
  SystemClock clock;
  IdGenerator ids(clock);
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&ids, &out] {
      for (int i = 0; i < 5000; ++i) out.push_back(ids.Next());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& out : per_thread) all.insert(out.begin(), out.end());
  CHECK(all.size() == 20000);
}

TEST_CASE("pages: sizes and tokens are checked, a page fetched one long tells what follows") {
  Violations bad;
  CheckPage(-1, "not-a-token", 20, 100, bad);
  auto st = bad.Status();
  REQUIRE(FieldViolationsOf(st).size() == 2);
  CHECK(FieldViolationsOf(st)[0].field == "page_size");
  CHECK(FieldViolationsOf(st)[1].field == "page_token");
  Violations v;
  const PageRequest first = CheckPage(0, "", 3, 100, v);
  CHECK(v.empty());
  CHECK(first.size == 3);
  CHECK(first.fetch() == 4);
  FakeClock clock;
  IdGenerator make(clock);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(make.Next());
  const std::vector<std::string> all = ids;
  const std::string token = CutPage(ids, first, [](const std::string& id) { return id; });
  CHECK(ids == std::vector<std::string>(all.begin(), all.begin() + 3));
  const PageRequest second = CheckPage(3, token, 3, 100, v);
  CHECK(v.empty());
  CHECK(second.after_id == all[2]);
  std::vector<std::string> rest = {all[3]};
  CHECK(CutPage(rest, second, [](const std::string& id) { return id; }).empty());
}

}  // namespace
}  // namespace jiban

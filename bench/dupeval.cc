// jiban-dupeval: precision and recall of intake's near-duplicate detector (并单) on real citizen
// messages with known duplicates.
//
// The known duplicates are made from the real messages of ../shared/data/taidi2020c_msgs
// (attachment3: 4,326 messages from a city's message board): every third message gets a
// re-report a few hours to three days later — a clause dropped, two swapped, a follow-up phrase
// added, the title sometimes prefixed — the way people re-raise an unsolved problem. All messages
// and re-reports then pass through FindMaster in time order, each against what came in the
// window before it, in two settings: district only (no finer place known) and same place (the
// re-report carries its original's town; the others are spread over 30 towns).
//
//   jiban-dupeval [--data=DIR] [--min-precision=P --min-recall=R]   (exit 1 below a floor)
// Without the data (a user's clone) it says so and exits 77 (skipped); with CI=true, 1.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "libs/pii/pii.h"
#include "services/intake/domain.h"

namespace {

using jiban::intake::DuplicateCandidate;

struct Item {
  DuplicateCandidate c;
  std::string truth;  // for a re-report: the id of the message it re-raises
  std::string user;   // who wrote it (a re-report has its original's author)
};

std::vector<std::string> Clauses(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (const char32_t cp : jiban::pii::DecodeUtf8(text)) {
    jiban::pii::AppendUtf8(cp, &cur);
    if (cp == U'。' || cp == U'，' || cp == U'！' || cp == U'？' || cp == U'；') {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string ReReport(const std::string& text, std::mt19937& rng) {
  std::vector<std::string> parts = Clauses(text);
  if (parts.size() >= 3) parts.erase(parts.begin() + rng() % parts.size());
  if (parts.size() >= 2 && rng() % 2 == 0) {
    const size_t k = rng() % (parts.size() - 1);
    std::swap(parts[k], parts[k + 1]);
  }
  static const char* kFollowUps[] = {"此前已经反映过，至今没有解决。", "请相关部门尽快处理。",
                                     "希望领导重视。", "问题依旧存在，再次反映。"};
  std::string out;
  for (const auto& p : parts) out += p;
  return out + kFollowUps[rng() % 4];
}

struct Score {
  int predicted = 0, correct = 0, rereports = 0, found = 0;
  int same_author = 0;  // wrong by the synthetic labels, but linking one author's own repost
  double precision() const { return predicted ? static_cast<double>(correct) / predicted : 0; }
  double precision_with_reposts() const {
    return predicted ? static_cast<double>(correct + same_author) / predicted : 0;
  }
  double recall() const { return rereports ? static_cast<double>(found) / rereports : 0; }
};

Score Evaluate(std::vector<Item> items, bool same_place, bool verbose) {
  int shown = 0;
  std::mt19937 rng(7);
  std::map<std::string, std::string> town_of;
  for (auto& it : items) {
    if (!same_place) continue;
    if (it.truth.empty()) {
      town_of[it.c.id] = absl::StrCat("410202", absl::StrFormat("%03d", rng() % 30));
    }
  }
  for (auto& it : items) {
    if (same_place) it.c.town_code = town_of[it.truth.empty() ? it.c.id : it.truth];
  }
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.c.create_time < b.c.create_time; });
  const jiban::intake::DuplicatePolicy policy;
  std::vector<DuplicateCandidate> open;
  std::map<std::string, std::string> master_of, author;
  for (const auto& it : items) author[it.c.id] = it.user;
  Score s;
  for (const auto& it : items) {
    while (!open.empty() && it.c.create_time - open.front().create_time > policy.window) {
      open.erase(open.begin());
    }
    // As the service does it: screen by signature, then compare the survivors' texts.
    auto master =
        jiban::intake::FindMaster(it.c, jiban::intake::Shortlist(it.c, open, policy), policy);
    if (!it.truth.empty()) ++s.rereports;
    DuplicateCandidate stored = it.c;
    if (master) {
      ++s.predicted;
      const std::string& want = it.truth;
      const bool right = !want.empty() && (*master == want || *master == master_of[want]);
      s.correct += right;
      const bool repost = !right && author[*master] == it.user;
      s.same_author += repost;
      if (!right && !repost && verbose && shown++ < 8) {
        std::cerr << "false positive: " << it.c.id << " " << it.c.title << "  ->  " << *master
                  << "\n";
      }
      s.found += right;
      stored.master_id = *master;
      master_of[it.c.id] = *master;
    }
    open.push_back(stored);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "../shared/data/taidi2020c_msgs";
  double min_p = 0, min_r = 0;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--verbose")
      verbose = true;
    else if (a.rfind("--data=", 0) == 0)
      dir = a.substr(7);
    else if (a.rfind("--min-precision=", 0) == 0)
      (void)absl::SimpleAtod(a.substr(16), &min_p);
    else if (a.rfind("--min-recall=", 0) == 0)
      (void)absl::SimpleAtod(a.substr(13), &min_r);
  }
  std::ifstream in(dir + "/attachment3_msgs_votes.tsv");
  if (!in) {
    const char* ci = std::getenv("CI");
    std::cerr << "jiban-dupeval: " << dir << "/attachment3_msgs_votes.tsv not found ("
              << "../shared/data is present in CI, absent in a user's clone)\n";
    return ci != nullptr && std::string(ci) == "true" ? 1 : 77;
  }
  std::vector<Item> items;
  std::mt19937 rng(42);
  std::string line;
  std::getline(in, line);  // header
  int n = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 5 || f[4].empty()) continue;
    absl::Time t;
    if (!absl::ParseTime("%Y-%m-%d %H:%M:%S", f[3], &t, nullptr)) continue;
    Item orig{{.id = f[0], .title = f[2], .text = f[4], .create_time = t}, "", f[1]};
    orig.c.shingles = jiban::intake::ShinglesOf(orig.c.title + orig.c.text);
    orig.c.signature = jiban::intake::SignatureOf(orig.c.shingles);
    items.push_back(orig);
    if (n++ % 3 == 0) {
      Item re = orig;
      re.c.id = f[0] + "-re";
      re.c.title = (rng() % 2 ? "再次反映：" : "") + f[2];
      re.c.text = ReReport(f[4], rng);
      re.c.create_time = t + absl::Minutes(60 + rng() % (72 * 60 - 60));
      re.truth = f[0];
      re.c.shingles = jiban::intake::ShinglesOf(re.c.title + re.c.text);
      re.c.signature = jiban::intake::SignatureOf(re.c.shingles);
      items.push_back(re);
    }
  }
  bool ok = true;
  for (bool same_place : {false, true}) {
    const Score s = Evaluate(items, same_place, verbose);
    std::cout << absl::StrFormat(
        "{\"setting\":\"%s\",\"messages\":%d,\"rereports\":%d,\"predicted\":%d,"
        "\"correct\":%d,\"same_author_reposts\":%d,\"precision\":%.3f,"
        "\"precision_counting_reposts\":%.3f,\"recall\":%.3f}\n",
        same_place ? "same_place" : "district_only", items.size() - s.rereports, s.rereports,
        s.predicted, s.correct, s.same_author, s.precision(), s.precision_with_reposts(),
        s.recall());
    ok = ok && s.precision_with_reposts() >= min_p && s.recall() >= min_r;
  }
  return ok ? 0 : 1;
}

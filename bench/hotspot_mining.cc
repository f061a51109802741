// Hot-spot mining at scale and on real data.
//
//   jiban-hotspot-bench [--requests=1000000] [--clusters=200] [--data=../shared/data]
//     Builds --requests requests in one window from real citizen messages (each a random mix of
//     sentences from different messages, so the background is realistic text that repeats
//     nothing), injects --clusters clusters of 5..30 paraphrases of other real messages, then
//     times (a) the baseline — one pass taking every text's character bigrams, the least any
//     text miner does — (b) the MinHash signatures the service computes once per request as it
//     arrives, and (c) mining. Reports requests/s, the ratio to the baseline, and the recall of
//     the injected clusters.
//
//   jiban-hotspot-bench --real [--data=../shared/data]
//     Mines the real samples as they are — NYC and Baltimore 311 (category, place, address) and
//     the citizen messages (text) — over their own time spans, and prints the top hot spots.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "libs/pii/pii.h"
#include "services/bundle/hotspot.h"

namespace {

using jiban::bundle::HotSpot;
using jiban::bundle::HotSpotKind;
using jiban::bundle::MinerOptions;
using jiban::bundle::Signal;

std::vector<std::vector<std::string>> ReadTsv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) rows.push_back(absl::StrSplit(line, '\t'));
  return rows;
}

// RFC 4180 rows (quoted fields may hold commas and doubled quotes).
std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else if (c != '\r') {
      field += c;
    }
  }
  if (!field.empty()) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

absl::Time ParseTime(const std::string& s) {
  absl::Time t;
  std::string err;
  for (const char* f : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"}) {
    if (absl::ParseTime(f, s, absl::UTCTimeZone(), &t, &err)) return t;
  }
  return absl::InfinitePast();
}

const char* KindName(HotSpotKind k) {
  switch (k) {
    case HotSpotKind::kRising:
      return "rising";
    case HotSpotKind::kSimilarText:
      return "similar text";
    case HotSpotKind::kSamePerson:
      return "same person";
    case HotSpotKind::kSamePlace:
      return "same place";
  }
  return "?";
}

// Mines `signals` over their own span: the last fifth against the four before it.
void Report(const std::string& name, std::vector<Signal> signals, int top) {
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  for (const Signal& s : signals) {
    first = std::min(first, s.time);
    last = std::max(last, s.time);
  }
  MinerOptions o;
  o.window = (last - first) / 5 + absl::Seconds(1);
  o.min_count = 4;
  const auto t0 = std::chrono::steady_clock::now();
  const auto spots = jiban::bundle::Mine(signals, last + absl::Seconds(1), o);
  std::cout << "\n## " << name << ": " << signals.size() << " requests, "
            << absl::FormatTime("%Y-%m-%d", first, absl::UTCTimeZone()) << " .. "
            << absl::FormatTime("%Y-%m-%d", last, absl::UTCTimeZone()) << ", window "
            << absl::FormatDuration(absl::Trunc(o.window, absl::Hours(1))) << "; " << spots.size()
            << " hot spots in " << absl::StrFormat("%.3f", Seconds(t0)) << " s\n";
  absl::flat_hash_map<int, int> kinds;
  for (const HotSpot& h : spots) ++kinds[static_cast<int>(h.kind)];
  for (auto k : {HotSpotKind::kRising, HotSpotKind::kSimilarText, HotSpotKind::kSamePerson,
                 HotSpotKind::kSamePlace}) {
    std::cout << "  " << KindName(k) << ": " << kinds[static_cast<int>(k)] << "\n";
  }
  for (int i = 0; i < top && i < static_cast<int>(spots.size()); ++i) {
    const HotSpot& h = spots[static_cast<size_t>(i)];
    std::cout << absl::StrFormat("  %2d. %-12s score %6.1f  n=%-4d base %5.1f  %s @ %s  |  %s\n",
                                 i + 1, KindName(h.kind), h.score, h.count, h.baseline, h.category,
                                 h.place, h.label.substr(0, 90));
  }
}

int RunReal(const std::string& data) {
  {
    std::vector<Signal> s;
    const auto rows = ReadCsv(data + "/nyc311_sample/nyc311_sample.csv");
    for (size_t i = 1; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (r.size() < 17) continue;
      s.push_back({.id = r[0],
                   .time = ParseTime(r[1]),
                   .category = r[5] + " / " + r[6],
                   .place = r[8],
                   .place_key = r[9],
                   .label = r[5] + " / " + r[6] + " / " + r[9]});
    }
    Report("NYC 311 sample", std::move(s), 10);
  }
  {
    std::vector<Signal> s;
    const auto rows = ReadCsv(data + "/baltimore311_sample/baltimore311_sample.csv");
    for (size_t i = 1; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (r.size() < 16) continue;
      s.push_back({.id = r[0],
                   .time = ParseTime(r[4]),
                   .category = r[2],
                   .place = r[15],
                   .place_key = r[13],
                   .label = r[2] + " / " + r[13]});
    }
    Report("Baltimore 311 sample", std::move(s), 10);
  }
  for (const char* file : {"attachment3_msgs_votes.tsv", "unlabelled_test_msgs.tsv"}) {
    std::vector<Signal> s;
    for (const auto& r : ReadTsv(data + "/taidi2020c_msgs/" + file)) {
      if (r.size() < 5) continue;
      s.push_back({.id = r[0],
                   .time = ParseTime(r[3]),
                   .person_key = r[1],
                   .signature = jiban::bundle::RequestSignature(r[2], r[4]),
                   .label = r[2]});
    }
    Report(absl::StrCat("citizen messages, ", file), std::move(s), 12);
  }
  return 0;
}

int RunScale(const std::string& data, int64_t requests, int clusters) {
  // The background is cut from one long text of real messages: 20-character pieces from random
  // places, five to a request, so that two requests share little (a piece at most).
  std::vector<char32_t> corpus;
  std::vector<std::string> sources;
  for (const char* f : {"attachment3_msgs_votes.tsv", "attachment4_msgs_replies.tsv"}) {
    for (const auto& r : ReadTsv(data + "/taidi2020c_msgs/" + f)) {
      if (r.size() < 5) continue;
      const std::string text = r[2] + "。" + r[4];
      for (char32_t cp : jiban::pii::DecodeUtf8(text)) corpus.push_back(cp);
    }
  }
  for (const auto& r : ReadTsv(data + "/taidi2020c_msgs/unlabelled_test_msgs.tsv")) {
    if (r.size() >= 5) sources.push_back(r[2] + "。" + r[4]);
  }
  if (corpus.size() < 1000 || static_cast<int>(sources.size()) < clusters) {
    std::cerr << "jiban-hotspot-bench: too few messages under " << data << "/taidi2020c_msgs\n";
    return 2;
  }
  std::mt19937_64 rng(2026);
  const absl::Time now = absl::FromUnixSeconds(1795000000);
  std::uniform_int_distribution<size_t> offset(0, corpus.size() - 21);
  std::uniform_int_distribution<int> district(0, 15), cat(0, 6);
  std::uniform_int_distribution<int64_t> second(1, 7 * 86400 - 1);
  std::vector<std::string> texts;
  std::vector<std::string> ids;
  texts.reserve(static_cast<size_t>(requests));
  std::vector<std::set<std::string>> injected(static_cast<size_t>(clusters));
  std::shuffle(sources.begin(), sources.end(), rng);  // each cluster from another message
  std::uniform_int_distribution<int> size(5, 30);
  std::uniform_real_distribution<double> u(0, 1);
  for (int c = 0; c < clusters; ++c) {
    const std::string& text = sources[static_cast<size_t>(c)];
    const int n = size(rng);
    for (int i = 0; i < n; ++i) {
      // A paraphrase: about 8% of the characters replaced by others from the background.
      std::string variant;
      for (char32_t cp : jiban::pii::DecodeUtf8(text)) {
        jiban::pii::AppendUtf8(u(rng) < 0.08 ? corpus[offset(rng)] : cp, &variant);
      }
      ids.push_back(absl::StrCat("c", c, "-", i));
      injected[static_cast<size_t>(c)].insert(ids.back());
      texts.push_back(std::move(variant));
    }
  }
  while (static_cast<int64_t>(texts.size()) < requests) {
    std::string t;
    for (int p = 0; p < 5; ++p) {
      const size_t at = offset(rng);
      for (size_t k = at; k < at + 20; ++k) jiban::pii::AppendUtf8(corpus[k], &t);
    }
    ids.push_back(absl::StrCat("bg", texts.size()));
    texts.push_back(std::move(t));
  }

  auto t0 = std::chrono::steady_clock::now();
  size_t bigrams = 0;
  for (const std::string& t : texts) bigrams += jiban::pii::Bigrams(t).size();
  const double baseline = Seconds(t0);

  t0 = std::chrono::steady_clock::now();
  std::vector<Signal> signals(texts.size());
  const std::vector<std::string> categories = {"城乡建设", "劳动和社会保障", "教育文体", "商贸旅游",
                                               "环境保护", "卫生计生",       "交通运输"};
  for (size_t i = 0; i < texts.size(); ++i) {
    signals[i] = {.id = ids[i],
                  .time = now - absl::Seconds(second(rng)),
                  .category = categories[static_cast<size_t>(cat(rng))],
                  .place = absl::StrCat("4102", 10 + district(rng)),
                  .signature = jiban::bundle::SignatureOf(texts[i])};
  }
  const double signing = Seconds(t0);

  MinerOptions o;
  o.max_members = 100;
  t0 = std::chrono::steady_clock::now();
  const auto spots = jiban::bundle::Mine(signals, now, o);
  const double mining = Seconds(t0);

  int recalled = 0;
  for (const auto& members : injected) {
    for (const HotSpot& h : spots) {
      if (h.kind != HotSpotKind::kSimilarText) continue;
      int hits = 0;
      for (const auto& m : h.member_ids) hits += members.contains(m) ? 1 : 0;
      if (hits * 10 >= static_cast<int>(members.size()) * 8 && hits * 10 >= h.count * 8) {
        ++recalled;
        break;
      }
    }
  }
  int text_spots = 0;
  for (const HotSpot& h : spots) text_spots += h.kind == HotSpotKind::kSimilarText ? 1 : 0;
  const double n = static_cast<double>(texts.size());
  std::cout << absl::StrFormat(
      "requests %d (%.0f bigrams each on average), %d injected clusters\n"
      "baseline  (bigrams of every text)   %7.2f s  %9.0f requests/s\n"
      "signatures (once per request)       %7.2f s  %9.0f requests/s  %.2fx baseline\n"
      "mining (the window, all kinds)      %7.2f s  %9.0f requests/s  %.2fx baseline\n"
      "signatures + mining                 %7.2f s  %9.0f requests/s  %.2fx baseline\n"
      "similar-text hot spots %d; injected clusters recalled %d of %d (%.1f%%)\n",
      texts.size(), static_cast<double>(bigrams) / n, clusters, baseline, n / baseline, signing,
      n / signing, signing / baseline, mining, n / mining, mining / baseline, signing + mining,
      n / (signing + mining), (signing + mining) / baseline, text_spots, recalled, clusters,
      100.0 * recalled / clusters);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "../shared/data";
  int64_t requests = 1'000'000;
  int clusters = 200;
  bool real = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    bool ok = false;
    if (a.rfind("--data=", 0) == 0) ok = !(data = a.substr(7)).empty();
    if (a.rfind("--requests=", 0) == 0) {
      ok = absl::SimpleAtoi(a.substr(11), &requests) && requests > 0;
    }
    if (a.rfind("--clusters=", 0) == 0) {
      ok = absl::SimpleAtoi(a.substr(11), &clusters) && clusters > 0;
    }
    if (a == "--real") ok = real = true;
    if (!ok) {
      std::cerr << "usage: jiban-hotspot-bench [--requests=N] [--clusters=N] [--data=DIR]\n"
                   "       jiban-hotspot-bench --real [--data=DIR]\n";
      return 2;
    }
  }
  return real ? RunReal(data) : RunScale(data, requests, clusters);
}

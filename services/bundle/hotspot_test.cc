// The hot-spot miner: clusters injected into background requests are found (similar text, a
// category rising in one place, one requester again and again) with the action their shape calls
// for, and background noise makes none; on real citizen messages (../shared/data), injected
// paraphrase clusters are recalled.
#include "services/bundle/hotspot.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/pii/pii.h"
#include "libs/testing/data.h"

namespace jiban::bundle {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1795000000);
constexpr char kPool[] =
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子"
    "说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机"
    "当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心"
    "反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程"
    "展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期"
    "根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志"
    "世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每"
    "目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律"
    "叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感"
    "劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片"
    "始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严";

// Random text from the pool: similar to nothing.
std::string Noise(std::mt19937& rng, int length) {
  static const std::vector<char32_t> pool = pii::DecodeUtf8(kPool);
  std::string out;
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  for (int i = 0; i < length; ++i) pii::AppendUtf8(pool[pick(rng)], &out);
  return out;
}

// A variant of `text`: a few characters replaced by random ones, a random tail.
std::string Variant(std::mt19937& rng, const std::string& text, double change) {
  const std::vector<char32_t> cps = pii::DecodeUtf8(text);
  std::uniform_real_distribution<double> u(0, 1);
  std::string out;
  for (char32_t cp : cps) {
    if (u(rng) < change) {
      out += Noise(rng, 1);
    } else {
      pii::AppendUtf8(cp, &out);
    }
  }
  return out + Noise(rng, 3);
}

struct Scene {
  std::vector<Signal> signals;
  std::set<std::string> lights, forms, traffic, person;  // the injected clusters' ids
};

// Five weeks of background noise (categories and districts at random, ~1000 a week) and, in the
// last week, the injected clusters.
Scene Build() {
  std::mt19937 rng(11);
  Scene s;
  const std::vector<std::string> categories = {"城乡建设", "劳动和社会保障", "教育文体", "商贸旅游",
                                               "环境保护", "卫生计生",       "交通运输"};
  std::uniform_int_distribution<int> cat(0, 6), district(0, 9), len(30, 80);
  std::uniform_int_distribution<int64_t> second(0, 5 * 7 * 86400 - 1);
  for (int i = 0; i < 5000; ++i) {
    s.signals.push_back({.id = absl::StrCat("bg", i),
                         .time = kNow - absl::Seconds(second(rng)) - absl::Seconds(1),
                         .category = categories[static_cast<size_t>(cat(rng))],
                         .place = absl::StrCat("4102", 10 + district(rng)),
                         .person_key = absl::StrCat("p", i),
                         .signature = SignatureOf(Noise(rng, len(rng)))});
  }
  std::uniform_int_distribution<int64_t> last_week(1, 7 * 86400 - 1);
  const auto inject = [&](const std::string& prefix, int n, const std::string& text,
                          const std::string& category, int districts, bool consultation,
                          std::set<std::string>& ids) {
    for (int i = 0; i < n; ++i) {
      const std::string id = absl::StrCat(prefix, i);
      s.signals.push_back({.id = id,
                           .time = kNow - absl::Seconds(last_week(rng)),
                           .category = category,
                           .place = absl::StrCat("4102", 10 + i % districts),
                           .person_key = id,
                           .consultation = consultation,
                           .signature = SignatureOf(Variant(rng, text, 0.06)),
                           .label = text.substr(0, 30)});
      ids.insert(id);
    }
  };
  inject("light", 30,
         "幸福路与建设街交叉口的路灯坏了三个月，晚上一片漆黑，老人孩子出行很危险，请尽快修复",
         "城乡建设", 4, false, s.lights);
  inject("form", 12, "请问新生儿出生后上户口、办医保和社保卡需要带哪些材料，能不能一次办完",
         "卫生计生", 1, true, s.forms);
  // 交通运输 in one district: 25 this week against about 20 a week spread over ten districts.
  std::uniform_int_distribution<int> len2(30, 80);
  for (int i = 0; i < 25; ++i) {
    const std::string id = absl::StrCat("traffic", i);
    s.signals.push_back({.id = id,
                         .time = kNow - absl::Seconds(last_week(rng)),
                         .category = "交通运输",
                         .place = "410299",
                         .person_key = id,
                         .signature = SignatureOf(Noise(rng, len2(rng)))});
    s.traffic.insert(id);
  }
  for (int i = 0; i < 4; ++i) {
    const std::string id = absl::StrCat("again", i);
    s.signals.push_back({.id = id,
                         .time = kNow - absl::Seconds(last_week(rng)),
                         .category = "城乡建设",
                         .place = "410212",
                         .person_key = "p-same",
                         .signature = SignatureOf(Noise(rng, 50))});
    s.person.insert(id);
  }
  return s;
}

// The hot spot of `kind` holding most of `ids`, or null.
const HotSpot* Found(const std::vector<HotSpot>& spots, HotSpotKind kind,
                     const std::set<std::string>& ids) {
  for (const HotSpot& h : spots) {
    if (h.kind != kind) continue;
    int hits = 0;
    for (const auto& m : h.member_ids) hits += ids.contains(m) ? 1 : 0;
    if (hits * 10 >= static_cast<int>(ids.size()) * 8 && hits * 10 >= h.count * 8) return &h;
  }
  return nullptr;
}

TEST_CASE("injected clusters are found with the action their shape calls for, noise makes none",
          "[hotspot]") {
  const Scene s = Build();
  MinerOptions o;
  const auto spots = Mine(s.signals, kNow, o);

  const HotSpot* lights = Found(spots, HotSpotKind::kSimilarText, s.lights);
  REQUIRE(lights != nullptr);
  CHECK(lights->count >= 27);  // MinHash estimates: a few variants may fall short
  CHECK(lights->places == 4);
  CHECK(lights->action == ActionKind::kMonthlyTopic);
  CHECK(lights->category == "城乡建设");
  const HotSpot* forms = Found(spots, HotSpotKind::kSimilarText, s.forms);
  REQUIRE(forms != nullptr);
  CHECK(forms->action == ActionKind::kNewBundle);
  const HotSpot* traffic = Found(spots, HotSpotKind::kRising, s.traffic);
  REQUIRE(traffic != nullptr);
  CHECK(traffic->place == "410299");
  CHECK(traffic->baseline == 0);
  CHECK(traffic->action == ActionKind::kProactiveTask);
  const HotSpot* person = Found(spots, HotSpotKind::kSamePerson, s.person);
  REQUIRE(person != nullptr);
  CHECK(person->count == 4);

  // Nothing else: random text never clusters, and no background category rises by chance; the
  // only other spots are the injected street lights' own category rising where they fell.
  int explained = 0;
  for (const HotSpot& h : spots) {
    if (&h == lights || &h == forms || &h == traffic || &h == person) continue;
    int from_lights = 0;
    for (const auto& m : h.member_ids) from_lights += s.lights.contains(m) ? 1 : 0;
    INFO(h.key << " with " << from_lights << " of " << h.count << " from the lights");
    CHECK(h.kind == HotSpotKind::kRising);
    // Without the lights it would not have risen.
    CHECK((h.count - from_lights - h.baseline) / std::sqrt(h.baseline + 1) < o.min_rise);
    ++explained;
  }
  CHECK(explained <= 4);
  // Best first.
  for (size_t i = 1; i < spots.size(); ++i) CHECK(spots[i - 1].score >= spots[i].score);

  // The same requests mined again give the same keys.
  const auto again = Mine(s.signals, kNow, o);
  REQUIRE(again.size() == spots.size());
  for (size_t i = 0; i < spots.size(); ++i) CHECK(again[i].key == spots[i].key);
}

TEST_CASE("without earlier windows nothing is called rising, and short texts never cluster",
          "[hotspot]") {
  std::vector<Signal> signals;
  for (int i = 0; i < 20; ++i) {
    signals.push_back({.id = absl::StrCat("s", i),
                       .time = kNow - absl::Hours(i + 1),
                       .category = "交通运输",
                       .place = "410202",
                       .signature = SignatureOf("好")});
  }
  // And one in the future, ignored.
  signals.push_back({.id = "later", .time = kNow + absl::Hours(1), .category = "交通运输"});
  CHECK(Mine(signals, kNow, MinerOptions()).empty());
  CHECK(pii::MinHashSimilarity(SignatureOf("路灯坏了三个月没人修"),
                               SignatureOf("路灯坏了三个月没人修")) == 1.0);
  CHECK(pii::MinHashSimilarity(SignatureOf("路灯坏了三个月没人修"),
                               SignatureOf("学校门口交通拥堵严重")) < 0.2);
}

// Real messages (附件3 of the 2020 TipDM contest) as the background; clusters made by perturbing
// other real messages (the contest's test set) injected into it.
std::vector<std::vector<std::string>> ReadTsv(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) rows.push_back(absl::StrSplit(line, '\t'));
  return rows;
}

TEST_CASE("on real citizen messages, injected paraphrase clusters are recalled", "[hotspot]") {
  const auto background =
      ReadTsv(testing::SharedDataPath("taidi2020c_msgs/attachment3_msgs_votes.tsv"));
  const auto sources = ReadTsv(testing::SharedDataPath("taidi2020c_msgs/unlabelled_test_msgs.tsv"));
  REQUIRE(background.size() > 4000);
  std::mt19937 rng(5);
  std::vector<Signal> signals;
  std::uniform_int_distribution<int64_t> week(1, 7 * 86400 - 1);
  for (const auto& row : background) {
    if (row.size() < 5) continue;
    signals.push_back({.id = "bg" + row[0],
                       .time = kNow - absl::Seconds(week(rng)),
                       .signature = SignatureOf(row[2] + "。" + row[4])});
  }
  const size_t background_size = signals.size();
  constexpr int kClusters = 40;
  std::vector<std::set<std::string>> injected(kClusters);
  std::uniform_int_distribution<size_t> pick(0, sources.size() - 1);
  std::uniform_int_distribution<int> size(5, 15);
  for (int c = 0; c < kClusters; ++c) {
    const auto& row = sources[pick(rng)];
    const std::string text = row[2] + "。" + row[4];
    const int n = size(rng);
    for (int i = 0; i < n; ++i) {
      const std::string id = absl::StrCat("c", c, "-", i);
      signals.push_back({.id = id,
                         .time = kNow - absl::Seconds(week(rng)),
                         .signature = SignatureOf(Variant(rng, text, 0.08))});
      injected[static_cast<size_t>(c)].insert(id);
    }
  }
  MinerOptions o;
  o.max_members = 1000;
  const auto spots = Mine(signals, kNow, o);
  int recalled = 0;
  for (const auto& ids : injected) recalled += Found(spots, HotSpotKind::kSimilarText, ids) ? 1 : 0;
  INFO("recalled " << recalled << " of " << kClusters << " over " << background_size
                   << " real messages");
  CHECK(recalled >= kClusters * 95 / 100);
  // What the background alone clusters (its own repeated messages) stays a small share of it.
  int background_clustered = 0;
  for (const HotSpot& h : spots) {
    for (const auto& id : h.member_ids) background_clustered += id.rfind("bg", 0) == 0 ? 1 : 0;
  }
  CHECK(background_clustered * 20 < static_cast<int>(background_size));
}

}  // namespace
}  // namespace jiban::bundle

// The classifier through its public interface: trained in the test on small synthetic data, saved
// and loaded, and — where ../shared/data is present — trained on the real competition messages
// and measured on their development split.
#include "services/routing/classifier.h"

#include <fstream>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "libs/status/status.h"
#include "libs/testing/data.h"
#include "libs/testing/test_db.h"

namespace jiban::routing {
namespace {

std::vector<LabelledText> Synthetic() {
  std::vector<LabelledText> data;
  const std::vector<std::pair<std::string, std::vector<std::string>>> topics = {
      {"交通运输", {"公交车", "站台", "红绿灯", "道路拥堵", "出租车", "停车场"}},
      {"环境保护", {"噪音扰民", "排污", "垃圾焚烧", "空气污染", "河道发臭", "油烟"}},
      {"教育文体", {"学校", "学位", "幼儿园", "老师补课", "体育馆", "入学"}}};
  int n = 0;
  for (const auto& [label, words] : topics) {
    for (size_t i = 0; i < words.size(); ++i) {
      for (size_t j = 0; j < words.size(); ++j) {
        if (i == j) continue;
        data.push_back({label, "我想反映" + words[i] + "的问题，还有" + words[j] + "，编号" +
                                   std::to_string(n++)});
      }
    }
  }
  return data;
}

TEST_CASE("a model trained on labelled texts classifies unseen ones", "[classifier]") {
  std::vector<std::string> steps;
  auto model = TextClassifier::Train(Synthetic(), {},
                                     [&](const std::string& step) { steps.push_back(step); });
  REQUIRE(model.ok());
  CHECK(model->categories().size() == 3);
  // Progress: the features, then each category's model as it is trained.
  REQUIRE(steps.size() == 4);
  CHECK(absl::StartsWith(steps[0], "features: "));
  CHECK(absl::StartsWith(steps[3], "category 3/3 trained"));
  auto p = model->Predict("小区旁边的公交车站台破损");
  CHECK(p.category == "交通运输");
  CHECK(p.confidence > 1.0 / 3);
  CHECK(p.confidence <= 1.0);
  CHECK(model->Predict("ＸＸ学校的老师违规补课").category == "教育文体");  // full-width letters
  CHECK(model->Predict("工厂夜间排污，河道发臭").category == "环境保护");
}

TEST_CASE("a saved model loads and predicts the same", "[classifier]") {
  auto model = TextClassifier::Train(Synthetic(), {.max_n = 3});
  REQUIRE(model.ok());
  model->Calibrate(Synthetic());
  auto loaded = TextClassifier::Parse(model->Serialize());
  REQUIRE(loaded.ok());
  CHECK(loaded->categories() == model->categories());
  CHECK(loaded->options().max_n == 3);
  for (const char* text : {"公交车站台", "噪音扰民", "幼儿园入学", "随便什么"}) {
    auto a = model->Predict(text), b = loaded->Predict(text);
    CHECK(a.category == b.category);
    CHECK(a.confidence == Approx(b.confidence).epsilon(1e-5));
  }
  CHECK(ReasonOf(TextClassifier::Parse("not a model").status()) == "MODEL_INVALID");
  std::string truncated = model->Serialize();
  truncated.resize(truncated.size() / 2);
  CHECK(ReasonOf(TextClassifier::Parse(truncated).status()) == "MODEL_INVALID");
}

TEST_CASE("training refuses what it cannot learn from", "[classifier]") {
  CHECK(ReasonOf(TextClassifier::Train({}, {}).status()) == "MODEL_INVALID");
  CHECK(ReasonOf(TextClassifier::Train({{"a", "一"}, {"a", "二"}}, {}).status()) ==
        "MODEL_INVALID");
  CHECK(ReasonOf(TextClassifier::Train(Synthetic(), {.min_n = 3, .max_n = 2}).status()) ==
        "MODEL_INVALID");
}

TEST_CASE("training files: label<TAB>text, or the competition's id<TAB>label<TAB>text",
          "[classifier]") {
  testing::TempDir dir;
  const auto path = (dir.path() / "train.tsv").string();
  std::ofstream(path)
      << "row_id\tlabel\ttext_seg\n7\t交通运输\t公交 站台 破损\n交通运输\t红绿灯坏了\n";
  auto rows = ReadLabelledFile(path);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].label == "交通运输");
  CHECK((*rows)[0].text == "公交 站台 破损");
  std::ofstream(path) << "only-one-field\n";
  CHECK(ReasonOf(ReadLabelledFile(path).status()) == "TRAINING_FILE_INVALID");
}

// The real data: the model the service ships with is trained this way (`jiban-routing train`).
TEST_CASE("on the competition's development split the model beats the published baselines",
          "[classifier][data]") {
  const std::string dir = testing::SharedDataPath("taidi2020c_msgs");
  auto train = ReadLabelledFile(dir + "/train.tsv");
  auto dev = ReadLabelledFile(dir + "/dev.tsv");
  REQUIRE(train.ok());
  REQUIRE(dev.ok());
  auto model = TextClassifier::Train(*train, {});
  REQUIRE(model.ok());
  model->Calibrate(*dev);
  const Evaluation e = Evaluate(*model, *dev);
  INFO("accuracy " << e.accuracy << ", macro-F1 " << e.macro_f1);
  // scikit-learn's TF-IDF + LinearSVC reaches 0.925 / 0.917 on this split (issue 4).
  CHECK(e.accuracy >= 0.925);
  CHECK(e.macro_f1 >= 0.917);
}

}  // namespace
}  // namespace jiban::routing

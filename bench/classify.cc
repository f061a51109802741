// jiban-classify-bench: prediction time of a routing classifier model on labelled texts, warm (the
// model resident, as in the service), over several passes; prints one JSON line.
//
//   jiban-classify-bench --model=classifier.model --texts=../shared/data/taidi2020c_msgs/dev.tsv
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "libs/pii/pii.h"
#include "services/routing/classifier.h"

int main(int argc, char** argv) {
  std::string model_path, texts_path;
  int passes = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--model=", 0) == 0)
      model_path = a.substr(8);
    else if (a.rfind("--texts=", 0) == 0)
      texts_path = a.substr(8);
    else if (a.rfind("--passes=", 0) == 0 && absl::SimpleAtoi(a.substr(9), &passes) && passes > 0) {
    } else {
      std::cerr << "usage: jiban-classify-bench --model=FILE --texts=FILE [--passes=20]\n";
      return 2;
    }
  }
  std::stringstream model_text;
  model_text << std::ifstream(model_path).rdbuf();
  auto model = jiban::routing::TextClassifier::Parse(model_text.str());
  auto texts = jiban::routing::ReadLabelledFile(texts_path);
  if (!model.ok() || !texts.ok()) {
    std::cerr << "jiban-classify-bench: "
              << (model.ok() ? texts.status().message() : model.status().message()) << "\n";
    return 1;
  }
  size_t chars = 0;
  for (const auto& t : *texts) chars += jiban::pii::CodePoints(t.text);
  std::vector<double> per_text;  // µs, one entry per text per pass after the first
  int right = 0;
  for (int pass = 0; pass <= passes; ++pass) {
    for (const auto& t : *texts) {
      const auto start = std::chrono::steady_clock::now();
      const auto p = model->Predict(t.text);
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count();
      if (pass == 0) {
        right += p.category == t.label ? 1 : 0;  // the first pass warms the caches
      } else {
        per_text.push_back(us);
      }
    }
  }
  std::sort(per_text.begin(), per_text.end());
  double sum = 0;
  for (double v : per_text) sum += v;
  const auto pct = [&](double q) {
    return per_text[std::min(per_text.size() - 1, static_cast<size_t>(q * per_text.size()))];
  };
  std::cout << absl::StrFormat(
                   "{\"texts\":%d,\"mean_chars\":%.0f,\"accuracy\":%.4f,\"mean_us\":%.1f,"
                   "\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}",
                   texts->size(), static_cast<double>(chars) / texts->size(),
                   static_cast<double>(right) / texts->size(), sum / per_text.size(), pct(0.5),
                   pct(0.99), per_text.back())
            << std::endl;
  return 0;
}

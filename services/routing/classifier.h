// The request classifier: a linear model (liblinear: L2-regularised linear SVM or logistic
// regression) over TF-IDF-weighted character n-grams of raw Chinese text, so no word segmenter is
// needed. It answers a category of the dispatch list with a confidence in [0, 1]; routing sends
// what it cannot place confidently to the triage queue.
//
// A model is trained from labelled texts (`jiban-routing train`), saved as one text file and
// loaded at start. Prediction is a sparse dot product per category; the model is immutable, so
// one instance serves every thread.
#ifndef JIBAN_SERVICES_ROUTING_CLASSIFIER_H_
#define JIBAN_SERVICES_ROUTING_CLASSIFIER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jiban::routing {

struct LabelledText {
  std::string label;
  std::string text;
};

// Reads a training file: one `label<TAB>text` per line; a line `row_id<TAB>label<TAB>text` with a
// numeric first field (the shape of the published competition files) is read as label and text,
// and a first line naming the columns is skipped. Texts may be space-segmented: spaces are dropped
// before the n-grams are taken, which joins the tokens back into raw text.
absl::StatusOr<std::vector<LabelledText>> ReadLabelledFile(const std::string& path);

struct ClassifierOptions {
  int min_n = 1;          // shortest character n-gram
  int max_n = 2;          // longest character n-gram
  int min_df = 2;         // n-grams seen in fewer training texts are dropped
  double c = 0.5;         // liblinear's C (inverse regularisation)
  bool logistic = false;  // L2R_LR instead of the linear SVM (L2R_L2LOSS_SVC_DUAL)
  // Naive-Bayes feature scaling (Wang & Manning 2012, "NBSVM"): one binary model per category on
  // features scaled by their log-count ratio for that category; 0 = off, else the smoothing α.
  double nb_alpha = 0.03;
  double calibration = 1;  // slope of the softmax over decision values (see Calibrate)
};

struct Prediction {
  std::string category;
  double confidence = 0;  // in [0, 1]: a softmax of the calibrated decision values
};

class TextClassifier {
 public:
  // `progress`, when set, is told each step as it ends ("features: …", "category 3/7 …").
  static absl::StatusOr<TextClassifier> Train(
      const std::vector<LabelledText>& data, const ClassifierOptions& options,
      const std::function<void(const std::string& step)>& progress = {});
  // Parses a model file written by Serialize.
  static absl::StatusOr<TextClassifier> Parse(absl::string_view model);
  // Fits the confidence slope on labelled texts the model was not trained on (least log-loss).
  void Calibrate(const std::vector<LabelledText>& held_out);
  std::string Serialize() const;

  Prediction Predict(absl::string_view text) const;
  const std::vector<std::string>& categories() const { return labels_; }
  size_t features() const { return hashes_.size(); }
  const ClassifierOptions& options() const { return options_; }

 private:
  // (feature index, weight) pairs of a text, L2-normalised TF-IDF, in no particular order.
  std::vector<std::pair<int, float>> Vectorize(absl::string_view text) const;
  std::vector<double> Decisions(const std::vector<std::pair<int, float>>& x) const;

  // Open addressing over the n-gram hashes (built from hashes_): a lookup touches one slot and
  // then the feature's row, which keeps prediction within a few cache misses per n-gram.
  struct Slot {
    uint32_t check = 0;    // the hash's high half: tells n-grams sharing a slot apart
    int32_t feature = -1;  // -1: empty
  };
  void BuildIndex();
  int Find(uint64_t hash) const;
  size_t stride() const { return labels_.size() + 1; }
  float& idf(size_t f) { return rows_[f * stride()]; }
  float& weight(size_t f, size_t c) { return rows_[f * stride() + 1 + c]; }

  ClassifierOptions options_;
  std::vector<std::string> labels_;
  std::vector<uint64_t> hashes_;  // feature index → n-gram hash
  std::vector<Slot> index_;
  std::vector<float> rows_;  // per feature: idf, then one weight per category
  std::vector<float> bias_;  // per category
};

// Accuracy, macro-averaged F1 and the confusion matrix (rows: true, columns: predicted).
struct Evaluation {
  double accuracy = 0;
  double macro_f1 = 0;
  std::vector<std::string> labels;
  std::vector<std::vector<int>> confusion;
  double micros_per_prediction = 0;
};
Evaluation Evaluate(const TextClassifier& model, const std::vector<LabelledText>& data);

// The character n-gram hashes of a text after normalisation (full-width → half-width, ASCII
// lower case, whitespace and punctuation dropped), n from min_n to max_n. Exposed for tests.
std::vector<uint64_t> CharNgrams(absl::string_view text, int min_n, int max_n);

}  // namespace jiban::routing

#endif  // JIBAN_SERVICES_ROUTING_CLASSIFIER_H_

// Threshold-dependent metrics of stored test probabilities, recomputed in the browser at the current
// setting; the same definitions as emotion/metrics.py (scikit-learn, zero_division=0), tested against it.
// probs: one array of label probabilities per comment; gold: one array of label indices per comment;
// thresholds: one per label.

export function counts(probs, gold, thresholds) {
  const L = thresholds.length, tp = new Array(L).fill(0), fp = new Array(L).fill(0), fn = new Array(L).fill(0);
  probs.forEach((row, n) => {
    const truth = new Set(gold[n]);
    for (let j = 0; j < L; j++) {
      const predicted = row[j] >= thresholds[j], actual = truth.has(j);
      if (predicted && actual) tp[j]++;
      else if (predicted) fp[j]++;
      else if (actual) fn[j]++;
    }
  });
  return {tp, fp, fn};
}

const ratio = (a, b) => (b > 0 ? a / b : 0);
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

// One row per label: precision, recall, F1, support (gold positives), predicted count.
export function perClass(probs, gold, thresholds) {
  const {tp, fp, fn} = counts(probs, gold, thresholds);
  return thresholds.map((t, j) => ({
    threshold: t, precision: ratio(tp[j], tp[j] + fp[j]), recall: ratio(tp[j], tp[j] + fn[j]),
    f1: ratio(2 * tp[j], 2 * tp[j] + fp[j] + fn[j]), support: tp[j] + fn[j], predicted: tp[j] + fp[j],
  }));
}

// Micro (pooled counts) and macro (mean over labels) precision, recall and F1.
export function summary(probs, gold, thresholds) {
  const {tp, fp, fn} = counts(probs, gold, thresholds);
  const sum = (xs) => xs.reduce((s, x) => s + x, 0);
  const rows = perClass(probs, gold, thresholds);
  const [TP, FP, FN] = [sum(tp), sum(fp), sum(fn)];
  return {
    micro_precision: ratio(TP, TP + FP), micro_recall: ratio(TP, TP + FN), micro_f1: ratio(2 * TP, 2 * TP + FP + FN),
    macro_precision: mean(rows.map((r) => r.precision)), macro_recall: mean(rows.map((r) => r.recall)),
    macro_f1: mean(rows.map((r) => r.f1)),
  };
}

// web/metrics.js against emotion/metrics.py (scikit-learn) to 4 decimals, on the probabilities and thresholds
// tests/test_space.py writes to $EMOTION_JS_FIXTURE.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { perClass, summary } from "../../web/metrics.js";

const fixture = process.env.EMOTION_JS_FIXTURE ? JSON.parse(fs.readFileSync(process.env.EMOTION_JS_FIXTURE, "utf8")) : null;
const close = (a, b, what) => assert.ok(Math.abs(a - b) < 5e-5, `${what}: ${a} vs ${b}`);

test("a hand-counted example", () => {
  const probs = [[0.9, 0.1], [0.6, 0.7], [0.2, 0.8]], gold = [[0], [1], [0, 1]];
  const rows = perClass(probs, gold, [0.5, 0.5]);
  assert.deepEqual(rows.map((r) => [r.support, r.predicted]), [[2, 2], [2, 2]]);
  close(rows[0].precision, 0.5, "precision 0");
  close(summary(probs, gold, [0.5, 0.5]).micro_f1, 3 / 4, "micro F1");
});

test("a label nobody has nor predicts scores 0, as scikit-learn's zero_division=0", () => {
  const rows = perClass([[0.1, 0.9]], [[1]], [0.5, 0.5]);
  assert.deepEqual([rows[0].precision, rows[0].recall, rows[0].f1], [0, 0, 0]);
});

test("per class, micro and macro equal emotion.metrics at every setting", { skip: !fixture && "run through tests/test_space.py" }, () => {
  for (const setting of fixture.metrics.settings) {
    const rows = perClass(fixture.metrics.probs, fixture.metrics.gold, setting.thresholds);
    setting.per_class.forEach((want, j) => {
      for (const key of ["precision", "recall", "f1", "support", "predicted"]) close(rows[j][key], want[key], `${setting.name} ${j} ${key}`);
    });
    const got = summary(fixture.metrics.probs, fixture.metrics.gold, setting.thresholds);
    for (const [key, value] of Object.entries(setting.summary)) close(got[key], value, `${setting.name} ${key}`);
  }
});

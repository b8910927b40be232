// How the browser reads a long comment (web/windows.js) against Python (emotion/windows.py): tests/test_space.py
// writes Python's windows and combined rows to $EMOTION_JS_FIXTURE; alone these check what needs no Python.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { combine, split } from "../../web/windows.js";

const fixture = process.env.EMOTION_JS_FIXTURE ? JSON.parse(fs.readFileSync(process.env.EMOTION_JS_FIXTURE, "utf8")) : null;

test("a short comment is one window; a long one is covered whole, with its own special tokens", () => {
  assert.deepEqual(split([1, 5, 6, 2], 8, 2), [[1, 5, 6, 2]]);
  const ids = [101, ...Array.from({length: 40}, (_, i) => 1000 + i), 102];
  const cut = split(ids, 12, 3);
  assert.ok(cut.every((w) => w[0] === 101 && w[w.length - 1] === 102 && w.length <= 12));
  assert.deepEqual([...new Set(cut.flatMap((w) => w.slice(1, -1)))].sort((a, b) => a - b), ids.slice(1, -1));
});

test("labels take their highest window, neutral its lowest, the pooled columns the mean", () => {
  assert.deepEqual(combine([[0, 2, 1, 5], [3, -1, 4, 7]], 3, 2, "max"), [3, 2, 1, 6]);
  assert.deepEqual(combine([[0, 2, 1, 5], [3, -1, 4, 7]], 3, -1, "mean"), [1.5, 0.5, 2.5, 6]);
  assert.throws(() => combine([[0], [1]], 1, -1, "vote"), /max, mean or first/);
});

test("windows and their combination equal Python's", { skip: !fixture && "run through tests/test_space.py" }, () => {
  for (const {ids, max_length, overlap, want} of fixture.windows.split) assert.deepEqual(split(ids, max_length, overlap), want);
  for (const {rows, labels, neutral, rule, want} of fixture.windows.combine) {
    const got = combine(rows, labels, neutral ?? -1, rule);
    got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-5, `${rule} column ${k}: ${v} vs ${want[k]}`));
  }
});

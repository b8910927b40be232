// The browser's text normalisation (web/normalize.js) against Python's (emotion/text.py): tests/test_space.py
// writes Python's answers to $EMOTION_JS_FIXTURE and runs these tests; alone they check what needs no Python.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { normalizer } from "../../web/normalize.js";

const fixture = process.env.EMOTION_JS_FIXTURE ? JSON.parse(fs.readFileSync(process.env.EMOTION_JS_FIXTURE, "utf8")) : null;

test("an unknown normalisation is refused by name", () => {
  assert.throws(() => normalizer("lowercase"), /Unknown text normalization "lowercase"/);
  assert.throws(() => normalizer("demojize+nope", {emoji: {names: {}}}), /Unknown text normalization/);
});

test("none leaves the text alone; squeeze holds stretched letters to two", () => {
  assert.equal(normalizer("none")("soooo  good!!!"), "soooo  good!!!");
  assert.equal(normalizer("squeeze")("soooo goooood!!! 1000"), "soo good!!! 1000");
});

test("demojize needs the emoji table and says so", () => {
  assert.throws(() => normalizer("demojize", {}), /emoji table/);
});

test("every normalisation writes what Python writes", { skip: !fixture && "run through tests/test_space.py" }, () => {
  for (const {name, texts, want} of fixture.normalize) {
    const f = normalizer(name, {emoji: fixture.emoji});
    const wrong = texts.map((t, i) => [t, f(t), want[i]]).filter(([, got, w]) => got !== w);
    assert.deepEqual(wrong.slice(0, 5), [], `${name}: ${wrong.length} of ${texts.length} texts differ`);
  }
});

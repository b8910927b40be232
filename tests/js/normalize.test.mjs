// The browser's text normalisation (web/normalize.js) against Python's (emotion/text.py): tests/test_space.py
// writes Python's answers to $EMOTION_JS_FIXTURE and runs these tests; alone they check what needs no Python.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { KEY_NEIGHBOURS, normalizer, parseSpellingWords } from "../../web/normalize.js";

const fixture = process.env.EMOTION_JS_FIXTURE ? JSON.parse(fs.readFileSync(process.env.EMOTION_JS_FIXTURE, "utf8")) : null;
// The committed list itself; its min_length is Python's (emotion.text.MIN_LENGTH), 4 when run alone.
const LIST = new URL("../../emotion/spelling_words.txt", import.meta.url);
const words = parseSpellingWords(fs.readFileSync(fixture?.spelling?.file ?? LIST, "utf8"));
const spelling = {words, min_length: fixture?.spelling?.min_length ?? 4};

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

test("spell needs the word list and says so", () => {
  assert.throws(() => normalizer("spell", {}), /word list/);
  assert.throws(() => normalizer("spell", {spelling: {words}}), /min_length/);
});

test("spell puts a typo right and leaves known, short and other-script words alone, in their case", () => {
  const spell = normalizer("spell", {spelling});
  assert.equal(spell("thnak you so mcuh, I relly apreciate it"), "thank you so much, I really appreciate it");
  assert.equal(spell("thank you so much for the lovely present"), "thank you so much for the lovely present");
  assert.equal(spell("teh cta xqzvbnmw"), "teh cta xqzvbnmw");
  assert.equal(spell("THNAK Thnak tHNAK"), "THANK Thank thank");
  assert.equal(spell("naïvee cafée thnakś é thnak é thnak5you_thnak"), "naïvee cafée thnakś é thank é thank5you_thank");
  assert.equal(spell("thnak\u{1d400} \u{1d400}thnak"), "thnak\u{1d400} \u{1d400}thnak");  // a letter outside the BMP
  assert.equal(spell("academc"), "academic");  // as frequent as academy, but a dropped letter beats c for y
  assert.equal(spell("I shouldn't, hasn\u2019t; thta's 'thnak'"), "I shouldn't, hasn\u2019t; that's 'thank'");  // n't stays
  assert.equal(normalizer("demojize+squeeze+spell", {emoji: {names: {}}, spelling})("thnaks sooooo mcuh"),
               "thanks soo much");
});

test("the keyboard is Python's", { skip: !fixture?.key_neighbours && "run through tests/test_space.py" }, () => {
  assert.deepEqual(KEY_NEIGHBOURS, fixture.key_neighbours);
});

test("every normalisation writes what Python writes", { skip: !fixture && "run through tests/test_space.py" }, () => {
  for (const {name, texts, want} of fixture.normalize) {
    const f = normalizer(name, {emoji: fixture.emoji, spelling});
    const wrong = texts.map((t, i) => [t, f(t), want[i]]).filter(([, got, w]) => got !== w);
    assert.deepEqual(wrong.slice(0, 5), [], `${name}: ${wrong.length} of ${texts.length} texts differ`);
  }
});

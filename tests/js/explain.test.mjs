// The word shading of the Why view (emotion/ui/explain.js) with emoji and other characters outside the
// Basic Multilingual Plane, which a JS string counts as two units and Python as one. The Gradio app sends
// Python's code-point spans, the static Space (web/occlusion.js) UTF-16 ones: both must shade the same words.
// tests/test_browser_why.py writes Python's explanations to $EMOTION_EXPLAIN_FIXTURE and runs this file.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";

const source = fs.readFileSync(new URL("../../emotion/ui/explain.js", import.meta.url), "utf8");
const explainLabel = new Function(`${source}\nreturn explainLabel;`)();
const fixture = process.env.EMOTION_EXPLAIN_FIXTURE ? JSON.parse(fs.readFileSync(process.env.EMOTION_EXPLAIN_FIXTURE, "utf8")) : null;

const marked = (html) => [...html.matchAll(/<mark [^>]*>(.*?)<\/mark>/g)].map((m) => m[1]);
const shaded = (html) => html.match(/<p class="why-text">(.*?)<\/p>/)[1].replace(/<[^>]+>/g, "");

// An explanation as explain.Explanation.to_dict gives it, for one label, with the spans counted by `count`.
function explanation(text, words, count) {
  let at = 0;
  const spans = words.map((w) => {
    const a = text.indexOf(w, at);
    at = a + w.length;
    return [count(text.slice(0, a)), count(text.slice(0, a)) + count(w)];
  });
  const effects = words.map((_, i) => (i % 2 ? -0.1 : 0.3));
  return {text, words, spans, labels: ["joy"], noise: 0.01, probabilities: {joy: 0.5}, effects: {joy: effects},
          faithfulness: {joy: {sentence: "s"}}};
}
const codePoints = (s) => Array.from(s).length;
const units = (s) => s.length;

test("emoji do not split or shift the shaded words, whichever way the spans count", () => {
  const text = "ngl lmaooo 😂😂 ur a legend 🙏🏽 [NAME]!";
  const words = ["ngl", "lmaooo", "😂😂", "ur", "a", "legend", "🙏🏽", "[NAME]", "!"];
  for (const count of [codePoints, units]) {
    const html = explainLabel(explanation(text, words, count), "joy");
    assert.deepEqual(marked(html), words);
    assert.equal(shaded(html), text);  // every character once, in order, none lost between words
    assert.ok(!/[\ud800-\udfff]/.test(marked(html).join("").replace(/[\ud800-\udbff][\udc00-\udfff]/g, "")));
  }
});

test("markup in a comment is written as text", () => {
  const text = "<b>hi</b> 😂";
  const html = explainLabel(explanation(text, ["<", "b", ">", "hi", "</", "b", ">", "😂"], codePoints), "joy");
  const words = html.match(/<p class="why-text">(.*?)<\/p>/)[1];
  assert.ok(!words.includes("<b>") && shaded(html) === "&lt;b&gt;hi&lt;/b&gt; 😂", words);
});

test("Python's explanations are shaded at Python's words", { skip: !fixture && "run through tests/test_browser_why.py" }, () => {
  for (const found of fixture) {
    const label = found.labels[0];
    assert.deepEqual(marked(explainLabel(found, label)), found.words.map((w) => w.replace(/&/g, "&amp;")
      .replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")), found.text);
  }
});

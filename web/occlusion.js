// Why?: each word's effect on every label by leave-one-word-out occlusion, in one forward pass with the
// comment among its variants; a browser port of emotion/analysis/explain.py (same rule, same numbers' meaning), whose
// constants come from space.json. Its result is what emotion/ui/explain.js draws.

// A word as a person counts one (emotion/analysis/explain.py UNIT): "[NAME]" whole, words with their apostrophes,
// runs of punctuation or emoji. Python's \w is letters, numbers and "_".
const UNIT = /\[[A-Z]+\]|[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*|[^\p{L}\p{N}_\s]+/gu;

export function wordSpans(text, limit) {
  const spans = [];
  for (const m of text.matchAll(UNIT)) {
    if (spans.length >= limit) break;
    // Python indexes code points; explain.js slices the JS string, so spans stay in UTF-16 units here.
    spans.push([m.index, m.index + m[0].length]);
  }
  return spans;
}

export function masked(text, spans, drop, pieces, mask) {
  let out = "", at = 0;
  for (const i of [...drop].sort((a, b) => a - b)) {
    const [a, b] = spans[i];
    out += text.slice(at, a) + Array(Math.max(pieces[i], 1)).fill(mask).join(" ");
    at = b;
  }
  return out + text.slice(at);
}

const argsortDesc = (values) => values.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);

export async function explain(engine, text) {
  const rule = engine.config.explain, labels = engine.labels;
  const spans = wordSpans(text, rule.max_words);
  const words = spans.map(([a, b]) => text.slice(a, b));
  const pieces = engine.countPieces(words), mask = engine.config.mask_token;
  const variants = spans.map((_, i) => masked(text, spans, [i], pieces, mask));
  const scored = await engine.probabilities([text, ...variants], {together: true});
  const base = scored[0];
  const effects = scored.slice(1).map((row) => row.map((p, j) => base[j] - p));  // (W, L)
  const [alone] = await engine.probabilities([text]);
  const noise = Math.max(...alone.map((p, j) => Math.abs(p - base[j])));
  const k = Math.max(1, Math.round(rule.top_share * spans.length));
  const topWords = (j) => argsortDesc(effects.map((row) => row[j])).slice(0, k).filter((i) => effects[i][j] > 0);
  // Each likely label's top words removed at once, in one more pass with the comment among them.
  const tops = labels.map((_, j) => (base[j] >= rule.min_p ? topWords(j) : []));
  const distinct = [...new Set(tops.filter((t) => t.length).map((t) => JSON.stringify(t)))].sort();
  const removed = await engine.probabilities(
    [text, ...distinct.map((t) => masked(text, spans, JSON.parse(t), pieces, mask))], {together: true});
  const withTop = removed[0];
  const round = (x) => Math.round(x * 1e4) / 1e4;
  const sentence = (j) => {
    const name = labels[j], top = tops[j];
    if (base[j] < rule.min_p) return `p(${name}) is ${base[j].toFixed(2)}: too low for any word to carry it.`;
    if (!top.length) return `No word raises p(${name}) (now ${base[j].toFixed(2)}): it comes from the comment as a whole.`;
    const without = removed[1 + distinct.indexOf(JSON.stringify(top))][j];
    return `Without ${top.map((i) => `“${words[i]}”`).join(", ")}, p(${name}) goes from ${withTop[j].toFixed(2)} ` +
           `to ${without.toFixed(2)}.`;
  };
  const byLabel = (f) => Object.fromEntries(labels.map((name, j) => [name, f(j)]));
  return {
    text, words, spans, labels, noise: round(noise),
    probabilities: byLabel((j) => round(base[j])),
    effects: byLabel((j) => effects.map((row) => round(row[j]))),
    faithfulness: byLabel((j) => ({top_words: tops[j].map((i) => words[i]), sentence: sentence(j)})),
  };
}

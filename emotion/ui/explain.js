// A comment's words shaded by their effect on one label, drawn in the browser from the explanation
// the server sent once (every label's effects): switching labels needs no round trip. Returns HTML.
// explanation: {text, words, spans, labels, noise, probabilities, effects, faithfulness} (explain.Explanation.to_dict).
function explainLabel(explanation, label) {
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
  const effects = explanation && explanation.effects && explanation.effects[label];
  if (!effects) return "";
  const text = explanation.text, noise = explanation.noise;
  const scale = Math.max(...effects.map(Math.abs), 0.2);  // small effects stay faint on an unlikely label
  // Each word is found in the text after the one before, not at its span: Python's spans count code points
  // and a JS string counts UTF-16 units, so an emoji would shift every word after it. Only spaces and "_"
  // lie between words (emotion/analysis/explain.py UNIT), so the first match is the word itself.
  let html = "", at = 0;
  explanation.words.forEach((word, i) => {
    const a = text.indexOf(word, at);
    if (a < 0 || !word) return;
    const e = effects[i], strength = Math.min(Math.abs(e) / scale, 1);
    const colour = e >= 0 ? `rgba(214,90,45,${(0.65 * strength).toFixed(2)})` : `rgba(60,120,200,${(0.55 * strength).toFixed(2)})`;
    html += esc(text.slice(at, a)) +
      `<mark style="background:${colour}" title="${e >= 0 ? "+" : ""}${e.toFixed(3)}">${esc(word)}</mark>`;
    at = a + word.length;
  });
  html += esc(text.slice(at));
  const ranked = effects.map((_, i) => i).sort((x, y) => effects[y] - effects[x]);
  const list = (ids) => ids.length ? ids.map((i) => `“${esc(explanation.words[i])}” ${effects[i] >= 0 ? "+" : ""}${effects[i].toFixed(2)}`).join(", ")
                                   : "none";
  const up = ranked.filter((i) => effects[i] > noise).slice(0, 5);
  const down = ranked.filter((i) => effects[i] < -noise).reverse().slice(0, 5);
  const p = explanation.probabilities[label];
  return `<div class="why"><p class="why-title"><b>${esc(label)}</b> (p = ${p.toFixed(2)}): ` +
    `<span class="swatch up"></span> raises it, <span class="swatch down"></span> lowers it</p>` +
    `<p class="why-text">${html}</p>` +
    `<p class="note"><b>Raise:</b> ${list(up)}. <b>Lower:</b> ${list(down)}.</p>` +
    `<p class="note">${esc(explanation.faithfulness[label].sentence)}</p></div>`;
}

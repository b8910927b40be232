// Long comments read whole, as emotion/serve/windows.py reads them: windows of at most max_length ids, each with
// the comment's own first and last special tokens, overlapping by `overlap`; their rows combine per label
// (rule "max": each label's highest logit, neutral's lowest; "mean"; "first"), the pooled columns averaged.
// The overlap and the rule come from Python through space.json, so the two cannot drift apart.

export function split(ids, maxLength, overlap) {
  if (ids.length <= maxLength) return [ids];
  const first = ids[0], last = ids[ids.length - 1], body = ids.slice(1, -1);
  const size = maxLength - 2, step = Math.max(size - overlap, 1);
  const starts = [];
  for (let s = 0; s < body.length - size; s += step) starts.push(s);
  starts.push(body.length - size);
  return starts.map((s) => [first, ...body.slice(s, s + size), last]);
}

// One row from a comment's window rows (arrays of equal width): the first `labels` columns are logits.
export function combine(rows, labels, neutral, rule) {
  if (rows.length === 1 || rule === "first") return Array.from(rows[0]);
  const width = rows[0].length;
  const out = Array.from({length: width}, (_, k) => rows.reduce((sum, r) => sum + r[k], 0) / rows.length);
  if (rule === "max") {
    for (let k = 0; k < labels; k++) out[k] = Math.max(...rows.map((r) => r[k]));
    if (neutral !== null && neutral >= 0 && neutral < labels) out[neutral] = Math.min(...rows.map((r) => r[neutral]));
  } else if (rule !== "mean") {
    throw new Error(`Unknown way to combine windows "${rule}": max, mean or first.`);
  }
  return out;
}

// A comment's labels, probability chart and groups, drawn in the browser from the probabilities the
// server sent once: moving the threshold needs no round trip. Returns [summary, bars, groups] as HTML.
// payload: {labels, probabilities, thresholds (per class, or null), groups, gold (label indices, optional),
// new (indices of a profile's own labels, optional; shown in their own group), profile (its name)}.
// POLICY ({PER_CLASS, GLOBAL}: the policies' names, sent from emotion/thresholds.py) is in scope: the app puts it
// before this file (emotion/ui/assets.py), the static Space loads it first (ui/policy.js, written by space.py).

// One threshold per label: the tuned ones when the policy asks for them and there are some, else `value` for
// every label (emotion.thresholds.resolve, as the server reads a setting).
function thresholdsAt(policy, value, tuned, count) {
  return policy === POLICY.PER_CLASS && tuned ? tuned.slice(0, count) : Array(count).fill(Number(value));
}

function render(payload, policy, value) {
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
  const chip = (name, p) => `<span class="chip">${esc(name)} <small>${p.toFixed(2)}</small></span>`;
  if (!payload || !payload.probabilities) {
    const ask = payload && payload.stale ? "The text changed: press Predict (or Enter) to label it."
                                         : "Type a comment and press Predict (or Enter).";
    return [`<span class="muted">${ask}</span>`, "", ""];
  }
  const probs = payload.probabilities, labels = payload.labels;
  const threshold = thresholdsAt(policy, value, payload.thresholds, labels.length);
  const order = labels.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  const on = order.filter((i) => probs[i] >= threshold[i]);
  const chips = (ids, none) => ids.length ? ids.map((i) => chip(labels[i], probs[i])).join(" ")
                                           : `<span class="muted">${none}</span>`;
  const gold = new Set(payload.gold || []);
  const summary = payload.gold ? `<b>Gold:</b> ${chips([...gold].sort((a, b) => probs[b] - probs[a]), "none")}<br>` +
                                 `<b>Predicted:</b> ${chips(on, "nothing above its threshold")}`
                               : chips(on, "nothing above its threshold");
  const isNew = new Set(payload.new || []);
  const row = (i) => {
    const p = probs[i], t = threshold[i], hit = p >= t;
    return `<tr class="${hit ? "hit" : ""}"><th scope="row">${gold.has(i) ? "★ " : ""}${esc(labels[i])}</th>` +
      `<td class="track" aria-hidden="true"><span class="fill" style="width:${(100 * p).toFixed(1)}%"></span>` +
      `<span class="tick" style="left:${(100 * t).toFixed(1)}%"></span></td>` +
      `<td>${p.toFixed(2)}</td><td>${t.toFixed(2)}</td><td>${hit ? "yes" : ""}</td></tr>`;
  };
  const rows = order.filter((i) => !isNew.has(i)).map(row).join("");
  // A profile's own labels come after ours, in a group of their own, each with its threshold.
  const mine = order.filter((i) => isNew.has(i));
  const own = mine.length ? `<tbody class="new-labels"><tr><th scope="rowgroup" colspan="5">Your labels ` +
    `(profile ${esc(payload.profile || "")})</th></tr>${mine.map(row).join("")}</tbody>` : "";
  // A phone shows the short name of a column; a screen reader reads the long one.
  const head = (wide, narrow) => `<th scope="col" aria-label="${wide}"><span class="wide">${wide}</span>` +
    `<span class="narrow" aria-hidden="true">${narrow}</span></th>`;
  const bars = `<div class="bars-wrap"><table class="bars"><caption>Probability of each emotion, most probable first; ` +
    `the tick marks its threshold${payload.gold ? "; ★ marks a gold label" : ""}</caption><thead><tr><th scope="col">emotion</th><th scope="col" aria-hidden="true"></th>` +
    `${head("probability", "p")}${head("threshold", "thr.")}${head("predicted", "✓")}</tr></thead>` +
    `<tbody>${rows}</tbody>${own}</table></div>`;
  // A group is on when one of its labels is predicted; it names the most probable of those, whose
  // probability it shows ("joy via admiration 0.83"), so that it never reads as the label of its name.
  const groups = Object.entries(payload.groups).map(([title, grouping]) => {
    const scored = Object.entries(grouping).map(([name, ids]) => {
      const hits = ids.filter((i) => probs[i] >= threshold[i]).sort((a, b) => probs[b] - probs[a] || a - b);
      return hits.length ? [name, hits[0]] : null;
    }).filter(Boolean).sort((a, b) => probs[b[1]] - probs[a[1]]);
    const carried = ([name, i]) => chip(labels[i] === name ? name : `${name} via ${labels[i]}`, probs[i]);
    return `<b>${esc(title)}:</b> ` + (scored.length ? scored.map(carried).join(" ")
                                                    : `<span class="muted">none</span>`);
  }).join("<br>") + (mine.length ? `<br><b>Your labels:</b> ${chips(mine.filter((i) => probs[i] >= threshold[i]), "none")}` : "");
  return [summary, bars, groups];
}

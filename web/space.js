// The static Space's page: the Python app's Predict, Why?, Per class, Metrics and Errors views, with the model
// running here (engine.js). The bars, labels and groups are drawn by the app's own render() and explainLabel()
// (ui/render.js, ui/explain.js, loaded before this module), and the policies' names are Python's (POLICY, from
// ui/policy.js, written by emotion/ui/space.py); nothing a visitor types is ever written as HTML.
import { loadEngine, threadSupport, ModelError } from "./engine.js";
import * as metrics from "./metrics.js";
import { explain } from "./occlusion.js";
import { InputError, comments, decodeText, toCsv } from "./table.js";

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]/u;

const state = {engine: null, config: null, policy: POLICY.PER_CLASS, value: 0.5, result: null, batch: null, test: null,
               why: null, selected: null};
let markReady;
const ready = new Promise((resolve) => { markReady = resolve; });

// --- thresholds: the one setting every view reads --------------------------------------------------------------

const thresholdsFor = (tuned, count) => thresholdsAt(state.policy, state.value, tuned, count);  // render.js's rule
const answerThresholds = () => thresholdsFor(state.config.answers.thresholds, state.engine.labels.length);
const labelsAbove = (probs, thresholds, labels) =>
  probs.map((p, i) => i).sort((a, b) => probs[b] - probs[a] || a - b).filter((i) => probs[i] >= thresholds[i]).map((i) => labels[i]);
// The setting in words; `source` says whose tuned thresholds (the live answers' or the test set's).
const settingWords = (source = state.config.answers.source) => (
  state.policy === POLICY.PER_CLASS ? `tuned per label (${source})` : `${state.value.toFixed(2)} for every label`);
const testWords = () => settingWords(state.test.thresholds_source);

function payload(probs, extra = {}) {
  const answers = state.config.answers;
  return {labels: state.engine.labels, probabilities: probs, thresholds: answers.thresholds, groups: state.config.groups,
          new: answers.new, profile: answers.profile, ...extra};
}

// --- the public API (tests, and people who embed the page) ------------------------------------------------------

async function predict(texts) {
  await ready;
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) throw new TypeError("predict(texts) takes an array of strings");
  const probs = await state.engine.probabilities(texts);
  const labels = state.engine.labels, thresholds = answerThresholds();
  return probs.map((p) => ({labels: labelsAbove(p, thresholds, labels),
                            probabilities: Object.fromEntries(labels.map((name, j) => [name, p[j]]))}));
}

window.emotion = {
  ready, predict,
  get runs() { return state.engine ? state.engine.runs : 0; },  // forward passes so far
  get threads() { return state.engine ? state.engine.threads : 0; },
  explain: async (text) => { await ready; return explain(state.engine, text); },
  encode: async (texts) => { await ready; return texts.map((t) => state.engine.encode(t).ids); },  // token ids as the model reads them (whole)
};

// --- loading ---------------------------------------------------------------------------------------------------

function status(text) { $("status").textContent = text; }

async function start() {
  $("failure").hidden = true;
  status("Loading the model…");
  const {isolated, threads: chosen, most} = threadSupport();
  // ?threads=N asks for another number of threads, within what the browser allows (a benchmark's comparison).
  const asked = Number(new URLSearchParams(location.search).get("threads")) || chosen;
  try {
    state.engine = await loadEngine("./", {threads: Math.max(1, Math.min(most, asked)), onProgress: (got, total) => {
      status(`Loading the model… ${(got / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ""} MB`);
    }});
  } catch (err) {
    status("The model is not loaded.");
    $("failure").querySelector("span").textContent = err instanceof ModelError ? err.message
      : `The model could not be loaded (${err.message || err}).`;
    $("failure").hidden = false;
    return;
  }
  state.config = state.engine.config;
  const slider = state.config.slider;
  Object.assign($("threshold"), {min: slider.min, max: slider.max});
  state.value = Math.min(slider.max, Math.max(slider.min, state.config.answers.global));
  $("threshold").value = state.value;
  $("threshold-value").textContent = state.value.toFixed(2);
  const threads = state.engine.threads;
  status(isolated ? `Ready: the model runs in your browser on ${threads} thread${threads > 1 ? "s" : ""} (WebAssembly threads ` +
                    `available: ${most}); what you type never leaves this page.`
    : "Ready, on one thread: this server does not send the cross-origin isolation headers (COOP/COEP) that " +
      "WebAssembly threads need (the answers are the same; on many cores, slower). What you type never leaves this page.");
  describeModel();
  fillLabelChoices();
  await loadTestSet();
  $("predict").disabled = false;
  markReady();
  refresh();
}

// --- Predict ---------------------------------------------------------------------------------------------------

function cleaned(text) {
  const limits = state.config.limits, notices = [];
  let out = Array.from(text || "").filter((ch) => ch === "\n" || ch === "\t" || !INVISIBLE.test(ch)).join("");
  if (out !== text) notices.push("Removed invisible control or formatting characters.");
  out = out.trim();
  if (out.length > limits.max_chars) {
    notices.push(`The text is ${out.length.toLocaleString("en")} characters; only the first ${limits.max_chars.toLocaleString("en")} are used.`);
    out = out.slice(0, limits.max_chars);
  }
  return [out, notices];
}

function readingNotices(text) {
  const {length, windows} = state.engine.encode(text), max = state.config.max_length;
  // The same words as the app's notice (emotion/ui/inputs.py).
  return windows.length > 1 ? [`This comment has ${length} tokens, more than the ${max} the model reads at once: ` +
    `it was read whole, in ${windows.length} overlapping parts whose answers were combined.`] : [];
}

async function predictComment() {
  if (!state.engine) return;
  const [text, notices] = cleaned($("comment").value);
  if (!text) {
    state.result = null;
    showNotices(["Type or paste a comment first: the text is empty."], true);
    drawPrediction();
    return;
  }
  $("predict").disabled = true;
  try {
    const [probs] = await state.engine.probabilities([text]);
    state.result = {text, probs};
    showNotices([...notices, ...readingNotices(text)]);
  } catch (err) {
    showNotices([`The model failed on this comment (${err.message || err}).`], true);
  } finally {
    $("predict").disabled = false;
  }
  drawPrediction();
  if (!$("why-text").value) $("why-text").value = text;
}

function showNotices(lines, error = false) {
  $("notice").innerHTML = lines.map((l) => `<p class="${error ? "error" : "note"}">${esc(l)}</p>`).join("");
}

function drawPrediction() {
  const [summary, bars, groups] = render(state.result ? payload(state.result.probs) : null, state.policy, state.value);
  $("summary").innerHTML = summary;
  $("groups").innerHTML = groups;
  $("bars").innerHTML = bars;
}

// --- many comments ---------------------------------------------------------------------------------------------

async function readFile(file) {
  const limits = state.config.limits;
  if (file.size > limits.max_upload_bytes) {
    throw new InputError(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; files up to ${limits.max_upload_bytes / 1e6} MB are read.`);
  }
  if (!/\.(txt|csv)$/i.test(file.name)) throw new InputError(`${file.name}: upload a .txt (one comment a line) or .csv (a "text" column) file.`);
  return comments(decodeText(new Uint8Array(await file.arrayBuffer()), file.name), file.name);
}

async function predictBatch() {
  if (!state.engine) return;
  const note = $("batch-note"), limits = state.config.limits, file = $("batch-file").files[0];
  let texts;
  try {
    texts = file ? await readFile(file) : comments($("batch-text").value);
  } catch (err) {
    note.innerHTML = `<span class="error">${esc(err.message)}</span>`;
    return;
  }
  texts = texts.map((t) => cleaned(t)[0]).filter(Boolean);
  if (!texts.length) { note.innerHTML = `<span class="error">No comments found: paste one a line, or choose a file.</span>`; return; }
  if (texts.length > limits.max_rows) {
    note.innerHTML = `<span class="error">${texts.length.toLocaleString("en")} comments: at most ${limits.max_rows.toLocaleString("en")} ` +
                     "a batch, so the tab stays responsive. Split the list and run each part.</span>";
    return;
  }
  const bar = $("batch-progress");
  bar.hidden = false; bar.max = texts.length; bar.value = 0;
  $("batch-run").disabled = true;
  const started = performance.now();
  try {
    const probs = await state.engine.probabilities(texts, {onProgress: (done) => {
      bar.value = done;
      note.textContent = `Predicting… ${done} of ${texts.length}`;
    }});
    state.batch = {texts, probs};
    note.textContent = `${texts.length} comments in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
  } catch (err) {
    note.innerHTML = `<span class="error">The model failed (${esc(err.message || err)}).</span>`;
  } finally {
    bar.hidden = true;
    $("batch-run").disabled = false;
  }
  drawBatch();
}

function drawBatch() {
  const batch = state.batch;
  $("batch-download").disabled = !batch;
  if (!batch) { $("batch-table").innerHTML = ""; return; }
  const labels = state.engine.labels, thresholds = answerThresholds();
  const rows = batch.texts.map((t, i) => `<tr><td>${esc(t.length > 160 ? t.slice(0, 160) + "…" : t)}</td>` +
    `<td>${esc(labelsAbove(batch.probs[i], thresholds, labels).join(", ") || "—")}</td></tr>`).join("");
  $("batch-table").innerHTML = `<table><caption>Labels at ${esc(settingWords())}</caption><thead><tr><th scope="col">comment</th>` +
    `<th scope="col">labels</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function downloadBatch() {
  const batch = state.batch;
  if (!batch) return;
  const labels = state.engine.labels, thresholds = answerThresholds();
  const rows = batch.texts.map((t, i) => [t, labelsAbove(batch.probs[i], thresholds, labels).join(";"),
                                          ...batch.probs[i].map((p) => p.toFixed(4))]);
  const csv = toCsv(["text", "labels", ...labels], rows, state.config.formula);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([csv], {type: "text/csv;charset=utf-8"}));
  link.download = "emotions.csv";
  document.body.appendChild(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

// --- Why? ------------------------------------------------------------------------------------------------------

function fillLabelChoices() {
  const options = state.engine.labels.map((name) => `<option value="${esc(name)}">${esc(name)}</option>`).join("");
  $("why-label").innerHTML = options;
  ["errors-gold", "errors-predicted"].forEach((id) => { $(id).innerHTML = `<option value="">any</option>` +
    state.config.labels.map((name, j) => `<option value="${j}">${esc(name)}</option>`).join(""); });
}

async function explainComment() {
  if (!state.engine) return;
  const [text] = cleaned($("why-text").value);
  if (!text) { $("why-words").innerHTML = `<p class="error">Type or paste a comment first: the text is empty.</p>`; return; }
  $("why-run").disabled = true;
  $("why-words").innerHTML = `<p class="note">Scoring the comment without each of its words…</p>`;
  try {
    state.why = await explain(state.engine, text);
    const probs = state.why.labels.map((l) => state.why.probabilities[l]);
    const top = state.why.labels[probs.indexOf(Math.max(...probs))];
    if (!$("why-label").dataset.touched) $("why-label").value = top;
  } catch (err) {
    state.why = null;
    $("why-words").innerHTML = `<p class="error">${esc(err.message || err)}</p>`;
  } finally {
    $("why-run").disabled = false;
  }
  drawWhy();
}

function drawWhy() {
  if (!state.why) return;
  $("why-words").innerHTML = explainLabel(state.why, $("why-label").value) +
    `<p class="note">Noise: probabilities move up to ${state.why.noise.toFixed(3)} between the comment alone and in ` +
    "its batch; smaller effects mean nothing.</p>";
}

// --- the test set: Per class, Metrics, Errors --------------------------------------------------------------------

async function loadTestSet() {
  const missing = "This page was built without the test set, so it has no per-class figures, metrics or errors. " +
                  "Build it with `python build_space.py OUT_DIR --data_dir GOEMOTIONS_FOLDER` to add them.";
  if (!state.config.data) {
    ["classes-body", "metrics-body", "errors-body"].forEach((id) => { $(id).innerHTML = `<p class="muted">${esc(missing)}</p>`; });
    $("errors-filters").hidden = true;
    return;
  }
  try {
    const response = await fetch(state.config.data);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    state.test = await response.json();
  } catch (err) {
    const line = `Could not load the test set (${esc(err.message)}); reload the page to try again.`;
    ["classes-body", "metrics-body", "errors-body"].forEach((id) => { $(id).innerHTML = `<p class="error">${line}</p>`; });
    return;
  }
  $("attribution").textContent = state.test.attribution;
}

const testThresholds = () => thresholdsFor(state.test.thresholds, state.config.labels.length);
const pct = (x) => x.toFixed(3);

function drawClasses() {
  if (!state.test) return;
  const rows = metrics.perClass(state.test.probabilities, state.test.gold, testThresholds());
  const body = rows.map((r, j) => `<tr><th scope="row">${esc(state.config.labels[j])}</th><td>${r.threshold.toFixed(2)}</td>` +
    `<td>${pct(r.precision)}</td><td>${pct(r.recall)}</td><td>${pct(r.f1)}</td><td>${r.support}</td><td>${r.predicted}</td></tr>`).join("");
  $("classes-body").innerHTML = `<div class="picktable" tabindex="0" role="region" aria-label="Per-class figures"><table id="classes-table"><caption>Each label on the ${state.test.gold.length.toLocaleString("en")} ` +
    `test comments at ${esc(testWords())}</caption><thead><tr><th scope="col">label</th><th scope="col">threshold</th>` +
    `<th scope="col">precision</th><th scope="col">recall</th><th scope="col">F1</th><th scope="col">support</th>` +
    `<th scope="col">predicted</th></tr></thead><tbody>${body}</tbody></table></div>`;
}

function drawMetrics() {
  if (!state.test) return;
  const m = metrics.summary(state.test.probabilities, state.test.gold, testThresholds());
  const card = (name, key) => `<div><b data-metric="${key}">${m[key].toFixed(3)}</b><span>${name}</span></div>`;
  $("metrics-body").innerHTML = `<div class="stats">${card("micro F1", "micro_f1")}${card("macro F1", "macro_f1")}` +
    `${card("micro precision", "micro_precision")}${card("micro recall", "micro_recall")}${card("macro precision", "macro_precision")}` +
    `${card("macro recall", "macro_recall")}</div><p class="note">On the ${state.test.gold.length.toLocaleString("en")} test comments ` +
    `at ${esc(testWords())}; probabilities ` +
    `${esc(state.test.probabilities_from)}, recomputed here whenever the setting changes.</p>`;
}

function errorRows() {
  const test = state.test, thresholds = testThresholds();
  const gold = $("errors-gold").value, predicted = $("errors-predicted").value, outcome = $("errors-outcome").value;
  const query = $("errors-text").value.trim().toLowerCase();
  const rows = [];
  test.probabilities.forEach((probs, n) => {
    const truth = new Set(test.gold[n]);
    const said = new Set(probs.map((p, j) => j).filter((j) => probs[j] >= thresholds[j]));
    if (gold !== "" && !truth.has(Number(gold))) return;
    if (predicted !== "" && !said.has(Number(predicted))) return;
    const wrong = probs.map((p, j) => j).filter((j) => truth.has(j) !== said.has(j));
    const missed = wrong.filter((j) => truth.has(j)), extra = wrong.filter((j) => !truth.has(j));
    if (outcome === "wrong" && !wrong.length) return;
    if (outcome === "right" && wrong.length) return;
    if (outcome === "missed" && !missed.length) return;
    if (outcome === "extra" && !extra.length) return;
    if (query && !test.texts[n].toLowerCase().includes(query)) return;
    // Worst first: how far the model's probabilities are from the gold answer on the decisions it got wrong.
    const error = wrong.reduce((s, j) => s + Math.abs((truth.has(j) ? 1 : 0) - probs[j]), 0);
    rows.push({n, error, missed, extra, said: [...said]});
  });
  return rows.sort((a, b) => b.error - a.error || a.n - b.n);
}

const SHOWN = 200;

function drawErrors() {
  if (!state.test) return;
  const rows = errorRows(), labels = state.config.labels, test = state.test;
  const names = (ids) => ids.map((j) => labels[j]).join(", ") || "—";
  const body = rows.slice(0, SHOWN).map((r) => `<tr tabindex="0" data-row="${r.n}" aria-selected="${state.selected === r.n}">` +
    `<td>${esc(test.texts[r.n].length > 140 ? test.texts[r.n].slice(0, 140) + "…" : test.texts[r.n])}</td>` +
    `<td>${esc(names(test.gold[r.n]))}</td><td>${esc(names(r.said))}</td><td>${r.error.toFixed(2)}</td></tr>`).join("");
  $("errors-count").textContent = `${rows.length.toLocaleString("en")} comments match${rows.length > SHOWN ? `; the worst ${SHOWN} are listed` : ""}.`;
  $("errors-body").innerHTML = `<div class="picktable"><table id="errors-table"><caption>Test comments at ${esc(testWords())}, ` +
    `worst first; pick one to see its bars</caption><thead><tr><th scope="col">comment</th><th scope="col">gold</th>` +
    `<th scope="col">predicted</th><th scope="col">error</th></tr></thead><tbody>${body}</tbody></table></div>`;
  drawSelected();
}

function drawSelected() {
  const n = state.selected;
  if (n === null || !state.test) { $("errors-detail").innerHTML = ""; return; }
  const p = {labels: state.config.labels, probabilities: state.test.probabilities[n], thresholds: state.test.thresholds,
             groups: state.config.groups, gold: state.test.gold[n]};
  const [summary, bars, groups] = render(p, state.policy, state.value);
  $("errors-detail").innerHTML = `<blockquote class="comment">${esc(state.test.texts[n])}</blockquote>` +
    `<p>${summary}</p><p>${groups}</p>${bars}`;
}

function pickError(row) {
  if (!row) return;
  state.selected = Number(row.dataset.row);
  $("errors-body").querySelectorAll("tr[aria-selected=true]").forEach((r) => r.setAttribute("aria-selected", "false"));
  row.setAttribute("aria-selected", "true");
  drawSelected();
}

// --- About -----------------------------------------------------------------------------------------------------

function describeModel() {
  const c = state.config, a = c.answers, steps = c.text_normalization.split("+");
  const reads = (steps.includes("demojize") ? ", with emoji written as their names" : "") +
    (steps.includes("spell") ? ", with misspelt words put right" : "");
  const profile = a.profile ? ` It answers with the profile “${a.profile}”` +
    (a.new.length ? `, which adds its own labels: ${a.new.map((j) => a.labels[j]).join(", ")}.` : ".") : "";
  $("model-note").textContent = `Model ${c.checkpoint} (${c.labels.length} labels, int8 ONNX, ${(c.model.bytes / 1e6).toFixed(1)} MB), ` +
    `reads a comment in windows of ${c.max_length} tokens${reads}. ` +
    `Thresholds: ${a.source}.${profile} Built ${c.built}.`;
}

// --- wiring ----------------------------------------------------------------------------------------------------

function refresh() {
  if (!state.engine) return;
  drawPrediction();
  drawBatch();
  drawWhy();
  const open = document.querySelector("[role=tab][aria-selected=true]").dataset.panel;
  if (open === "classes") drawClasses();
  if (open === "metrics") drawMetrics();
  if (open === "errors") drawErrors();
}

function openTab(tab, focus = false) {
  document.querySelectorAll("[role=tab]").forEach((t) => {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(`panel-${t.dataset.panel}`).hidden = !on;
  });
  if (focus) tab.focus();
  refresh();
}

function wire() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => openTab(tab));
    tab.addEventListener("keydown", (e) => {
      const step = {ArrowRight: 1, ArrowLeft: -1}[e.key];
      if (step) { e.preventDefault(); openTab(tabs[(i + step + tabs.length) % tabs.length], true); }
    });
  });
  $("comment").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); predictComment(); }
  });
  $("comment").addEventListener("input", () => {
    if (state.result && cleaned($("comment").value)[0] !== state.result.text) {
      state.result = null;
      $("summary").innerHTML = render({stale: true}, state.policy, state.value)[0];
      $("groups").innerHTML = $("bars").innerHTML = "";
    }
  });
  $("predict").addEventListener("click", predictComment);
  document.querySelectorAll("input[name=policy]").forEach((radio) => radio.addEventListener("change", () => {
    state.policy = radio.id === "policy-global" ? POLICY.GLOBAL : POLICY.PER_CLASS;
    refresh();
  }));
  $("threshold").addEventListener("input", () => {
    state.value = Number($("threshold").value);
    $("threshold-value").textContent = state.value.toFixed(2);
    if (state.policy !== POLICY.GLOBAL) { state.policy = POLICY.GLOBAL; $("policy-global").checked = true; }
    refresh();  // re-labels from the probabilities already here: no model run
  });
  $("batch-run").addEventListener("click", predictBatch);
  $("batch-download").addEventListener("click", downloadBatch);
  $("batch-file").addEventListener("change", () => { $("batch-note").textContent = ""; });
  $("why-run").addEventListener("click", explainComment);
  $("why-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); explainComment(); }
  });
  $("why-label").addEventListener("change", () => { $("why-label").dataset.touched = "1"; drawWhy(); });
  ["errors-gold", "errors-predicted", "errors-outcome"].forEach((id) => $(id).addEventListener("change", drawErrors));
  let typing;
  $("errors-text").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(drawErrors, 200); });
  $("errors-body").addEventListener("click", (e) => pickError(e.target.closest("tr[data-row]")));
  $("errors-body").addEventListener("keydown", (e) => {
    if ((e.key === "Enter" || e.key === " ") && e.target.matches("tr[data-row]")) { e.preventDefault(); pickError(e.target); }
  });
  $("retry").addEventListener("click", start);
}

wire();
start();

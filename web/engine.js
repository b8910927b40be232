// The model in the visitor's browser: the checkpoint's int8 ONNX graph on onnxruntime-web (WebAssembly),
// its tokenizer.json read by @huggingface/tokenizers (the tokenizer inside transformers.js 4), and the
// normalisation the checkpoint records. Everything comes from this page's own folder (build_space.py vendors it).
import * as ort from "../vendor/ort/ort.wasm.min.mjs";
import { Tokenizer } from "../vendor/tokenizers.min.mjs";
import { normalizer, parseSpellingWords } from "./normalize.js";
import { combine, split } from "./windows.js";

// What a visitor reads when the model cannot be used: one line, and the page offers a retry.
export class ModelError extends Error {}

async function download(url, what, onProgress) {
  let response;
  try {
    response = await fetch(url, {cache: "no-cache"});  // revalidated, so a damaged copy is not kept forever
  } catch (err) {
    throw new ModelError(`Could not download ${what} (the network failed: ${err.message}).`);
  }
  if (!response.ok) throw new ModelError(`Could not download ${what} (HTTP ${response.status}).`);
  const total = Number(response.headers.get("content-length")) || 0;
  if (!onProgress || !response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader(), parts = [];
  let received = 0;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (err) {
      throw new ModelError(`The download of ${what} broke off (${err.message}).`);
    }
    if (chunk.done) break;
    parts.push(chunk.value);
    received += chunk.value.length;
    onProgress(received, total);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const part of parts) { bytes.set(part, at); at += part.length; }
  return bytes;
}

async function json(url, what) {
  const bytes = await download(url, what);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ModelError(`${what} is damaged (not valid JSON).`);
  }
}

async function sha256(bytes) {
  if (!globalThis.crypto || !crypto.subtle) return null;  // not a secure context: the size check still runs
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

// Threads need SharedArrayBuffer, which a browser gives only to a cross-origin isolated page (COOP/COEP).
// How many: onnxruntime-web's own rule, half the cores (at most 4): on 2 busy cores one thread answered a comment
// in 21-30 ms where two took 18-63 ms (bench/results/space.md), the page's own thread needing a core too.
// `most` is what the browser allows (?threads=N asks for another number within it).
export function threadSupport() {
  const isolated = Boolean(globalThis.crossOriginIsolated) && typeof SharedArrayBuffer !== "undefined";
  const cores = (globalThis.navigator && navigator.hardwareConcurrency) || 1;
  return {isolated, threads: isolated ? Math.min(4, Math.ceil(cores / 2)) : 1, most: isolated ? Math.min(4, cores) : 1};
}

export async function loadEngine(base, {onProgress, threads} = {}) {
  const root = new URL(base, location.href);
  const at = (path) => new URL(path, root).href;
  const config = await json(at("model/space.json"), "the page's settings (model/space.json)");
  // The speller's word list only for a checkpoint that spells (config.spelling is null otherwise).
  const [tokenizerJson, tokenizerConfig, emoji, spellingText] = await Promise.all([
    json(at(config.tokenizer.file), "the tokenizer"), json(at(config.tokenizer.config), "the tokenizer's settings"),
    config.emoji ? json(at(config.emoji), "the emoji names") : null,
    config.spelling ? download(at(config.spelling.file), "the spelling word list") : null]);
  const spelling = spellingText &&
    {words: parseSpellingWords(new TextDecoder().decode(spellingText)), min_length: config.spelling.min_length};
  const normalize = normalizer(config.text_normalization, {emoji, spelling});
  const chosen = threads ?? threadSupport().threads;
  ort.env.wasm.wasmPaths = at("vendor/ort/");
  ort.env.wasm.numThreads = chosen;
  // Starting a one-node graph compiles and starts the runtime while the model downloads; a failure here
  // shows again, in words, when the model itself is started.
  const warm = config.model.warmup ? ort.InferenceSession.create(at(config.model.warmup)).catch(() => null) : null;
  const bytes = await download(at(config.model.file), `the model (${(config.model.bytes / 1e6).toFixed(1)} MB)`, onProgress);
  if (bytes.length !== config.model.bytes) {
    throw new ModelError(`The model file is damaged: ${bytes.length} bytes where ${config.model.bytes} were expected.`);
  }
  const digest = await sha256(bytes);
  if (digest && digest !== config.model.sha256) throw new ModelError("The model file is damaged (its checksum differs).");
  await warm;
  let session;
  try {
    session = await ort.InferenceSession.create(bytes, {executionProviders: ["wasm"], graphOptimizationLevel: "all"});
  } catch (err) {
    throw new ModelError(`The model could not be started (${String(err.message || err).split("\n")[0]}).`);
  }
  return new Engine(config, new Tokenizer(tokenizerJson, tokenizerConfig), normalize, session, chosen);
}

export class Engine {
  constructor(config, tokenizer, normalize, session, threads) {
    this.config = config;
    this.tokenizer = tokenizer;
    this.normalize = normalize;
    this.session = session;
    this.threads = threads;
    this.runs = 0;  // forward passes so far: a test checks that moving the slider makes none
    this.modelLabels = config.labels;
    this.labels = config.answers.labels;  // the model's, then a profile's own
    this.specialTokens = tokenizer.encode("").ids.length;
    this.neutral = this.modelLabels.indexOf("neutral");  // -1: no neutral label
    this.queue = Promise.resolve();  // one forward pass at a time
  }

  // Token ids of a text as the model reads it (normalised, whole), its windows of at most max_length
  // (windows.js, as emotion/serve/windows.py cuts them), and how many ids it has.
  encode(text) {
    const ids = this.tokenizer.encode(this.normalize(text)).ids;
    const {overlap} = this.config.windows;
    return {ids, windows: split(ids, this.config.max_length, overlap), length: ids.length};
  }

  // Word pieces of each text (normalised, no special tokens, not cut).
  countPieces(texts) {
    return texts.map((t) => this.tokenizer.encode(this.normalize(t)).ids.length - this.specialTokens);
  }

  // One forward pass over token id lists, padded to the longest: [logits, pooled] rows.
  run(idLists) {
    const task = this.queue.then(async () => {
      const width = Math.max(...idLists.map((ids) => ids.length)), n = idLists.length;
      const ids = new BigInt64Array(n * width).fill(BigInt(this.config.pad_id));
      const mask = new BigInt64Array(n * width);
      idLists.forEach((row, r) => row.forEach((id, c) => { ids[r * width + c] = BigInt(id); mask[r * width + c] = 1n; }));
      const feeds = {input_ids: new ort.Tensor("int64", ids, [n, width]),
                     attention_mask: new ort.Tensor("int64", mask, [n, width])};
      const out = await this.session.run(feeds);
      this.runs += 1;
      const [logits, pooled] = this.session.outputNames.map((name) => out[name]);
      const rows = (t) => Array.from({length: n}, (_, r) => t.data.subarray(r * t.dims[1], (r + 1) * t.dims[1]));
      return [rows(logits), pooled ? rows(pooled) : null];
    });
    this.queue = task.catch(() => {});
    return task;
  }

  // Probabilities of the answers' labels from one pass's outputs: sigmoid of the logits, or a profile's
  // head (sigmoid of a dot product on logits then pooled embedding) where one serves (emotion/profiles/heads.py).
  answer(logits, pooled) {
    const heads = this.config.answers.heads || {};
    return this.labels.map((name, j) => {
      const head = heads[name];
      if (!head) return sigmoid(logits[j]);
      const w = head.weights, L = logits.length;
      let z = head.intercept;
      for (let k = 0; k < L; k++) z += logits[k] * w[k];
      for (let k = 0; k < pooled.length; k++) z += pooled[k] * w[L + k];
      return sigmoid(z);
    });
  }

  // Probabilities of each text. Alone (the default): each comment (all its windows) in a pass of its own, as
  // the Python app scores one comment, since the int8 graph scales activations per batch. together: all in
  // one pass (Why?'s variants). A long comment's window rows combine before the answer (windows.js).
  async probabilities(texts, {together = false, onProgress} = {}) {
    const encoded = texts.map((t) => this.encode(t).windows);
    const whole = (logits, pooled, from, count) => {
      const rows = logits.slice(from, from + count).map((row, i) => pooled ? [...row, ...pooled[from + i]] : Array.from(row));
      const joined = combine(rows, logits[from].length, this.neutral, this.config.windows.combine);
      const width = logits[from].length;
      return this.answer(joined.slice(0, width), pooled ? joined.slice(width) : null);
    };
    if (together) {
      const [logits, pooled] = await this.run(encoded.flat());
      let from = 0;
      return encoded.map((w) => { const out = whole(logits, pooled, from, w.length); from += w.length; return out; });
    }
    const out = [];
    for (let i = 0; i < encoded.length; i++) {
      const [logits, pooled] = await this.run(encoded[i]);
      out.push(whole(logits, pooled, 0, encoded[i].length));
      if (onProgress && (i % 8 === 7 || i === encoded.length - 1)) {
        onProgress(i + 1, encoded.length);
        await new Promise((resolve) => setTimeout(resolve, 0));  // the page stays responsive in a long batch
      }
    }
    return out;
  }
}

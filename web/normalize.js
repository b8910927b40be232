// Text normalisation before tokenizing, keyed by the name the checkpoint records (training_config.json's
// text_normalization; emotion/text.py is the Python side). A new normalisation is one entry in NORMALIZERS;
// an unknown name is refused, never silently skipped: the model would read other text than it was trained on.

const ZWJ = "\u200d";
const VARIATION = new Set(["\ufe0e", "\ufe0f"]);

// The emoji package's search tree (emoji/tokenizer.py get_search_tree): one node per code point.
function searchTree(names) {
  const tree = new Map();
  for (const [emoji, name] of Object.entries(names)) {
    let node = tree;
    for (const ch of emoji) {
      if (!node.has(ch)) node.set(ch, new Map());
      node = node.get(ch);
    }
    node.set("data", name);
  }
  return tree;
}

// emoji.replace_emoji(text, replace=lambda _, data: f" {name} ") ported step by step from the emoji package's
// tokenize() (keep_zwj=False), over code points as Python indexes a str: the longest walk down the tree
// wins only when it ends on an emoji (no shorter fallback); a ZWJ joining emoji outside the RGI list is
// dropped and each part named; a stray variation selector is dropped.
function demojizer(table) {
  if (!table || typeof table.names !== "object") throw new Error("demojize needs the emoji table (emoji.json)");
  const tree = searchTree(table.names);
  const names = table.names, components = new Set(table.components || []);
  return (text) => {
    if (/^[\x00-\x7f]*$/.test(text)) return text;  // no emoji (most comments), as in Python
    const s = Array.from(text), n = s.length, ignore = new Set();
    const out = [];
    let result = [];  // tokens not yet flushed: [chars, name or null]
    let i = 0;
    while (i < n) {
      let consumed = false;
      const ch = s[i];
      if (ignore.has(i)) {
        i += 1;
        continue;  // a ZWJ that joined two non-RGI emoji: dropped (keep_zwj=False)
      } else if (tree.has(ch)) {
        let j = i + 1, sub = tree.get(ch);
        while (j < n && sub.has(s[j])) {
          if (ignore.has(j)) break;
          sub = sub.get(s[j]);
          j += 1;
        }
        if (sub.has("data")) {
          result.push([s.slice(i, j).join(""), sub.get("data")]);
          i = j - 1;
          consumed = true;
        }
      } else if (ch === ZWJ && result.length && Object.hasOwn(names, result[result.length - 1][0]) && i > 0 &&
                 tree.has(s[i - 1])) {
        ignore.add(i);
        const last = result[result.length - 1][0];
        if (components.has(last)) {
          i -= result.slice(-2).reduce((sum, t) => sum + Array.from(t[0]).length, 0);
          if (s[i] === ZWJ) {
            i += 1;
            result.pop();
          } else {
            result.splice(-2);
          }
        } else {
          i -= Array.from(last).length;
          result.pop();
        }
        continue;
      } else if (result.length) {
        out.push(...result);
        result = [];
      }
      if (!consumed && !VARIATION.has(ch)) result.push([ch, null]);
      i += 1;
    }
    out.push(...result);
    return out.map(([chars, name]) => (name === null ? chars : ` ${name} `)).join("");
  };
}

// The speller's word list (emotion/spelling_words.txt, as emotion.text.read_spelling_words reads it): "#" header
// lines, then "word zipf" a line.
export function parseSpellingWords(text) {
  const words = new Map();
  for (const line of String(text).split(/\r?\n/)) {
    if (!line || line.startsWith("#")) continue;
    const [word, zipf] = line.trim().split(/\s+/);
    words.set(word, Number(zipf));
  }
  return words;
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";

// emotion.text.correction: a word shorter than minLength or known stays; else the most frequent known word one
// Damerau edit away (deletion, swap of neighbours, replacement, insertion of a-z), ties to the alphabetically
// first, in the word's case (all caps, a capital first, else lower); none: the word stays.
function correction(word, words, minLength) {
  const lower = word.toLowerCase();
  if (word.length < minLength || words.has(lower)) return word;
  let best = null, bestZipf = -Infinity;
  const consider = (candidate) => {
    const zipf = words.get(candidate);
    if (zipf === undefined) return;
    if (zipf > bestZipf || (zipf === bestZipf && candidate < best)) {
      best = candidate;
      bestZipf = zipf;
    }
  };
  for (let i = 0; i <= lower.length; i += 1) {
    const a = lower.slice(0, i), b = lower.slice(i);
    if (b) consider(a + b.slice(1));
    if (b.length > 1) consider(a + b[1] + b[0] + b.slice(2));
    for (const c of LOWER) {
      if (b) consider(a + c + b.slice(1));
      consider(a + c + b);
    }
  }
  if (best === null) return word;
  if (word === word.toUpperCase()) return best.toUpperCase();
  return /[A-Z]/.test(word[0]) ? best[0].toUpperCase() + best.slice(1) : best;
}

// emotion.text.spell: a word is a maximal run of ASCII letters with no letter of any script (Python's isalpha,
// \p{L} here) touching it, so "café" and "naïve" are left alone.
function speller(spelling) {
  if (!spelling || !(spelling.words instanceof Map) || !Number.isInteger(spelling.min_length)) {
    throw new Error("spell needs the word list (spelling_words.txt) and its min_length");
  }
  const {words, min_length: minLength} = spelling;
  return (text) => text.replace(/(?<!\p{L})[A-Za-z]+(?!\p{L})/gu, (word) => correction(word, words, minLength));
}

// Each step by its name in emotion/text.py; a checkpoint's name joins steps with "+", applied left to right.
const NORMALIZERS = {
  none: () => (text) => text,
  demojize: (resources) => demojizer(resources.emoji),
  // A letter three or more times in a row held to two ("soooo" -> "soo"); Python's [^\W\d_] is a letter or a
  // number that is not a decimal digit.
  squeeze: () => (text) => text.replace(/([\p{L}\p{Nl}\p{No}])\1{2,}/gu, "$1$1"),
  spell: (resources) => speller(resources.spelling),
};

// The function a checkpoint's text_normalization names; `resources` holds what it needs: the emoji table (emoji),
// the speller's {words: parseSpellingWords(list), min_length} (spelling).
export function normalizer(name, resources = {}) {
  const steps = String(name).split("+");
  const unknown = steps.filter((step) => !Object.hasOwn(NORMALIZERS, step) || (step === "none" && steps.length > 1));
  if (unknown.length) {
    throw new Error(`Unknown text normalization "${name}"; this page knows ${Object.keys(NORMALIZERS).join(", ")} ` +
                    "(joined with +). Rebuild the page with the project version that trained the checkpoint.");
  }
  const functions = steps.map((step) => NORMALIZERS[step](resources));
  return functions.length === 1 ? functions[0] : (text) => functions.reduce((t, f) => f(t), text);
}

export const NORMALIZATIONS = Object.keys(NORMALIZERS);

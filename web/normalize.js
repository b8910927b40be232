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
const NEGATION = /^['\u2019][tT](?![\p{L}\p{Nl}\p{No}])/u;  // emotion.text.NEGATION
// emotion.text.KEY_NEIGHBOURS: QWERTY rows with their offsets in key widths; neighbours are within 1.2 key widths.
const ROWS = [["qwertyuiop", 0.0], ["asdfghjkl", 0.25], ["zxcvbnm", 0.75]];
const POSITIONS = new Map(ROWS.flatMap(([keys, offset], r) => Array.from(keys, (ch, i) => [ch, [r, i + offset]])));
export const KEY_NEIGHBOURS = Object.fromEntries(Array.from(POSITIONS, ([a, [ra, xa]]) => [a,
  Array.from(POSITIONS).filter(([b, [rb, xb]]) => b !== a && Math.abs(rb - ra) <= 1 && Math.abs(xb - xa) <= 1.2)
    .map(([b]) => b).join("")]));
// emotion.text.COMMON_SLIP, NEAR_SLIP, RARE_SLIP: a slip's weight, added to a candidate's Zipf frequency.
const COMMON_SLIP = 0.0, NEAR_SLIP = -0.5, RARE_SLIP = -1.5;
const near = (ch) => KEY_NEIGHBOURS[ch] ?? "";

// emotion.text.slips: each listed word one slip from `typed`, with the likeliest slip's weight.
function slips(typed, words) {
  const found = new Map();
  const meant = (word, weight) => {
    if (words.has(word) && (found.get(word) ?? RARE_SLIP - 1) < weight) found.set(word, weight);
  };
  const n = typed.length;
  for (let i = 0; i < n; i += 1) {
    const ch = typed[i], before = i ? typed[i - 1] : "", after = i + 1 < n ? typed[i + 1] : "";
    const extra = ch === before || ch === after ? COMMON_SLIP
      : (near(before) + near(after)).includes(ch) ? NEAR_SLIP : RARE_SLIP;
    meant(typed.slice(0, i) + typed.slice(i + 1), extra);
    if (after && after !== ch) meant(typed.slice(0, i) + after + ch + typed.slice(i + 2), COMMON_SLIP);
    for (const c of LOWER) {
      if (c !== ch) meant(typed.slice(0, i) + c + typed.slice(i + 1), near(c).includes(ch) ? COMMON_SLIP : RARE_SLIP);
    }
  }
  for (let i = 0; i <= n; i += 1) {
    for (const c of LOWER) meant(typed.slice(0, i) + c + typed.slice(i), COMMON_SLIP);
  }
  return found;
}

// emotion.text.correction: a word shorter than minLength or known stays; else the listed word one slip away most
// likely meant (Zipf frequency plus the slip's weight; ties to the alphabetically first), in the word's case (all
// caps, a capital first, else lower); none: the word stays.
function correction(word, words, minLength) {
  const lower = word.toLowerCase();
  if (word.length < minLength || words.has(lower)) return word;
  let best = null, bestScore = -Infinity;
  for (const [candidate, weight] of slips(lower, words)) {
    const score = words.get(candidate) + weight;
    if (score > bestScore || (score === bestScore && candidate < best)) {
      best = candidate;
      bestScore = score;
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
  return (text) => text.replace(/(?<!\p{L})[A-Za-z]+(?!\p{L})/gu, (word, start) => {
    const end = start + word.length;
    // before "n't": "shouldn't" is "shouldn" + "t", and "should't" would drop the "not" (as Python does)
    if (NEGATION.test(text.slice(end, end + 4))) return word;
    return correction(word, words, minLength);
  });
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

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

// Each step by its name in emotion/text.py; a checkpoint's name joins steps with "+", applied left to right.
const NORMALIZERS = {
  none: () => (text) => text,
  demojize: (resources) => demojizer(resources.emoji),
  // A letter three or more times in a row held to two ("soooo" -> "soo"); Python's [^\W\d_] is a letter or a
  // number that is not a decimal digit.
  squeeze: () => (text) => text.replace(/([\p{L}\p{Nl}\p{No}])\1{2,}/gu, "$1$1"),
};

// The function a checkpoint's text_normalization names; `resources` holds what it needs (the emoji table).
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

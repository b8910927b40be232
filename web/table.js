// Comments in and out of the page: a pasted list or an uploaded .txt/.csv file in, a CSV that is safe to open in
// a spreadsheet out (a text cell that a spreadsheet would run as a formula gets a leading apostrophe, the rule of
// emotion/files.py, whose FORMULA_START and NUMBER space.json carries).

export class InputError extends Error {}

// UTF-8 text of a file's bytes, or an InputError that says what is wrong with it.
export function decodeText(bytes, name = "the file") {
  if (bytes.includes(0)) throw new InputError(`${name} is not a text file (it holds binary data). Upload a .txt or .csv file.`);
  try {
    return new TextDecoder("utf-8", {fatal: true}).decode(bytes).replace(/^\ufeff/, "");
  } catch {
    throw new InputError(`${name} is not UTF-8 text. Save it as UTF-8 (in a spreadsheet: CSV UTF-8) and upload it again.`);
  }
}

// RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks.
export function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// The comments in a pasted text or a file: one per non-empty line, or a CSV's "text" column (else its first).
export function comments(text, name = "") {
  if (/\.csv$/i.test(name)) {
    const rows = parseCsv(text).filter((r) => r.some((cell) => cell.trim()));
    if (!rows.length) return [];
    const header = rows[0].map((h) => h.trim().toLowerCase());
    const column = header.indexOf("text");
    return (column >= 0 ? rows.slice(1).map((r) => r[column] ?? "") : rows.map((r) => r[0]))
      .map((t) => t.trim()).filter(Boolean);
  }
  return text.split(/\r?\n|\r/).map((t) => t.trim()).filter(Boolean);
}

// rule: {start: the characters a formula starts with, number: the pattern of a plain number, which a spreadsheet
// reads as a number (null: none)}. A cell that already starts with apostrophes before such a start gets one more.
export function escapeCell(value, rule) {
  if (typeof value !== "string") return value;
  const number = rule.number ? new RegExp(`^(?:${rule.number.replace(/\\d/g, "\\p{Nd}")})$`, "u") : null;
  const bare = value.replace(/^'+/, "");
  const formula = rule.start.some((s) => bare.startsWith(s)) && (bare !== value || !(number && number.test(value)));
  return formula ? "'" + value : value;
}

// A CSV of rows (arrays), text cells escaped for spreadsheets and every cell quoted as RFC 4180 needs.
export function toCsv(header, rows, rule) {
  const cell = (v) => {
    const s = String(escapeCell(v, rule));
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

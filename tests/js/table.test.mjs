// Reading pasted and uploaded comments, and a CSV safe for spreadsheets (web/table.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { InputError, comments, decodeText, escapeCell, parseCsv, toCsv } from "../../web/table.js";

const fixture = process.env.EMOTION_JS_FIXTURE ? JSON.parse(fs.readFileSync(process.env.EMOTION_JS_FIXTURE, "utf8")) : null;
const FORMULA = fixture ? fixture.formula : {start: ["=", "+", "-", "@", "\t", "\r"], number: null};

test("a binary or non-UTF-8 file is refused with what to do", () => {
  assert.throws(() => decodeText(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]), "x.csv"), (e) => e instanceof InputError && /not a text file/.test(e.message));
  assert.throws(() => decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9]), "x.txt"), /not UTF-8/);
  assert.equal(decodeText(new TextEncoder().encode("\ufeffhi 😂")), "hi 😂");
});

test("lines and CSV columns become comments", () => {
  assert.deepEqual(comments("one\r\n\n  two  \nthree"), ["one", "two", "three"]);
  assert.deepEqual(comments('id,text\n1,"hello, ""you""\nthere"\n2,bye\n', "a.csv"), ['hello, "you"\nthere', "bye"]);
  assert.deepEqual(comments("just,a\nfirst,column\n", "a.csv"), ["just", "first"]);
  assert.deepEqual(parseCsv('a,"b""c"\r\nd,e'), [["a", 'b"c'], ["d", "e"]]);
});

test("a text cell a spreadsheet would run is written as text, as emotion/files.py writes it", () => {
  const want = fixture ? fixture.escaped : [["=1+1", "'=1+1"], ["-2", "'-2"], ["'=x", "''=x"], ["fine", "fine"]];
  for (const [cell, escaped] of want) assert.equal(escapeCell(cell, FORMULA), escaped);
  const csv = toCsv(["text", "p"], [["=HYPERLINK(\"x\")", "0.5"], ["a,b", "0.1"]], FORMULA);
  assert.equal(csv, 'text,p\r\n"\'=HYPERLINK(""x"")",0.5\r\n"a,b",0.1\r\n');
});

// render.js against Python: thresholdsAt gives emotion.thresholds.resolve's thresholds for each policy, and render()
// predicts the labels Python predicts at them, on the cases tests/test_space.py writes to $EMOTION_JS_FIXTURE with
// the policies' names from Python (the line the app puts before render.js, and the Space's ui/policy.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import vm from "node:vm";

const fixture = process.env.EMOTION_JS_FIXTURE ? JSON.parse(fs.readFileSync(process.env.EMOTION_JS_FIXTURE, "utf8")) : null;
const source = fs.readFileSync(new URL("../../emotion/ui/render.js", import.meta.url), "utf8");

test("each policy gives Python's thresholds and labels", { skip: !fixture && "run through tests/test_space.py" }, () => {
  const scope = vm.createContext({});
  vm.runInContext(`${fixture.render.policy_js}${source}\nglobalThis.api = {POLICY, thresholdsAt, render};`, scope);
  const { POLICY, thresholdsAt, render } = scope.api;
  assert.deepEqual(Object.keys(POLICY).sort(), ["GLOBAL", "PER_CLASS"]);
  for (const c of fixture.render.cases) {
    const policy = POLICY[c.policy], what = `${c.policy} ${c.value} ${c.tuned ? "tuned" : "none tuned"}`;
    const got = Array.from(thresholdsAt(policy, c.value, c.tuned, c.labels.length));
    assert.equal(got.length, c.want.length, what);
    got.forEach((t, i) => assert.ok(Math.abs(t - c.want[i]) < 1e-9, `${what}: label ${i} ${t} vs ${c.want[i]}`));
    const summary = render({labels: c.labels, probabilities: c.probs, thresholds: c.tuned, groups: {}}, policy, c.value)[0];
    const shown = [...summary.matchAll(/class="chip">(\S+) <small>/g)].map((m) => m[1]);
    assert.deepEqual(shown, c.predicted, what);
  }
});

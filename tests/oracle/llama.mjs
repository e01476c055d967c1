// llama.cpp as the oracle of rbee's engine (tests/kernels/oracle_test.cpp):
//   node llama.mjs MODEL.gguf SPEC.json
// SPEC: {"texts": [...], "forced": [token ids], "greedy": N}. Prints one JSON
// object: "tokens" (each text tokenized, no BOS, no special tokens), "logits"
// (the raw logits after each forced token, teacher-forced), "greedy" (N ids
// continuing the forced sequence at temperature 0, end-of-text not special) and
// "margins" (how clear each greedy choice was).
import { getLlama } from 'node-llama-cpp';
import fs from 'node:fs';

const [modelPath, specPath] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
const model = await llama.loadModel({ modelPath });
const out = { tokens: spec.texts.map((t) => Array.from(model.tokenize(t, false))) };
const ctx = await model.createContext({ contextSize: 512, batchSize: 512, threads: 2 });
const seq = ctx.getSequence();
const res = await seq.controlledEvaluate(spec.forced.map((t) => [t, { generateNext: { logits: true } }]));
out.logits = res.map((r) => {
  const row = [];
  for (const [tok, v] of r.next.logits) row[tok] = v;
  return Array.from(row, (v) => v ?? null);
});
await seq.clearHistory();
out.greedy = [];
let next = await seq.controlledEvaluate(spec.forced.map((t, i) => (i + 1 < spec.forced.length ? t : [t, { generateNext: { logits: true } }])));
// Each greedy id with the margin of its choice: (top-1 − top-2) over the logits'
// spread — a near-tie there lets another engine's rounding choose differently.
const pick = (m) => {
  const it = m.entries(); // sorted, highest first
  const [first, top] = it.next().value;
  const second = it.next().value[1];
  let lo = top;
  for (const v of m.values()) lo = Math.min(lo, v);
  return [first, (top - second) / Math.max(top - lo, 1e-6)];
};
out.margins = [];
let [tok, margin] = pick(next[next.length - 1].next.logits);
while (out.greedy.length < spec.greedy) {
  out.greedy.push(tok);
  out.margins.push(margin);
  next = await seq.controlledEvaluate([[tok, { generateNext: { logits: true } }]]);
  [tok, margin] = pick(next[0].next.logits);
}
console.log(JSON.stringify(out));
await model.dispose();
await llama.dispose();

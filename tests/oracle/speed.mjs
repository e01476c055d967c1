// llama.cpp's speed on a GGUF file, for bench/vs_llama_cpp.sh (node-llama-cpp's
// prebuilt CPU build, the same as the oracle's):
//   node speed.mjs MODEL.gguf PROMPT_TOKENS GEN_TOKENS THREADS
// Prints one JSON object: "pp" and "tg" (tokens/s by llama.cpp's own timings,
// llama_perf_context_print), and "pp_wall" and "tg_wall" (as measured around the calls
// from node). The prompt is a sentence's tokens repeated; generation is greedy, one
// token per step.
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

const [modelPath, ppArg, tgArg, threadsArg] = process.argv.slice(2);
const pp = Number(ppArg), tg = Number(tgArg), threads = Number(threadsArg);
const lines = [];
const llama = await getLlama({
  gpu: false, build: 'never', logLevel: LlamaLogLevel.info,
  logger: (level, message) => { if (message.includes('llama_perf_context_print')) lines.push(message); },
});
const model = await llama.loadModel({ modelPath });
const ctx = await model.createContext({
  contextSize: pp + tg + 64, batchSize: Math.max(pp, 1), threads, performanceTracking: true,
});
const seq = ctx.getSequence();
const text = model.tokenize('Once upon a time there was a little girl who loved the sun, the sea and the trees. ');
const prompt = Array.from({ length: pp }, (_, i) => text[i % text.length]);
let t0 = performance.now();
await seq.evaluateWithoutGeneratingNewTokens(prompt);
const ppWall = pp / ((performance.now() - t0) / 1000);
let n = 0;
t0 = performance.now();
for await (const _ of seq.evaluate([prompt[pp - 1]], { temperature: 0 })) {
  if (++n >= tg) break;
}
const tgWall = n / ((performance.now() - t0) / 1000);
await ctx.printTimings();
// "prompt eval time =  1234.5 ms /   256 tokens", "eval time =  567.8 ms /    31 runs"
const rate = (what) => {
  const line = lines.find((l) => new RegExp(`\\b${what} time`).test(l) && (what !== 'eval' || !l.includes('prompt eval')));
  const m = line && line.match(/=\s*([\d.]+) ms \/\s*(\d+)/);
  return m && Number(m[1]) > 0 ? Number(m[2]) / (Number(m[1]) / 1000) : null;
};
console.log(JSON.stringify({ pp: rate('prompt eval') ?? ppWall, tg: rate('eval') ?? tgWall, pp_wall: ppWall, tg_wall: tgWall }));
await ctx.dispose();
await model.dispose();
await llama.dispose();

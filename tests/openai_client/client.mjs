// The official OpenAI client (npm "openai") against rbee: chat (streaming and
// not), completions, models, and an error. Usage: node client.mjs BASE_URL MODEL
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused" });
const fail = (msg) => { console.error(msg); process.exit(1); };

const models = await client.models.list();
if (!models.data.some((m) => m.id.startsWith("test/"))) fail("models: " + JSON.stringify(models.data));

const chat = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 12, temperature: 0,
});
const whole = chat.choices[0].message.content;
if (!whole || chat.usage.completion_tokens !== 12) fail("chat: " + JSON.stringify(chat));

const stream = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 12, temperature: 0, stream: true,
});
let streamed = "";
for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
if (streamed !== whole) fail(`stream differs: ${JSON.stringify(streamed)} vs ${JSON.stringify(whole)}`);

const completion = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 8, temperature: 0 });
if (!completion.choices[0].text) fail("completion: " + JSON.stringify(completion));

try {
  await client.chat.completions.create({ model: "nope/nope", messages: [{ role: "user", content: "x" }] });
  fail("an unknown model was accepted");
} catch (e) {
  if (!(e instanceof OpenAI.NotFoundError)) fail("unknown model: " + e);
}
console.log("ok: " + JSON.stringify(whole));

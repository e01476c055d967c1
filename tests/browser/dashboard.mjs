// The dashboard and the static marketplace in Debian's headless Chromium,
// driven by Playwright. Run by tests/e2e/browser_test.cpp, which starts the
// real `rbee serve` and the Hugging Face test server:
//   node dashboard.mjs BASE_URL SCREENSHOT_DIR SITE_WITH_RBEE SITE_WITHOUT_RBEE
// Prints "ok: <step>" or "FAIL: <step>: <why>" per step; exits 1 if any failed.
import { launch } from './launch.mjs';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const [base, shots, siteUp, siteDown] = process.argv.slice(2);
fs.mkdirSync(shots, { recursive: true });
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.setDefaultTimeout(20000);
let failed = 0;
async function step(name, fn) {
  try {
    await fn();
    console.log('ok:', name);
  } catch (e) {
    failed += 1;
    console.log('FAIL:', name + ':', e.message.split('\n')[0]);
    await page.screenshot({ path: path.join(shots, name + '-failed.png'), fullPage: true }).catch(() => {});
  }
}
const shot = (name) => page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
const expect = (cond, what) => { if (!cond) throw new Error(what); };

/** Serves a directory on a free loopback port. */
function serveDir(dir) {
  return new Promise((resolve) => {
    const srv = http.createServer((req, res) => {
      const p = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
      if (!p.startsWith(dir) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) { res.writeHead(404); res.end(); return; }
      const type = p.endsWith('.html') ? 'text/html' : p.endsWith('.js') ? 'text/javascript' : p.endsWith('.css') ? 'text/css' : 'text/plain';
      res.writeHead(200, { 'Content-Type': type });
      res.end(fs.readFileSync(p));
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

await step('overview', async () => {
  await page.goto(base + '/');
  await page.locator('table.hives tr[data-hive="localhost"]').waitFor();
  const row = await page.locator('table.hives tr[data-hive="localhost"]').innerText();
  expect(/CPUs/.test(row), 'the hive row shows its CPUs: ' + row);
  expect(/GiB/.test(row), 'and its memory: ' + row);
  await page.locator('#conn.live').waitFor();
  await shot('overview');
});

await step('machines', async () => {
  // The hosts of the ssh config (RBEE_SSH_CONFIG: gpu-box, a pattern left out), each
  // with an Install button whose job page streams the work (here `rbee serve`, which
  // has no cluster port, says so: tests/e2e/cluster_hosts_test.cpp installs for real).
  await page.goto(base + '/');
  await page.locator('table.machines').waitFor();
  const table = await page.locator('table.machines').innerText();
  expect(/gpu-box/.test(table) && /not installed/.test(table), 'the ssh host and its state: ' + table);
  expect(!/\*/.test(table), 'no wildcard pattern: ' + table);
  await page.locator('button.host-install[data-host="gpu-box"]').click();
  await page.waitForURL(/#\/jobs\//);
  await page.locator('#job-state.state-failed').waitFor();
  const outcome = await page.locator('#job-outcome').innerText();
  expect(/no cluster port/.test(outcome) && /rbee queen/.test(outcome), 'why, and what to run instead: ' + outcome);
  await shot('machines-install-failed');
});

await step('marketplace-download', async () => {
  await page.goto(base + '/#/market');
  await page.locator('.model-card[data-model="test/big"]').waitFor();
  expect(await page.locator('.model-card').count() >= 2, 'cards for the test models');
  const tiny = await page.locator('.model-card[data-model="test/tiny"]').innerText();
  expect(/293K params/.test(tiny) && /mit/.test(tiny) && /Q8_0/.test(tiny), 'a card: size, licence, quantizations: ' + tiny);
  await shot('marketplace');
  await page.locator('.model-card[data-model="test/big"] a').click();
  await page.locator('table.files').waitFor();
  await shot('model-page');
  await page.locator('.mp-download[data-file="big-Q4_0.gguf"]').click();
  await page.waitForURL(/#\/jobs\/job-/);
  await page.locator('#job-progress:not([hidden])').waitFor();
  const first = Number(await page.locator('#job-bar').getAttribute('value'));
  await page.waitForFunction((v) => Number(document.getElementById('job-bar').value) > v, first);
  await shot('download-progress');
  await page.locator('#job-state.state-completed').waitFor({ timeout: 60000 });
  const bar = await page.locator('#job-bar').evaluate((b) => [b.value, b.max]);
  expect(bar[0] === bar[1], 'the bar completes: ' + bar);
  await shot('download-done');
});

await step('chat', async () => {
  await page.goto(base + '/#/chat');
  await page.locator('#chat-model option', { hasText: 'stories' }).first().waitFor({ state: 'attached' });
  const value = await page.locator('#chat-model option', { hasText: 'stories' }).first().getAttribute('value')
    || await page.locator('#chat-model option', { hasText: 'stories' }).first().innerText();
  await page.selectOption('#chat-model', value);
  await page.fill('#chat-input', 'Once upon a time');
  await page.press('#chat-input', 'Enter');
  await page.waitForFunction(() => {
    const a = document.querySelector('#chat-log .assistant');
    return a && a.textContent.length > 20;
  });
  await page.locator('#chat-speed', { hasText: 'tokens/s' }).waitFor();
  await page.locator('#chat-send:not([disabled])').waitFor({ timeout: 60000 });
  await shot('chat');
});

await step('overview-workers', async () => {
  await page.goto(base + '/');
  const row = page.locator('table.workers tr', { hasText: 'stories' });
  await row.waitFor();
  const rate = Number(await row.locator('td').last().innerText());
  expect(rate > 0, 'the loaded worker shows its tokens/s: ' + rate);
  const models = await page.locator('table.models').innerText();
  expect(/test\/big/.test(models) && /localhost/.test(models), 'the downloaded model in the hive\'s store: ' + models);
  await shot('overview-loaded');
});

await step('workers-install', async () => {
  await page.goto(base + '/#/workers');
  await page.locator('.worker-card[data-worker="hello-worker"] button', { hasText: 'Install' }).waitFor();
  const mac = await page.locator('.worker-card[data-worker="mac-worker"]').innerText();
  expect(/runs on macos/.test(mac), 'the macOS worker is marked incompatible: ' + mac);
  await shot('workers');
  await page.locator('.worker-card[data-worker="hello-worker"] button', { hasText: 'Install' }).click();
  await page.waitForURL(/#\/jobs\/job-/);
  await page.locator('#job-state.state-completed').waitFor({ timeout: 60000 });
  const log = await page.locator('#job-log').innerText();
  expect(/cc -O2 -o hello hello.c/.test(log), 'the build output is shown: ' + log);
  await shot('worker-installed');
  await page.goto(base + '/#/workers');
  await page.locator('.worker-card[data-worker="hello-worker"] button', { hasText: 'Remove 1.0-1' }).waitFor();
});

await step('direct-load-every-route', async () => {
  // Each route opened directly (a bookmark, a reload) renders what it renders when
  // reached from another page: the hives' rows, buttons and choices included.
  const jobId = await page.evaluate(async () => (await (await fetch('/v1/jobs')).json()).jobs[0].job_id);
  const checks = [
    ['/', 'table.hives tr[data-hive="localhost"]'],
    ['/#/workers', '.worker-card[data-worker="hello-worker"] button:has-text("Remove 1.0-1")'],
    ['/#/workers', '.worker-card[data-worker="mac-worker"] li:has-text("localhost")'],
    ['/#/chat', '#chat-hive option:has-text("localhost")'],
    ['/#/market', '#mk-cards'],
    ['/#/jobs/' + jobId, '#job-state'],
  ];
  for (const [route, sel] of checks) {
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await fresh.goto(base + route);
      await fresh.locator(sel).first().waitFor({ state: 'attached', timeout: 15000 });
    } catch (e) {
      await fresh.screenshot({ path: path.join(shots, 'direct-load-failed.png'), fullPage: true }).catch(() => {});
      throw new Error(`${route} loaded directly shows no ${sel}`);
    } finally {
      await fresh.close();
    }
  }
});

await step('failing-job', async () => {
  const id = await page.evaluate(async () => {
    const r = await fetch('/v1/jobs', { method: 'POST', body: JSON.stringify({ operation: 'model_download', model: 'test/nothing' }) });
    return (await r.json()).job_id;
  });
  await page.goto(base + '/#/jobs/' + id);
  await page.locator('.job-error').waitFor();
  const text = await page.locator('.job-error').innerText();
  expect(/model_not_found|no repository/.test(text), 'the error is shown: ' + text);
  await page.locator('#job-state.state-failed').waitFor();
  await shot('failed-job');
});

await step('static-page-without-rbee', async () => {
  const srv = await serveDir(siteDown);
  const url = `http://127.0.0.1:${srv.address().port}/models/test/tiny/index.html`;
  await page.goto(url);
  expect((await page.title()).includes('test/tiny'), 'title names the model');
  const ld = JSON.parse(await page.locator('script[type="application/ld+json"]').innerText());
  expect(ld.name === 'test/tiny', 'JSON-LD names the model');
  await page.click('#run-with-rbee');
  await page.locator('#install-modal[open]').waitFor();
  const modal = await page.locator('#install-modal').innerText();
  expect(/Debian \/ Ubuntu/.test(modal) && /Arch Linux/.test(modal), 'both install recipes');
  await shot('static-install-modal');
  await page.click('#install-back');
  await page.locator('#install-modal:not([open])').waitFor({ state: 'attached' });
  srv.close();
});

await step('static-page-with-rbee', async () => {
  const srv = await serveDir(siteUp);
  await page.goto(`http://127.0.0.1:${srv.address().port}/models/test/tiny/index.html`);
  await page.click('#run-with-rbee');
  await page.locator('body[data-rbee="found"]').waitFor();
  const href = await page.locator('#rbee-open').getAttribute('href');
  expect(href === 'rbee://run/model/huggingface/test/tiny', 'links rbee://: ' + href);
  expect(await page.locator('#install-modal[open]').count() === 0, 'no install modal');
  await shot('static-rbee-found');
  srv.close();
});

await browser.close();
process.exit(failed ? 1 : 0);

// The dashboard reconnects by itself when the server restarts: run by
// tests/e2e/browser_test.cpp, which restarts `rbee serve` on the same port
// once READY_FILE exists and then submits a job this page must show.
//   node reconnect.mjs BASE_URL READY_FILE SCREENSHOT_DIR
import { launch } from './launch.mjs';
import fs from 'node:fs';
import path from 'node:path';

const [base, ready, shots] = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage();
let rc = 0;
try {
  await page.goto(base + '/');
  await page.locator('#conn.live').waitFor({ timeout: 20000 });
  fs.writeFileSync(ready, 'ready');
  await page.locator('#conn:not(.live)').waitFor({ timeout: 20000 });
  console.log('ok: noticed the server went away');
  await page.locator('#conn.live').waitFor({ timeout: 30000 });
  console.log('ok: reconnected');
  await page.locator('table.jobs td', { hasText: 'hive_get' }).first().waitFor({ timeout: 30000 });
  console.log('ok: a job of the new server is shown');
  await page.screenshot({ path: path.join(shots, 'reconnected.png'), fullPage: true });
} catch (e) {
  console.log('FAIL:', e.message.split('\n')[0]);
  await page.screenshot({ path: path.join(shots, 'reconnect-failed.png'), fullPage: true }).catch(() => {});
  rc = 1;
}
await browser.close();
process.exit(rc);

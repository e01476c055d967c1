// With an API token set on the server, the dashboard's own files load, its
// data waits for the token, and the token entered once is kept by the browser.
//   node token.mjs BASE_URL TOKEN SCREENSHOT_DIR
import { launch } from './launch.mjs';
import path from 'node:path';

const [base, token, shots] = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage();
page.setDefaultTimeout(20000);
let rc = 0;
try {
  await page.goto(base + '/');
  await page.locator('#conn:not(.live)').waitFor();
  if ((await page.locator('table.hives tr[data-hive]').count()) !== 0) throw new Error('no data without the token');
  await page.click('#token-button');
  await page.fill('#token-input', token);
  await page.click('#token-save');
  await page.locator('#conn.live').waitFor();
  await page.locator('table.hives tr[data-hive="localhost"]').waitFor();
  await page.reload();
  await page.locator('table.hives tr[data-hive="localhost"]').waitFor(); // kept across a reload
  await page.screenshot({ path: path.join(shots, 'token.png'), fullPage: true });
  console.log('ok: the token is asked once and kept');
} catch (e) {
  console.log('FAIL:', e.message.split('\n')[0]);
  await page.screenshot({ path: path.join(shots, 'token-failed.png'), fullPage: true }).catch(() => {});
  rc = 1;
}
await browser.close();
process.exit(rc);

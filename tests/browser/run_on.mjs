// "Run on…": with two hives, the model page offers both and auto_run goes to
// the chosen one. Run by tests/e2e/browser_test.cpp against `rbee queen` with
// hives alpha and beta:   node run_on.mjs BASE_URL SCREENSHOT_DIR
import { launch } from './launch.mjs';
import path from 'node:path';

const [base, shots] = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage();
page.setDefaultTimeout(30000);
let rc = 0;
try {
  await page.goto(base + '/#/market/test/tiny');
  await page.locator('#mp-hive option').nth(1).waitFor({ state: 'attached' });
  const options = await page.locator('#mp-hive option').allInnerTexts();
  if (!(options.some((o) => o.startsWith('alpha')) && options.some((o) => o.startsWith('beta'))))
    throw new Error('both hives offered: ' + options);
  // Each with the decode speed predicted from its measured memory bandwidth.
  if (!options.every((o) => / — up to \d+ tokens\/s$/.test(o))) throw new Error('a predicted speed per hive: ' + options);
  await page.selectOption('#mp-hive', 'beta');
  await page.screenshot({ path: path.join(shots, 'run-on.png'), fullPage: true });
  await page.click('#mp-run');
  await page.waitForURL(/#\/jobs\/job-/);
  await page.locator('#job-state.state-completed').waitFor({ timeout: 60000 });
  const result = await page.locator('pre.result').innerText();
  if (!/"hive_id": "beta"/.test(result)) throw new Error('auto_run ran on beta: ' + result);
  await page.screenshot({ path: path.join(shots, 'run-on-done.png'), fullPage: true });
  console.log('ok: auto_run on the chosen hive');
} catch (e) {
  console.log('FAIL:', e.message.split('\n')[0]);
  await page.screenshot({ path: path.join(shots, 'run-on-failed.png'), fullPage: true }).catch(() => {});
  rc = 1;
}
await browser.close();
process.exit(rc);

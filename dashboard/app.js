// The dashboard: a hash router over five views, fed live by the queen's global
// SSE feed (/v1/events: hives, jobs, narration, progress) — no polling loops.
import { call, stream, token } from './api.js';
import { overview } from './overview.js';
import { jobPage } from './job.js';
import { chat } from './chat.js';
import { market, modelPage } from './market.js';
import { workers } from './workers.js';

/** What the global feed has told us; views read it and re-render on change. */
export const live = {
  hives: new Map(),   // hive_id -> hive_info
  jobs: new Map(),    // job_id -> job_info
  progress: new Map(),// job_id -> {done, total, rate, eta}
  listeners: new Set(),
  changed(kind) { for (const f of this.listeners) f(kind); },
};

function feed() {
  const conn = document.getElementById('conn');
  stream('/v1/events', (e) => {
    const d = e.data;
    if (e.event === 'hive' && d.hive_id) live.hives.set(d.hive_id, d);
    else if (e.event === 'job' && d.job_id) live.jobs.set(d.job_id, d);
    else if (e.event === 'progress' && d.job_id && d.fields) {
      live.progress.set(d.job_id, { done: d.fields.bytes_done, total: d.fields.bytes_total, rate: d.fields.rate_bps, eta: d.fields.eta_s });
    } else return;
    live.changed(e.event);
  }, {
    onStatus: (up) => {
      conn.textContent = up ? 'live' : 'reconnecting…';
      conn.classList.toggle('live', up);
    },
  });
}

const routes = [
  [/^#?\/?$/, () => overview(), 'overview'],
  [/^#\/jobs\/([A-Za-z0-9._-]+)$/, (m) => jobPage(m[1]), 'overview'],
  [/^#\/chat$/, () => chat(), 'chat'],
  [/^#\/market$/, () => market(), 'market'],
  [/^#\/market\/([A-Za-z0-9._-]+\/[A-Za-z0-9._-]+)$/, (m) => modelPage(m[1]), 'market'],
  [/^#\/workers$/, () => workers(), 'workers'],
];

let current = null; // the view's cleanup
function route() {
  if (current) current();
  current = null;
  const view = document.getElementById('view');
  view.innerHTML = '';
  for (const [re, make, nav] of routes) {
    const m = location.hash.match(re);
    if (!m) continue;
    document.querySelectorAll('nav a').forEach((a) => {
      if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    current = make(m) || null;
    view.focus({ preventScroll: true });
    return;
  }
  view.innerHTML = '<h1>Not found</h1><p><a href="#/">Overview</a></p>';
}

function tokenDialog() {
  const dlg = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-button').addEventListener('click', () => {
    input.value = token.get();
    dlg.showModal();
  });
  dlg.addEventListener('close', () => {
    if (dlg.returnValue === 'save') {
      token.set(input.value.trim());
      location.reload();
    }
  });
}

/** The hives and jobs as they are now, before the first view draws: a page
 * loaded directly (or reloaded) renders what it renders when reached from
 * another; the feed keeps them current from then on. */
async function snapshot() {
  const [h, j] = await Promise.all([call('/v1/hives').catch(() => ({})), call('/v1/jobs').catch(() => ({}))]);
  for (const x of h.hives || []) if (!live.hives.has(x.hive_id)) live.hives.set(x.hive_id, x);
  for (const x of j.jobs || []) if (!live.jobs.has(x.job_id)) live.jobs.set(x.job_id, x);
}

tokenDialog();
feed();
window.addEventListener('hashchange', route);
snapshot().finally(route);

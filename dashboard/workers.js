// Worker cards from the catalog, with each hive's platform compatibility and
// install / remove buttons (the jobs stream on their own pages).
import { runJob, submit, esc } from './api.js';
import { live } from './app.js';

/** Why `entry` cannot run on hive `h`, or '' when it can. */
function incompatible(entry, h) {
  const c = h.capabilities || {};
  if (!(entry.platforms || []).includes(c.os)) return `runs on ${(entry.platforms || []).join(', ')}`;
  if (!(entry.architectures || []).includes(c.arch)) return `needs ${(entry.architectures || []).join(', ')}`;
  if (entry.backend === 'cuda' && !(c.gpus || []).length) return 'needs an NVIDIA GPU';
  return '';
}

const onlineHives = () => [...live.hives.values()].filter((h) => h.state === 'online');

export function workers() {
  const view = document.getElementById('view');
  view.innerHTML = `<h1>Workers</h1><div id="wk-status" class="muted">reading the catalog…</div><div id="wk-cards" class="cards"></div>`;
  let drawn = null;
  const draw = () => {
    drawn = onlineHives().map((h) => h.hive_id).join(',');
    cards(onlineHives());
  };
  // A hive joining or leaving changes the rows: drawn again.
  const changed = (kind) => { if (kind === 'hive' && onlineHives().map((h) => h.hive_id).join(',') !== drawn) draw(); };
  draw();
  live.listeners.add(changed);
  return () => live.listeners.delete(changed);
}

function cards(hives) {
  const $ = (s) => document.getElementById(s);
  Promise.all([runJob({ operation: 'worker_catalog_list' }),
    Promise.all(hives.map((h) => runJob({ operation: 'worker_list_installed', hive_id: h.hive_id }).catch(() => [])))])
    .then(([catalog, installed]) => {
      if (!$('wk-cards')) return; // another view by now
      $('wk-status').textContent = '';
      $('wk-cards').innerHTML = (catalog || []).map((w) => {
        const per = hives.map((h, i) => {
          const why = incompatible(w, h);
          const have = (installed[i] || []).find((x) => x.worker_id === w.id);
          const action = have
            ? `<button class="ghost wk-op" data-op="worker_remove" data-hive="${esc(h.hive_id)}" data-id="${esc(w.id)}">Remove ${esc(have.version)}</button>`
            : why ? `<span class="muted">${esc(why)}</span>`
              : `<button class="wk-op" data-op="worker_install" data-hive="${esc(h.hive_id)}" data-id="${esc(w.id)}">Install</button>`;
          return `<li>${esc(h.hive_id)}: ${why ? '<span class="bad">✗</span>' : '<span class="ok">✓</span>'} ${action}</li>`;
        });
        return `<article class="card worker-card" data-worker="${esc(w.id)}"><h3>${esc(w.name || w.id)}</h3>
          <div class="muted">${esc(w.id)} ${esc(w.version)} · ${esc(w.backend)} · ${esc((w.platforms || []).join('/'))} ${esc((w.architectures || []).join('/'))}</div>
          <p>${esc(w.description)}</p><ul>${per.join('')}</ul></article>`;
      }).join('') || '<p class="muted">the catalog is empty</p>';
      document.querySelectorAll('.wk-op').forEach((b) => b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          const { job_id } = await submit({ operation: b.dataset.op, hive_id: b.dataset.hive, worker_id: b.dataset.id });
          location.hash = '#/jobs/' + job_id;
        } catch (e) {
          b.insertAdjacentHTML('afterend', `<span class="error"> ${esc(e.message)}</span>`);
        }
      }));
    })
    .catch((e) => { if ($('wk-status')) $('wk-status').innerHTML = `<span class="error">${esc(e.message)}</span>`; });
}

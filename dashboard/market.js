// Marketplace: GGUF models on Hugging Face through the queen (search, filters,
// sort), a model page with its files, and "Run locally" (auto_run) on a hive.
import { call, submit, esc, bytes } from './api.js';

const num = (n) => (n >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : n >= 1e3 ? (n / 1e3).toFixed(1) + 'k' : String(n ?? 0));
const params = (n) => (!n ? '' : n >= 1e9 ? (n / 1e9).toFixed(1) + 'B params' : n >= 1e6 ? (n / 1e6).toFixed(0) + 'M params'
  : (n / 1e3).toFixed(0) + 'K params');

function card(m) {
  return `<article class="card model-card" data-model="${esc(m.id)}"><h3><a href="#/market/${esc(m.id)}">${esc(m.id)}</a></h3>
    <div class="muted">⬇ ${num(m.downloads)} · ♥ ${num(m.likes)}${m.license ? ' · ' + esc(m.license) : ''}${m.parameters ? ' · ' + params(m.parameters) : ''}</div>
    <div>${(m.quantizations || []).map((q) => `<span class="tag">${esc(q)}</span>`).join('')}</div></article>`;
}

export function market() {
  const view = document.getElementById('view');
  view.innerHTML = `<h1>Marketplace</h1>
    <form id="mk-form" class="row" role="search">
      <input id="mk-search" type="search" placeholder="Search GGUF models" aria-label="search" maxlength="100">
      <label>Sort <select id="mk-sort"><option value="downloads">downloads</option><option value="trending">trending</option><option value="likes">likes</option></select></label>
      <label>Quantization <select id="mk-quant"><option value="">any</option></select></label>
      <label>Licence <select id="mk-license"><option value="">any</option></select></label>
      <label>Max size <select id="mk-size"><option value="">any</option><option value="1e9">≤ 1B</option><option value="4e9">≤ 4B</option><option value="9e9">≤ 9B</option></select></label>
      <button type="submit">Search</button></form>
    <div id="mk-status" class="muted"></div><div id="mk-cards" class="cards"></div>`;
  const $ = (s) => document.getElementById(s);
  let models = [];
  const filtered = () => models.filter((m) =>
    (!$('mk-quant').value || (m.quantizations || []).includes($('mk-quant').value)) &&
    (!$('mk-license').value || m.license === $('mk-license').value) &&
    (!$('mk-size').value || (m.parameters && m.parameters <= Number($('mk-size').value))));
  const draw = () => {
    const list = filtered();
    $('mk-cards').innerHTML = list.map(card).join('');
    $('mk-status').textContent = `${list.length} of ${models.length} models`;
  };
  const options = (id, values) => {
    const keep = $(id).value;
    $(id).innerHTML = '<option value="">any</option>' + [...values].sort().map((v) => `<option>${esc(v)}</option>`).join('');
    $(id).value = keep;
  };
  const load = async () => {
    $('mk-status').textContent = 'searching…';
    try {
      const q = new URLSearchParams({ search: $('mk-search').value, sort: $('mk-sort').value, limit: '50' });
      models = await call('/v1/marketplace/models?' + q);
      options('mk-quant', new Set(models.flatMap((m) => m.quantizations || [])));
      options('mk-license', new Set(models.map((m) => m.license).filter(Boolean)));
      draw();
    } catch (e) {
      $('mk-status').innerHTML = `<span class="error">${esc(e.message)}</span>`;
    }
  };
  $('mk-form').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  for (const id of ['mk-quant', 'mk-license', 'mk-size']) $(id).addEventListener('change', draw);
  $('mk-sort').addEventListener('change', load);
  load();
}

export function modelPage(id) {
  const view = document.getElementById('view');
  view.innerHTML = `<p><a href="#/market">← Marketplace</a></p><h1>${esc(id)}</h1><div id="mp-body" class="muted">loading…</div>`;
  let hives = [];
  Promise.all([call('/v1/marketplace/models/' + id), call('/v1/hives')]).then(([m, h]) => {
    // Asked afresh: a page opened directly may come before the live feed's first events.
    const online = (h.hives || []).filter((x) => x.state === 'online');
    hives = online.map((x) => x.hive_id);
    // Decode reads the weights once per token: about 90% of a hive's measured read
    // bandwidth over the file's size (the smallest file: "up to"), as the queen's
    // predicted_tokens_per_s (actors/queen/schedule.cpp) says.
    const sizes = (m.files || []).map((f) => f.size).filter((x) => x > 0);
    const smallest = sizes.length ? Math.min(...sizes) : 0;
    const predict = (x) => {
      const bw = (x.capabilities || {}).read_bandwidth;
      return bw && smallest ? ` — up to ${Math.round((0.9 * bw) / smallest)} tokens/s` : '';
    };
    const chooser = hives.length > 1
      ? `<label>Run on… <select id="mp-hive">${online.map((x) => `<option value="${esc(x.hive_id)}">${esc(x.hive_id)}${predict(x)}</option>`).join('')}</select></label>` : '';
    const rows = (m.files || []).map((f) => `<tr><td>${esc(f.path)}</td><td>${esc(f.quantization)}</td><td>${bytes(f.size)}</td>
      <td><button class="ghost mp-download" type="button" data-file="${esc(f.path)}">Download</button></td></tr>`);
    document.getElementById('mp-body').className = '';
    document.getElementById('mp-body').innerHTML = `<p class="muted">⬇ ${num(m.downloads)} · ♥ ${num(m.likes)}${m.license ? ' · licence ' + esc(m.license) : ''}</p>
      <div class="row">${chooser}<button id="mp-run" type="button">Run locally</button><span id="mp-status"></span></div>
      <h2>Files</h2><table class="files"><thead><tr><th>File</th><th>Quantization</th><th>Size</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
    const hive = () => (document.getElementById('mp-hive') ? document.getElementById('mp-hive').value : hives[0] || 'localhost');
    const go = async (op) => {
      try {
        const { job_id } = await submit(op);
        location.hash = '#/jobs/' + job_id;
      } catch (e) {
        document.getElementById('mp-status').innerHTML = `<span class="error">${esc(e.message)}</span>`;
      }
    };
    document.getElementById('mp-run').addEventListener('click', () => go({ operation: 'auto_run', model: id, hive_id: hive() }));
    document.querySelectorAll('.mp-download').forEach((b) => b.addEventListener('click', () =>
      go({ operation: 'model_download', model: id + ':' + b.dataset.file, hive_id: hive() })));
  }).catch((e) => {
    document.getElementById('mp-body').innerHTML = `<p class="error">${esc(e.message)}</p>`;
  });
}

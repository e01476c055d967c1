// Overview: hives and their capabilities, loaded workers, models, jobs — live.
import { call, esc, bytes, submit } from './api.js';
import { live } from './app.js';

function hivesTable() {
  const rows = [...live.hives.values()].map((h) => {
    const c = h.capabilities || {};
    const gpus = (c.gpus || []).map((g) => `${esc(g.name)} ${bytes(g.memory_total)}`).join('; ') || `<span class="muted">none</span>`;
    return `<tr data-hive="${esc(h.hive_id)}"><td>${esc(h.hive_id)}</td><td class="state-${esc(h.state)}">${esc(h.state)}</td>
      <td>${esc(c.cpu_model)} (${c.cores ?? '?'} CPUs)</td><td>${(c.simd || []).map((s) => `<span class="tag">${esc(s)}</span>`).join('')}</td>
      <td>${bytes(c.ram_available)} / ${bytes(c.ram_total)}</td><td>${gpus}</td></tr>`;
  });
  return `<table class="hives"><thead><tr><th>Hive</th><th>State</th><th>CPU</th><th>SIMD</th><th>RAM free / total</th><th>GPUs</th></tr></thead>
    <tbody>${rows.join('') || '<tr><td colspan="6" class="muted">no hive has joined</td></tr>'}</tbody></table>`;
}

// The machines of the user's ssh config: where a hive can be installed (a job
// whose page streams the remote work), with the state the queen knows.
async function machines(el) {
  try {
    const { hosts = [] } = await call('/v1/hosts');
    if (!hosts.length) {
      el.innerHTML = '<p class="muted">no hosts in your ssh config (~/.ssh/config): add one to install a hive there</p>';
      return;
    }
    const rows = hosts.map((h) => {
      const hive = live.hives.get(h.host);
      const state = hive ? hive.state : h.issued ? 'installed' : 'not installed';
      const action = hive && hive.state === 'online' ? ''
        : `<button class="ghost host-install" type="button" data-host="${esc(h.host)}">${h.issued ? 'Reinstall' : 'Install hive'}</button>`;
      return `<tr><td>${esc(h.host)}</td><td class="state-${esc(state.replace(' ', '-'))}">${esc(state)}</td><td>${action}</td></tr>`;
    });
    el.innerHTML = `<table class="machines"><thead><tr><th>Host (ssh)</th><th>State</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
    el.querySelectorAll('.host-install').forEach((b) => b.addEventListener('click', async () => {
      try {
        const { job_id } = await submit({ operation: 'hive_remote', action: 'install', host: b.dataset.host });
        location.hash = '#/jobs/' + job_id;
      } catch (e) {
        el.insertAdjacentHTML('beforeend', `<p class="error">${esc(e.message)}</p>`);
      }
    }));
  } catch (e) {
    el.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
}

function duration(j) {
  const end = j.finished_ms || Date.now();
  return j.started_ms ? ((end - j.started_ms) / 1000).toFixed(1) + ' s' : '';
}

function jobsTable() {
  const jobs = [...live.jobs.values()].sort((a, b) => b.created_ms - a.created_ms).slice(0, 50);
  const rows = jobs.map((j) => {
    const p = live.progress.get(j.job_id);
    const bar = p && j.state === 'running' && p.total ? `<progress max="${p.total}" value="${p.done}"></progress>` : '';
    const err = j.error ? `<span class="error">${esc(j.error.message || j.error.code)}</span>` : '';
    return `<tr><td><a href="#/jobs/${esc(j.job_id)}">${esc(j.job_id)}</a></td><td>${esc(j.operation)}</td><td>${esc(j.hive_id)}</td>
      <td class="state-${esc(j.state)}">${esc(j.state)}</td><td>${bar}${err}</td><td>${duration(j)}</td></tr>`;
  });
  return `<table class="jobs"><thead><tr><th>Job</th><th>Operation</th><th>Hive</th><th>State</th><th>Progress</th><th>Duration</th></tr></thead>
    <tbody>${rows.join('') || '<tr><td colspan="6" class="muted">no jobs yet</td></tr>'}</tbody></table>`;
}

async function workersAndModels(el) {
  try {
    const [w, m] = await Promise.all([call('/v1/workers'), call('/v1/models')]);
    const ws = (w.workers || []).map((x) => `<tr><td>${esc(x.model)}</td><td>${esc(x.hive_id)}</td><td>${esc(x.worker_id)}</td><td>${esc(x.device)}</td>
      <td>${esc(x.state)}</td><td>${bytes(x.memory_bytes)}</td><td>${x.busy}/${x.slots}</td>
      <td>${x.tokens_per_s ? x.tokens_per_s.toFixed(1) : '-'}</td></tr>`);
    const ms = (m.data || []).map((x) => `<tr><td>${esc(x.id)}</td><td>${esc(x.hive_id)}</td><td>${esc(x.arch)}</td><td>${esc(x.quantization)}</td>
      <td>${bytes(x.size)}</td><td>${x.loaded ? 'loaded' : ''}</td></tr>`);
    el.innerHTML = `<h2>Workers</h2><table class="workers"><thead><tr><th>Model</th><th>Hive</th><th>Worker</th><th>Device</th><th>State</th><th>Memory</th><th>Busy</th><th>Tokens/s</th></tr></thead>
      <tbody>${ws.join('') || '<tr><td colspan="8" class="muted">no model is loaded</td></tr>'}</tbody></table>
      <h2>Models in the stores</h2><table class="models"><thead><tr><th>Model</th><th>Hive</th><th>Arch</th><th>Quant</th><th>Size</th><th></th></tr></thead>
      <tbody>${ms.join('') || '<tr><td colspan="6" class="muted">no models — see the Marketplace</td></tr>'}</tbody></table>`;
  } catch (e) {
    el.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
}

export function overview() {
  const view = document.getElementById('view');
  view.innerHTML = `<h1>Overview</h1><h2>Hives</h2><div id="ov-hives"></div><h2>Machines</h2><div id="ov-hosts"></div>
    <div id="ov-wm"></div><h2>Jobs</h2><div id="ov-jobs"></div>`;
  const draw = (kind) => {
    if (!kind || kind === 'hive') {
      document.getElementById('ov-hives').innerHTML = hivesTable();
      machines(document.getElementById('ov-hosts'));
    }
    if (!kind || kind === 'job' || kind === 'progress') document.getElementById('ov-jobs').innerHTML = jobsTable();
    // Loaded workers and stores change with jobs: refresh them when one ends.
    if (!kind || kind === 'job') {
      clearTimeout(refresh);
      refresh = setTimeout(() => workersAndModels(document.getElementById('ov-wm')), kind ? 300 : 0);
    }
  };
  let refresh = null;
  draw();
  live.listeners.add(draw);
  return () => {
    clearTimeout(refresh);
    live.listeners.delete(draw);
  };
}

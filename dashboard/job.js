// A job's page: the narration timeline as it happens, a progress bar for
// transfers, the build output as a scrolling log, the result or the error,
// and a cancel button.
import { stream, cancel, esc, bytes, isTerminal } from './api.js';

export function jobPage(id) {
  const view = document.getElementById('view');
  view.innerHTML = `<h1>Job <span class="mono">${esc(id)}</span> <span id="job-state" class="muted">…</span></h1>
    <div class="row"><button id="job-cancel" class="ghost" type="button">Cancel</button></div>
    <div id="job-progress" hidden><progress id="job-bar" max="1" value="0"></progress><div id="job-rate" class="muted"></div></div>
    <div id="job-outcome"></div>
    <h2>Narration</h2><ol id="job-timeline" class="timeline"></ol>
    <div id="job-build" hidden><h2>Build output</h2><pre id="job-log" class="log"></pre></div>`;
  const $ = (s) => document.getElementById(s);
  const setState = (s) => {
    $('job-state').textContent = s;
    $('job-state').className = 'state-' + s;
    $('job-cancel').disabled = ['completed', 'failed', 'cancelled'].includes(s);
  };
  $('job-cancel').addEventListener('click', async () => {
    $('job-cancel').disabled = true;
    try { await cancel(id); } catch (e) { $('job-outcome').innerHTML = `<p class="error">${esc(e.message)}</p>`; }
  });
  let tokens = '';
  const s = stream(`/v1/jobs/${encodeURIComponent(id)}/stream`, (e) => {
    const d = e.data || {};
    if (e.event === 'state' && d.state) setState(d.state);
    else if (e.event === 'narration') {
      const li = document.createElement('li');
      if (d.lvl === 'error' || d.level === 'error') li.className = 'error';
      li.innerHTML = `<span class="actor">[${esc(d.actor)}]</span>${esc(d.human)}`;
      $('job-timeline').appendChild(li);
    } else if (e.event === 'progress' && d.fields) {
      const f = d.fields;
      $('job-progress').hidden = false;
      $('job-bar').max = f.bytes_total || 1;
      $('job-bar').value = f.bytes_done || 0;
      const pct = f.bytes_total ? Math.floor((100 * f.bytes_done) / f.bytes_total) : 0;
      $('job-rate').textContent = `${pct}% · ${bytes(f.bytes_done)} of ${bytes(f.bytes_total)} · ${bytes(f.rate_bps)}/s · ETA ${Math.round(f.eta_s || 0)} s`;
    } else if (e.event === 'build_output') {
      $('job-build').hidden = false;
      const log = $('job-log');
      const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.textContent += d.human + '\n';
      if (stick) log.scrollTop = log.scrollHeight;
    } else if (e.event === 'token') {
      tokens += d.text || '';
      $('job-outcome').innerHTML = `<div class="answer">${esc(tokens)}</div>`;
    } else if (e.event === 'done') {
      setState('completed');
      if (d.state !== 'completed' && d.state) setState(d.state);
      $('job-progress').hidden = $('job-progress').hidden || false;
      $('job-outcome').innerHTML = `<h2>Result</h2><pre class="log result">${esc(JSON.stringify(d.result, null, 2))}</pre>`;
    } else if (e.event === 'error') {
      setState('failed');
      const err = d.error || {};
      $('job-outcome').innerHTML = `<p class="error job-error"><strong>${esc(err.code)}</strong>: ${esc(err.message)}</p>`;
    } else if (e.event === 'cancelled') {
      setState('cancelled');
      $('job-outcome').innerHTML = '<p class="muted">Cancelled.</p>';
    }
  }, { stopWhen: (e) => isTerminal(e.event) });
  return () => s.close();
}

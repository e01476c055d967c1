// Chat: pick a model (and a hive), stream the answer through the
// OpenAI-compatible endpoint, stop it, see tokens per second.
import { call, esc, headers, readEvents } from './api.js';
import { live } from './app.js';

export function chat() {
  const view = document.getElementById('view');
  view.innerHTML = `<h1>Chat</h1>
    <div class="row"><label>Model <select id="chat-model"></select></label>
      <label>Hive <select id="chat-hive"><option value="">any</option></select></label>
      <span id="chat-speed" class="muted"></span></div>
    <div id="chat-log" class="chat-log"></div>
    <form id="chat-form" class="row"><textarea id="chat-input" rows="3" cols="60" placeholder="Ask something (Enter sends, Shift+Enter is a new line)"></textarea>
      <button id="chat-send" type="submit">Send</button><button id="chat-stop" type="button" class="ghost" disabled>Stop</button></form>`;
  const $ = (s) => document.getElementById(s);
  for (const h of live.hives.values()) $('chat-hive').insertAdjacentHTML('beforeend', `<option>${esc(h.hive_id)}</option>`);
  call('/v1/models').then((m) => {
    const ids = (m.data || []).map((x) => x.id);
    $('chat-model').innerHTML = ids.map((id) => `<option>${esc(id)}</option>`).join('') || '<option value="">no models — see the Marketplace</option>';
  }).catch((e) => { $('chat-log').innerHTML = `<p class="error">${esc(e.message)}</p>`; });
  const history = [];
  let abort = null;
  $('chat-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('chat-form').requestSubmit(); }
  });
  $('chat-stop').addEventListener('click', () => abort && abort.abort());
  $('chat-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('chat-input').value.trim();
    const model = $('chat-model').value;
    if (!text || !model) return;
    $('chat-input').value = '';
    history.push({ role: 'user', content: text });
    $('chat-log').insertAdjacentHTML('beforeend', `<div class="user">${esc(text)}</div><div class="answer assistant"></div>`);
    const out = [...document.querySelectorAll('#chat-log .assistant')].pop();
    abort = new AbortController();
    $('chat-send').disabled = true;
    $('chat-stop').disabled = false;
    let answer = '', n = 0, first = 0;
    try {
      const body = { model, messages: history, stream: true };
      if ($('chat-hive').value) body.hive_id = $('chat-hive').value;
      const r = await fetch('/v1/chat/completions', {
        method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body), signal: abort.signal,
      });
      if (!r.ok) {
        const err = await r.json().catch(() => ({}));
        throw new Error(err.error ? err.error.message : 'HTTP ' + r.status);
      }
      await readEvents(r.body, (e) => { // OpenAI's chunks, ending with data: [DONE]
        if (e.data === '[DONE]') return;
        const chunk = JSON.parse(e.data);
        if (chunk.error) throw new Error(chunk.error.message);
        const piece = chunk.choices && chunk.choices[0] && chunk.choices[0].delta ? chunk.choices[0].delta.content || '' : '';
        if (!piece) return;
        if (!n) first = performance.now();
        n += 1;
        answer += piece;
        out.textContent = answer;
        const secs = (performance.now() - first) / 1000;
        if (n > 1 && secs > 0) $('chat-speed').textContent = `${((n - 1) / secs).toFixed(1)} tokens/s`;
      });
    } catch (err) {
      if (err.name !== 'AbortError') out.insertAdjacentHTML('beforeend', `<p class="error">${esc(err.message)}</p>`);
    } finally {
      history.push({ role: 'assistant', content: answer });
      $('chat-send').disabled = false;
      $('chat-stop').disabled = true;
      abort = null;
    }
  });
  return () => abort && abort.abort();
}

// The queen's API from the browser: JSON calls, jobs, and SSE streams read with
// fetch (so that the API token can travel in a header), reconnecting by
// themselves with Last-Event-ID after the server restarts.

const tokenKey = 'rbee.token';
export const token = {
  get: () => localStorage.getItem(tokenKey) || '',
  set: (t) => (t ? localStorage.setItem(tokenKey, t) : localStorage.removeItem(tokenKey)),
};

/** Request headers with the API token, when one is kept. */
export function headers(extra = {}) {
  const h = { ...extra };
  const t = token.get();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

/** GET or POST JSON; throws Error(message) with the API's error message. */
export async function call(path, { method = 'GET', body, signal } = {}) {
  const r = await fetch(path, {
    method, signal,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) {
    const msg = data && data.error ? `${data.error.code}: ${data.error.message}` : `HTTP ${r.status}`;
    throw new Error(msg);
  }
  return data;
}

export const submit = (op) => call('/v1/jobs', { method: 'POST', body: op });
export const cancel = (id) => call('/v1/jobs/' + encodeURIComponent(id), { method: 'DELETE' });

/** Parses an SSE byte stream; calls onEvent({id, event, data}) per event. */
export async function readEvents(body, onEvent) {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '', ev = { event: 'message', data: [], id: null };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line === '') {
        if (ev.data.length) onEvent({ id: ev.id, event: ev.event, data: ev.data.join('\n') });
        ev = { event: 'message', data: [], id: null };
      } else if (!line.startsWith(':')) {
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
        if (field === 'data') ev.data.push(value);
        else if (field === 'event') ev.event = value;
        else if (field === 'id') ev.id = value;
      }
    }
  }
}

/**
 * Follows an SSE endpoint until close() or `stopWhen(event)` is true; reconnects
 * after 1-5 s, resuming after the last event id. onStatus(true|false) reports the link.
 */
export function stream(path, onEvent, { stopWhen = () => false, onStatus = () => {} } = {}) {
  let lastId = null, closed = false, delay = 1000;
  const ctl = { abort: null };
  (async () => {
    while (!closed) {
      const ac = new AbortController();
      ctl.abort = () => ac.abort();
      try {
        const r = await fetch(path, { headers: headers(lastId ? { 'Last-Event-ID': lastId } : {}), signal: ac.signal });
        if (!r.ok) throw new Error('HTTP ' + r.status);
        onStatus(true);
        delay = 1000;
        await readEvents(r.body, (e) => {
          if (e.id) lastId = e.id;
          let data = e.data;
          try { data = JSON.parse(e.data); } catch { /* keep text */ }
          const ev = { event: e.event, data };
          onEvent(ev);
          if (stopWhen(ev)) { closed = true; ac.abort(); }
        });
      } catch (err) {
        if (closed) return;
      }
      onStatus(false);
      if (closed) return;
      await new Promise((res) => setTimeout(res, delay));
      delay = Math.min(delay * 2, 5000);
    }
  })();
  return { close() { closed = true; if (ctl.abort) ctl.abort(); } };
}

const terminal = new Set(['done', 'error', 'cancelled']);

/** Submits an operation and resolves with its result (rejects with its error). */
export async function runJob(op) {
  const { job_id } = await submit(op);
  return new Promise((resolve, reject) => {
    stream(`/v1/jobs/${job_id}/stream`, (e) => {
      if (e.event === 'done') resolve(e.data.result);
      else if (e.event === 'error') reject(new Error(e.data.error ? e.data.error.message : 'failed'));
      else if (e.event === 'cancelled') reject(new Error('cancelled'));
    }, { stopWhen: (e) => terminal.has(e.event) });
  });
}

export const isTerminal = (e) => terminal.has(e);

/** Escapes text for innerHTML. */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export function bytes(n) {
  if (!n) return '-';
  if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + ' GiB';
  return (n / (1 << 20)).toFixed(1) + ' MiB';
}

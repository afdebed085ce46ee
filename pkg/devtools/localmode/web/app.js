// Local mode's demo page: presign with the broker, then upload straight to
// OSS with XHR (fetch has no upload progress). No framework, no inline
// script: the page runs under a strict Content-Security-Policy.
'use strict';

const form = document.getElementById('upload-form');
const tokenInput = document.getElementById('token');
const tokenHint = document.getElementById('token-hint');
const folderInput = document.getElementById('folder');
const filesInput = document.getElementById('files');
const overwriteInput = document.getElementById('overwrite');
const modePost = document.getElementById('mode-post');
const maxBytesInput = document.getElementById('max-bytes');
const formError = document.getElementById('form-error');
const list = document.getElementById('uploads');
const empty = document.getElementById('uploads-empty');

// Prefill the dev token and the dev user's folder (local mode only).
fetch('/dev/token', { cache: 'no-store' })
  .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`GET /dev/token: ${res.status}`))))
  .then((dev) => {
    if (!folderInput.value) folderInput.value = dev.folder;
    if (dev.token) {
      if (!tokenInput.value) tokenInput.value = dev.token;
      tokenHint.textContent = `Local mode's dev token (sub=${dev.sub}, valid ${Math.round(dev.expiresIn / 60)} min). Edit it to try another.`;
    } else {
      tokenHint.textContent = 'The broker uses your own JWT keys: paste a token.';
    }
  })
  .catch((err) => {
    tokenHint.textContent = `No dev token (${err.message}): paste a token.`;
  });

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (start(Array.from(filesInput.files))) filesInput.value = '';
});

// Drag and drop: files dropped anywhere on the drop zone upload as if picked.
const drop = document.getElementById('drop');
for (const type of ['dragenter', 'dragover']) {
  drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add('drop-over');
  });
}
drop.addEventListener('dragleave', () => drop.classList.remove('drop-over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('drop-over');
  start(Array.from(event.dataTransfer.files));
});

// start queues files with the form's settings; false when the form is not
// ready (no token, no files), saying why.
function start(files) {
  const token = tokenInput.value.trim();
  const problem = !token ? 'Enter a bearer token.' : files.length === 0 ? 'Choose one or more files.' : '';
  formError.hidden = !problem;
  formError.textContent = problem;
  if (problem) return false;
  const folder = folderInput.value.trim();
  const overwrite = overwriteInput.checked;
  const maxBytes = maxBytesInput.value.trim() === '' ? undefined : Number(maxBytesInput.value);
  const post = modePost.checked;
  for (const file of files) {
    const key = folder + file.name;
    const row = addRow(file);
    const run = () => {
      row.controller = new AbortController();
      if (post) return uploadForm(file, key, token, overwrite, maxBytes, row);
      if (file.size > MULTIPART_THRESHOLD) return uploadMultipart(file, key, token, overwrite, row);
      return upload(file, key, token, overwrite, row);
    };
    row.run = () => enqueue(row, run);
    row.run();
  }
  return true;
}

// The queue: ACTIVE_FILES files upload at a time, the rest wait their turn.
const ACTIVE_FILES = 2;
const waiting = [];
let active = 0;
function enqueue(row, run) {
  row.state('queued', `Waiting: ${ACTIVE_FILES} files upload at a time.`);
  waiting.push({ row, run });
  pump();
}
function pump() {
  while (active < ACTIVE_FILES && waiting.length > 0) {
    const { run } = waiting.shift();
    active++;
    Promise.resolve().then(run).catch(() => {}).finally(() => {
      active--;
      pump();
    });
  }
}

// addRow shows one file: name, size, progress bar, status.
function addRow(file) {
  empty.hidden = true;
  const li = el('li', 'upload');
  li.dataset.file = file.name;
  li.dataset.state = 'presigning';
  const head = el('div', 'upload-head');
  head.append(el('span', 'upload-name', file.name), el('span', 'upload-size', formatSize(file.size)));
  const bar = el('div', 'upload-bar');
  const progress = el('progress');
  progress.max = 100;
  progress.value = 0;
  progress.setAttribute('aria-label', `Upload progress of ${file.name}`);
  const pct = el('span', 'upload-pct', '0%');
  pct.setAttribute('aria-hidden', 'true');
  bar.append(progress, pct);
  const status = el('p', 'upload-status', 'Asking the broker for a presigned URL…');
  status.setAttribute('role', 'status');
  const receiptLine = el('p', 'upload-receipt');
  receiptLine.hidden = true;
  const actions = el('div', 'upload-actions');
  const cancel = el('button', 'upload-cancel', 'Cancel');
  cancel.type = 'button';
  const retry = el('button', 'upload-retry', 'Retry');
  retry.type = 'button';
  retry.hidden = true;
  actions.append(cancel, retry);
  li.append(head, bar, status, receiptLine, actions);
  list.append(li);
  const row = {
    el: li,
    controller: new AbortController(),
    run: null,
    progress(p) {
      progress.value = p;
      pct.textContent = `${p}%`;
    },
    state(state, text) {
      li.dataset.state = state;
      status.textContent = text;
      const over = state === 'done' || state === 'error' || state === 'cancelled';
      cancel.hidden = over;
      retry.hidden = !(state === 'error' && row.resumable);
    },
    // done is an accepted upload (its receipt said so).
    done(key, etag) {
      this.progress(100);
      li.dataset.key = key;
      this.state('done', `Stored as ${key}${etag ? ` (ETag ${etag})` : ''}`);
    },
    // pending is an upload whose answer carried no verdict: it is written,
    // and the inspector may still reject it, so it is not called stored.
    pending(key, etag, why) {
      this.progress(100);
      li.dataset.key = key;
      li.dataset.verdict = 'pending';
      this.state('done', `Uploaded as ${key}${etag ? ` (ETag ${etag})` : ''}, verdict pending: ${why}`);
    },
    fail(text) {
      li.dataset.error = text;
      this.state('error', text);
    },
    // receipt shows the broker's verdict on what was stored (upload
    // callbacks on): accepted is done; rejected is an error, the object
    // deleted or tagged.
    receipt(rc) {
      li.dataset.verdict = rc.verdict;
      li.dataset.detectedType = rc.detectedType;
      li.dataset.receipt = JSON.stringify(rc);
      receiptLine.hidden = false;
      receiptLine.textContent = rc.verdict === 'accepted'
        ? `Accepted: the content is ${rc.detectedType} (declared ${rc.declaredType}), ${rc.size} bytes.`
        : `Rejected (${rc.reason}): the content is ${rc.detectedType}, declared ${rc.declaredType}; the object was ${rc.action}.`;
      if (rc.verdict === 'accepted') {
        this.done(rc.key, rc.etag);
      } else {
        this.progress(100);
        this.fail(`Rejected: ${rc.reason}`);
      }
    },
  };
  cancel.addEventListener('click', () => {
    const queued = waiting.findIndex((w) => w.row === row);
    if (queued >= 0) {
      waiting.splice(queued, 1);
      row.state('cancelled', 'Cancelled before it started: nothing was sent.');
      return;
    }
    row.controller.abort();
  });
  retry.addEventListener('click', () => {
    li.dataset.error = '';
    row.resumable = false;
    row.run();
  });
  return row;
}

// finish shows what OSS answered a stored upload: with upload callbacks on
// it is the broker's receipt (JSON); 203 CallbackFailed means stored, the
// verdict pending; otherwise (callbacks off, PUBLIC_BASE_URL=off) the key,
// verdict pending.
function finish(row, key, r) {
  if (r.status === 203) {
    row.pending(key, r.etag, `OSS could not call the broker back (${ossError(r.text)}); the inspector judges it after the upload.`);
    return;
  }
  let rc = null;
  try {
    rc = r.text ? JSON.parse(r.text) : null;
  } catch {
    rc = null;
  }
  if (rc && rc.verdict) row.receipt(rc);
  else row.pending(key, r.etag, 'upload callbacks are off (PUBLIC_BASE_URL); the inspector judges it after the upload.');
}

async function upload(file, key, token, overwrite, row) {
  const contentType = file.type || 'application/octet-stream';
  let presigned;
  try {
    // contentLength pins the size: the URL then takes exactly this file.
    presigned = await retried(row, 'the presign request', () =>
      broker('/v1/presign', token, { key, contentType, contentLength: file.size, overwrite }, row.controller.signal));
  } catch (err) {
    if (err.name === 'AbortError') row.state('cancelled', 'Cancelled: nothing was sent.');
    else row.fail(err.message);
    return;
  }

  row.state('uploading', `Uploading to ${new URL(presigned.url).origin}…`);
  try {
    // Exactly the returned headers: they are signed (send skips only
    // Content-Length, which the browser sets from the body). The bar stops
    // at 99% until OSS has answered: 100% means stored.
    const r = await sendRetried(row, 'the file', presigned.method, presigned.url, presigned.headers, file, (n, total) => {
      if (total > 0) row.progress(Math.min(99, Math.floor((n / total) * 100)));
    });
    if (r.status >= 200 && r.status < 300) finish(row, presigned.key, r);
    else row.fail(`OSS said ${r.status} ${ossError(r.text)}`);
  } catch (err) {
    if (err.name === 'AbortError') row.state('cancelled', 'Cancelled: the upload was stopped before OSS stored it.');
    else row.fail(err.message);
  }
}

// Files over MULTIPART_THRESHOLD go as a multipart upload: the broker
// starts it and hands back a handle; parts are presigned in batches of up
// to 100 and sent PART_CONCURRENCY at a time; one bar shows the whole file.
const MULTIPART_THRESHOLD = 32 * 1024 * 1024;
const PART_CONCURRENCY = 4;
const PARTS_PER_BATCH = 100;

// broker POSTs JSON to a broker route and returns the JSON answer (null for
// 204), or throws an Error that reads like the single-PUT path's messages.
async function broker(path, token, body, signal) {
  let res;
  try {
    res = await fetch(path, {
      method: 'POST', signal,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw networkError(`Could not reach the broker (${offline() ? 'the browser is offline' : err.message})`);
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const e = data && data.error;
    throw new Error(e ? `Broker said ${res.status} ${e.code}: ${e.message}` : `Broker said ${res.status} ${res.statusText}`);
  }
  return data;
}

// send is one XHR (fetch has no upload progress): resolves with the status,
// the ETag without quotes and the body text; rejects when the browser got
// no answer (CORS, network).
function send(method, url, headers, body, onProgress, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(new DOMException('Upload cancelled.', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    if (signal) signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers || {})) {
      if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value);
    }
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => resolve({
      status: xhr.status, etag: (xhr.getResponseHeader('ETag') || '').replaceAll('"', ''), text: xhr.responseText,
    }));
    xhr.addEventListener('error', () => reject(networkError(offline()
      ? 'The browser is offline'
      : `No answer from ${new URL(url).origin}: the network dropped, the server is down, or the bucket CORS rule does not list this origin (the browser console says which)`)));
    xhr.addEventListener('abort', () => reject(new DOMException('Upload cancelled.', 'AbortError')));
    xhr.send(body);
  });
}

// A network error: the request got no answer at all (offline, connection
// reset, DNS, CORS). These, and OSS's 5xx, are worth retrying.
function networkError(message) {
  const e = new Error(message);
  e.network = true;
  return e;
}
const offline = () => navigator.onLine === false;

// RETRIES attempts after the first, waiting RETRY_BASE_MS, doubling, up to
// RETRY_MAX_MS (plus jitter); while the browser says it is offline the wait
// lasts until it is back online and does not count as an attempt.
const RETRIES = 6;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 8000;

// retried runs attempt until it succeeds, fails for good (not a network
// error, nor a 5xx answer), runs out of attempts or is cancelled. what
// names the request in the row's status.
async function retried(row, what, attempt) {
  const signal = row.controller.signal;
  for (let n = 0; ; n++) {
    let problem;
    try {
      const r = await attempt();
      if (!(r && r.status >= 500)) return r;
      if (n >= RETRIES) return r;
      problem = `OSS said ${r.status}`;
    } catch (err) {
      if (!err.network || n >= RETRIES || signal.aborted) throw err;
      problem = err.message;
    }
    row.el.dataset.retries = String(Number(row.el.dataset.retries || 0) + 1);
    if (offline()) {
      row.state('retrying', `${problem}: waiting to be back online to resend ${what}…`);
      await untilOnline(signal);
      n--;
      continue;
    }
    const wait = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** n) * (0.75 + Math.random() / 2);
    row.state('retrying', `${problem}. Resending ${what} in ${(wait / 1000).toFixed(1)} s (attempt ${n + 2} of ${RETRIES + 1})…`);
    await pause(wait, signal);
  }
}

// sendRetried is send, retried (see retried).
function sendRetried(row, what, method, url, headers, body, onProgress) {
  return retried(row, what, () => send(method, url, headers, body, onProgress, row.controller.signal));
}

function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new DOMException('Upload cancelled.', 'AbortError'));
    }, { once: true });
  });
}

function untilOnline(signal) {
  return new Promise((resolve, reject) => {
    if (!offline()) return resolve();
    const back = () => resolve();
    window.addEventListener('online', back, { once: true });
    setTimeout(back, RETRY_MAX_MS); // look again, should the event not come
    signal.addEventListener('abort', () => {
      window.removeEventListener('online', back);
      reject(new DOMException('Upload cancelled.', 'AbortError'));
    }, { once: true });
  });
}

// A multipart upload interrupted by a reload (or a closed tab) is resumed
// when the same file is picked for the same key: its handle is kept in
// localStorage until the upload completes or fails, and POST
// /v1/multipart/list says which parts OSS already holds.
const resumeKey = (file, key) => `ossbroker-multipart:${key}|${file.name}|${file.size}|${file.lastModified}`;

// resumable returns the kept upload of file for key with the parts OSS
// holds, or null (nothing kept, or the handle no longer works: then it is
// forgotten and the upload starts over).
async function resumable(file, key, token) {
  const kept = JSON.parse(localStorage.getItem(resumeKey(file, key)) || 'null');
  if (!kept) return null;
  try {
    const listed = await broker('/v1/multipart/list', token, { handle: kept.handle });
    return { ...kept, done: listed.parts };
  } catch (err) {
    if (err.network) throw err; // unknown, not gone: keep it
    localStorage.removeItem(resumeKey(file, key));
    return null;
  }
}

async function uploadMultipart(file, key, token, overwrite, row) {
  const contentType = file.type || 'application/octet-stream';
  const signal = row.controller.signal;
  const call = (what, path, body) => retried(row, what, () => broker(path, token, body, signal));
  row.state('presigning', 'Starting a multipart upload…');
  let mp;
  try {
    mp = await retried(row, 'the list of stored parts', () => resumable(file, key, token));
  } catch (err) {
    row.resumable = Boolean(err.network);
    if (err.name === 'AbortError') row.state('cancelled', 'Cancelled: the parts already stored are kept for a retry.');
    else row.fail(err.message);
    return;
  }
  if (!mp) {
    try {
      // size lets the broker pick the part size and pin each part's length.
      mp = await call('the start of the upload', '/v1/multipart', { key, contentType, size: file.size, overwrite });
    } catch (err) {
      if (err.name === 'AbortError') row.state('cancelled', 'Cancelled before the upload started: nothing was stored.');
      else row.fail(err.message);
      return;
    }
    mp = { handle: mp.handle, partSize: mp.partSize, partCount: mp.partCount, done: [] };
    localStorage.setItem(resumeKey(file, key), JSON.stringify({ handle: mp.handle, partSize: mp.partSize, partCount: mp.partCount }));
  }
  const forget = () => localStorage.removeItem(resumeKey(file, key));
  const loaded = new Array(mp.partCount).fill(0);
  let shown = 0;
  const report = () => {
    // One bar for the whole file; it stops at 99% until OSS has assembled it.
    const p = Math.min(99, Math.floor((loaded.reduce((a, b) => a + b, 0) / file.size) * 100));
    if (p > shown) row.progress((shown = p));
  };
  // The parts OSS already holds (a resumed upload) are not sent again.
  const parts = mp.done.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
  for (const p of mp.done) loaded[p.partNumber - 1] = p.size;
  report();
  const missing = [];
  for (let n = 1; n <= mp.partCount; n++) if (!mp.done.some((p) => p.partNumber === n)) missing.push(n);
  row.el.dataset.resumedParts = String(mp.done.length);
  try {
    for (let first = 0; first < missing.length; first += PARTS_PER_BATCH) {
      const numbers = missing.slice(first, first + PARTS_PER_BATCH);
      const signed = await call('the part request', '/v1/multipart/parts', { handle: mp.handle, partNumbers: numbers });
      if (first === 0) {
        const resumed = mp.done.length ? `resuming: ${mp.done.length} of ${mp.partCount} parts already stored; ` : '';
        row.state('uploading', `Uploading ${mp.partCount} parts of ${formatSize(mp.partSize)} (${resumed}to ${new URL(signed.parts[0].url).origin})…`);
      }
      let next = 0;
      const worker = async () => {
        while (next < signed.parts.length) {
          const part = signed.parts[next++];
          const start = (part.partNumber - 1) * mp.partSize;
          const blob = file.slice(start, Math.min(start + mp.partSize, file.size));
          const r = await sendRetried(row, `part ${part.partNumber}`, part.method, part.url, part.headers, blob, (n) => {
            loaded[part.partNumber - 1] = n;
            report();
          });
          if (row.el.dataset.state === 'retrying' && !offline()) row.state('uploading', `Uploading ${mp.partCount} parts (resumed after a network error)…`);
          if (r.status < 200 || r.status >= 300) throw new Error(`OSS said ${r.status} ${ossError(r.text)} (part ${part.partNumber})`);
          if (!r.etag) throw new Error('OSS sent no ETag: the bucket CORS rule must expose it');
          loaded[part.partNumber - 1] = blob.size;
          report();
          parts.push({ partNumber: part.partNumber, etag: r.etag });
          row.el.dataset.partsDone = String(parts.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, signed.parts.length) }, worker));
    }
    parts.sort((a, b) => a.partNumber - b.partNumber);
    row.state('completing', `Assembling ${parts.length} parts…`);
    const obj = await call('the completion', '/v1/multipart/complete', { handle: mp.handle, parts });
    forget();
    if (obj.verdict) row.receipt(obj);
    else row.pending(obj.key, obj.etag, 'upload callbacks are off (PUBLIC_BASE_URL); the inspector judges it after the upload.');
  } catch (err) {
    if (err.network) {
      // Still offline after every retry: the handle is kept, and Retry (or
      // picking the file again, even after a reload) resumes where it stopped.
      row.resumable = true;
      row.fail(`${err.message}. ${parts.length} of ${mp.partCount} parts are stored; Retry resumes from there.`);
      return;
    }
    // Cancelled, or refused for good: free the parts already stored.
    forget();
    const cancelled = err.name === 'AbortError';
    row.state(cancelled ? 'cancelling' : 'error', cancelled ? 'Cancelling: freeing the parts already stored…' : err.message);
    if (!cancelled) row.el.dataset.error = err.message;
    const freed = await abortUpload(mp.handle, token);
    row.el.dataset.aborted = String(freed);
    const outcome = freed ? 'the parts already stored were freed'
      : 'the broker could not be reached to free the parts already stored (the bucket lifecycle rule removes them)';
    if (cancelled) row.state('cancelled', `Cancelled: ${outcome}.`);
    else row.state('error', `${err.message} (${outcome})`);
  }
}

// abortUpload ends a multipart upload at the broker, retried with backoff
// on network errors and 5xx; true once the broker confirmed it.
async function abortUpload(handle, token) {
  for (let n = 0; n <= RETRIES; n++) {
    try {
      await broker('/v1/multipart/abort', token, { handle });
      return true;
    } catch (err) {
      if (!err.network && !/said 5\d\d/.test(err.message)) return false;
      if (offline()) await untilOnline(new AbortController().signal);
      else await new Promise((r) => setTimeout(r, Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** n)));
    }
  }
  return false;
}

// uploadForm posts an OSS PostObject form: the signed fields, then the file
// last, as OSS requires. The policy's content-length-range is OSS's to
// enforce: a larger file comes back as OSS's EntityTooLarge.
async function uploadForm(file, key, token, overwrite, maxBytes, row) {
  const contentType = file.type || 'application/octet-stream';
  let form;
  try {
    form = await retried(row, 'the form request', () => broker('/v1/presign-post', token, { key, contentType, overwrite, maxBytes }, row.controller.signal));
  } catch (err) {
    if (err.name === 'AbortError') row.state('cancelled', 'Cancelled: nothing was sent.');
    else row.fail(err.message);
    return;
  }
  const data = new FormData();
  for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
  data.append('file', file);
  row.state('uploading', `Posting a form to ${new URL(form.url).origin} (at most ${form.maxBytes} bytes)…`);
  try {
    const r = await sendRetried(row, 'the form', 'POST', form.url, {}, data, (n, total) => {
      if (total > 0) row.progress(Math.min(99, Math.floor((n / total) * 100)));
    });
    if (r.status >= 200 && r.status < 300) {
      finish(row, form.key, r);
    } else {
      row.fail(`OSS said ${r.status} ${ossError(r.text)}`);
    }
  } catch (err) {
    if (err.name === 'AbortError') row.state('cancelled', 'Cancelled: the form was stopped before OSS stored it.');
    else row.fail(err.message);
  }
}

// ossError reads OSS's XML error body: "Code: Message".
function ossError(text) {
  const doc = new DOMParser().parseFromString(text || '', 'application/xml');
  const code = doc.querySelector('Error > Code');
  const message = doc.querySelector('Error > Message');
  if (!code) return (text || '').slice(0, 200);
  return `${code.textContent}: ${message ? message.textContent : ''}`;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function formatSize(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

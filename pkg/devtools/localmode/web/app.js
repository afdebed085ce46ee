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
  const token = tokenInput.value.trim();
  const files = Array.from(filesInput.files);
  const problem = !token ? 'Enter a bearer token.' : files.length === 0 ? 'Choose one or more files.' : '';
  formError.hidden = !problem;
  formError.textContent = problem;
  if (problem) return;
  const folder = folderInput.value.trim();
  const overwrite = overwriteInput.checked;
  const maxBytes = maxBytesInput.value.trim() === '' ? undefined : Number(maxBytesInput.value);
  for (const file of files) {
    const key = folder + file.name;
    if (modePost.checked) {
      uploadForm(file, key, token, overwrite, maxBytes, addRow(file));
    } else if (file.size > MULTIPART_THRESHOLD) {
      uploadMultipart(file, key, token, overwrite, addRow(file));
    } else {
      upload(file, key, token, overwrite, addRow(file));
    }
  }
  filesInput.value = '';
});

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
  li.append(head, bar, status, receiptLine);
  list.append(li);
  return {
    el: li,
    progress(p) {
      progress.value = p;
      pct.textContent = `${p}%`;
    },
    state(state, text) {
      li.dataset.state = state;
      status.textContent = text;
    },
    done(key, etag) {
      this.progress(100);
      li.dataset.key = key;
      this.state('done', `Stored as ${key}${etag ? ` (ETag ${etag})` : ''}`);
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
}

// finish shows what OSS answered a stored upload: with upload callbacks on
// it is the broker's receipt (JSON); 203 CallbackFailed means stored, the
// verdict pending; otherwise (callbacks off) the stored key and ETag.
function finish(row, key, r) {
  if (r.status === 203) {
    row.progress(100);
    row.state('done', `Stored as ${key}, verdict pending (OSS could not call the broker back: ${ossError(r.text)})`);
    return;
  }
  let rc = null;
  try {
    rc = r.text ? JSON.parse(r.text) : null;
  } catch {
    rc = null;
  }
  if (rc && rc.verdict) row.receipt(rc);
  else row.done(key, r.etag);
}

async function upload(file, key, token, overwrite, row) {
  const contentType = file.type || 'application/octet-stream';
  let presigned;
  try {
    const res = await fetch('/v1/presign', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      // contentLength pins the size: the URL then takes exactly this file.
      body: JSON.stringify({ key, contentType, contentLength: file.size, overwrite }),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const e = body && body.error;
      row.fail(e ? `Broker said ${res.status} ${e.code}: ${e.message}` : `Broker said ${res.status} ${res.statusText}`);
      return;
    }
    presigned = body;
  } catch (err) {
    row.fail(`Could not reach the broker: ${err.message}`);
    return;
  }

  row.state('uploading', `Uploading to ${new URL(presigned.url).origin}…`);
  const xhr = new XMLHttpRequest();
  xhr.open(presigned.method, presigned.url);
  // Exactly the returned headers: they are signed. Content-Length is the
  // one a browser refuses to set by hand; it sets it from the body.
  for (const [name, value] of Object.entries(presigned.headers)) {
    if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value);
  }
  // The bar stops at 99% until OSS has answered: 100% means stored.
  xhr.upload.addEventListener('progress', (e) => {
    if (e.lengthComputable && e.total > 0) row.progress(Math.min(99, Math.floor((e.loaded / e.total) * 100)));
  });
  xhr.addEventListener('load', () => {
    if (xhr.status >= 200 && xhr.status < 300) {
      finish(row, presigned.key, { status: xhr.status, text: xhr.responseText, etag: (xhr.getResponseHeader('ETag') || '').replaceAll('"', '') });
    } else {
      row.fail(`OSS said ${xhr.status} ${ossError(xhr.responseText)}`);
    }
  });
  xhr.addEventListener('error', () => {
    row.fail('Upload failed: the browser got no response (blocked by CORS, or the OSS server is unreachable).');
  });
  xhr.addEventListener('abort', () => row.fail('Upload aborted.'));
  xhr.send(file);
}

// Files over MULTIPART_THRESHOLD go as a multipart upload: the broker
// starts it and hands back a handle; parts are presigned in batches of up
// to 100 and sent PART_CONCURRENCY at a time; one bar shows the whole file.
const MULTIPART_THRESHOLD = 32 * 1024 * 1024;
const PART_CONCURRENCY = 4;
const PARTS_PER_BATCH = 100;

// broker POSTs JSON to a broker route and returns the JSON answer (null for
// 204), or throws an Error that reads like the single-PUT path's messages.
async function broker(path, token, body) {
  let res;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new Error(`Could not reach the broker: ${err.message}`);
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
function send(method, url, headers, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
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
    xhr.addEventListener('error', () => reject(new Error('Upload failed: the browser got no response (blocked by CORS, or the OSS server is unreachable).')));
    xhr.addEventListener('abort', () => reject(new Error('Upload aborted.')));
    xhr.send(body);
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
  } catch {
    localStorage.removeItem(resumeKey(file, key));
    return null;
  }
}

async function uploadMultipart(file, key, token, overwrite, row) {
  const contentType = file.type || 'application/octet-stream';
  row.state('presigning', 'Starting a multipart upload…');
  let mp = await resumable(file, key, token);
  if (!mp) {
    try {
      // size lets the broker pick the part size and pin each part's length.
      mp = await broker('/v1/multipart', token, { key, contentType, size: file.size, overwrite });
    } catch (err) {
      row.fail(err.message);
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
      const signed = await broker('/v1/multipart/parts', token, { handle: mp.handle, partNumbers: numbers });
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
          const r = await send(part.method, part.url, part.headers, blob, (n) => {
            loaded[part.partNumber - 1] = n;
            report();
          });
          if (r.status < 200 || r.status >= 300) throw new Error(`OSS said ${r.status} ${ossError(r.text)} (part ${part.partNumber})`);
          if (!r.etag) throw new Error('OSS sent no ETag: the bucket CORS rule must expose it');
          loaded[part.partNumber - 1] = blob.size;
          report();
          parts.push({ partNumber: part.partNumber, etag: r.etag });
        }
      };
      await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, signed.parts.length) }, worker));
    }
    parts.sort((a, b) => a.partNumber - b.partNumber);
    row.state('completing', `Assembling ${parts.length} parts…`);
    const obj = await broker('/v1/multipart/complete', token, { handle: mp.handle, parts });
    forget();
    if (obj.verdict) row.receipt(obj);
    else row.done(obj.key, obj.etag);
  } catch (err) {
    row.fail(err.message);
    // Free the parts already stored; a failed abort changes nothing shown.
    forget();
    broker('/v1/multipart/abort', token, { handle: mp.handle }).catch(() => {});
  }
}

// uploadForm posts an OSS PostObject form: the signed fields, then the file
// last, as OSS requires. The policy's content-length-range is OSS's to
// enforce: a larger file comes back as OSS's EntityTooLarge.
async function uploadForm(file, key, token, overwrite, maxBytes, row) {
  const contentType = file.type || 'application/octet-stream';
  let form;
  try {
    form = await broker('/v1/presign-post', token, { key, contentType, overwrite, maxBytes });
  } catch (err) {
    row.fail(err.message);
    return;
  }
  const data = new FormData();
  for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
  data.append('file', file);
  row.state('uploading', `Posting a form to ${new URL(form.url).origin} (at most ${form.maxBytes} bytes)…`);
  try {
    const r = await send('POST', form.url, {}, data, (n, total) => {
      if (total > 0) row.progress(Math.min(99, Math.floor((n / total) * 100)));
    });
    if (r.status >= 200 && r.status < 300) {
      finish(row, form.key, r);
    } else {
      row.fail(`OSS said ${r.status} ${ossError(r.text)}`);
    }
  } catch (err) {
    row.fail(err.message);
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

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
  for (const file of files) {
    upload(file, folder + file.name, token, overwrite, addRow(file));
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
  li.append(head, bar, status);
  list.append(li);
  return {
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
  };
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
      row.done(presigned.key, (xhr.getResponseHeader('ETag') || '').replaceAll('"', ''));
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

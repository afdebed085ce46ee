// README.md's code snippets, as the snippet and Uppy tests run them: taken
// from README.md itself at test time, so the docs cannot drift from the code.
//
// The convention (README, Tests): every ```sh, ```bash, ```js and ```mjs
// block runs against local mode. sh/bash blocks run in bash (set -euo
// pipefail), js blocks in headless Chromium, unless the line right before the
// fence is a marker:
//
//   <!-- snippet: not run (the reason) -->  not run; the reason is required
//                                           and the README's text says it too
//   <!-- snippet: node -->                  a js block for Node.js, not the browser
//   <!-- snippet: continues -->             a js block run in the same scope,
//                                           right after the js block before it
//   <!-- snippet: browser uppy5 ... -->     run by TestUppy with Uppy 5 (6)
//   <!-- snippet: node mint -->             a js token minter, run in Node with the
//                                           deployment's JWT_HS256_SECRET: the last
//                                           line it prints is a token the broker
//                                           must accept
//   <!-- snippet: go mint -->               the same for a go block (go run)
//   <!-- snippet: jvm (...) -->             a kotlin block TestReadmeSnippets compiles
//                                           and runs on the JVM (kotlin_test.go)
//
// kotlin and swift blocks need a marker: jvm, or not run (the reason).
// A go block runs only as a minter. Other languages (json, plain text) are never run.
import { readFileSync } from 'node:fs';

const RUNNABLE = new Set(['sh', 'bash', 'js', 'mjs', 'go', 'kotlin', 'swift']);

/** snippets parses README text into its runnable code blocks. */
export function snippets(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (end === lines.length) throw new Error(`README.md:${i + 1}: a code fence that never closes`);
    const lang = open[1];
    const code = lines.slice(i + 1, end).join('\n');
    const marker = i > 0 ? /^<!-- snippet: (.*) -->$/.exec(lines[i - 1].trim()) : null;
    const line = i + 1;
    i = end;
    if (!RUNNABLE.has(lang)) continue;
    const s = { line, lang: lang === 'bash' ? 'sh' : lang === 'mjs' ? 'js' : lang, code, runner: null, reason: '' };
    const m = marker ? marker[1].trim() : '';
    if (m.startsWith('not run')) {
      const why = /^not run \((.+)\)$/.exec(m);
      if (!why) throw new Error(`README.md:${line}: "not run" needs a reason in parentheses: ${m}`);
      s.runner = 'none';
      s.reason = why[1];
    } else if (s.lang === 'go') {
      if (m !== 'go mint') throw new Error(`README.md:${line}: a go block needs <!-- snippet: go mint --> or not run: ${m}`);
      s.runner = 'go-mint';
    } else if (s.lang === 'kotlin' && /^jvm \(.+\)$/.test(m)) {
      s.runner = 'jvm';
    } else if (s.lang === 'kotlin' || s.lang === 'swift') {
      throw new Error(`README.md:${line}: a ${s.lang} block needs a marker: jvm (...) or not run (the reason)`);
    } else if (s.lang === 'sh') {
      if (m) throw new Error(`README.md:${line}: unknown marker for a shell snippet: ${m}`);
      s.runner = 'bash';
    } else if (m === '' || m === 'browser') {
      s.runner = 'browser';
    } else if (m === 'node') {
      s.runner = 'node';
    } else if (m === 'node mint') {
      s.runner = 'node-mint';
    } else if (m === 'continues') {
      s.runner = 'continues';
    } else if (/^browser uppy[56]\b/.test(m)) {
      s.runner = m.slice('browser '.length, 'browser uppy5'.length);
    } else {
      throw new Error(`README.md:${line}: unknown snippet marker: ${m}`);
    }
    out.push(s);
  }
  return out;
}

/** readme reads and parses README.md at path. */
export function readme(path) {
  return snippets(readFileSync(path, 'utf8'));
}

/**
 * localize points a snippet at local mode: the placeholders the README uses
 * for the deployed trigger and for local mode's default address become the
 * running broker's URL, and <dev token> its dev token.
 */
export function localize(code, brokerURL, token) {
  return code
    .replaceAll('https://<your-trigger>', brokerURL)
    .replaceAll('http://127.0.0.1:9000', brokerURL)
    .replaceAll('<dev token>', token);
}

/**
 * samples is the sample output a shell snippet shows: each run of comment
 * lines that starts "# → " and goes on with lines "#    " (joined without
 * the markers). "..." stands for what the sample leaves out.
 */
export function samples(code) {
  const out = [];
  let open = false;
  for (const line of code.split('\n')) {
    const first = /^\s*# → (.*)$/.exec(line);
    const more = /^\s*# {4}(.*)$/.exec(line);
    if (first) out.push(first[1].trim());
    else if (more && open) out[out.length - 1] += more[1].trim();
    open = Boolean(first || (more && open));
  }
  return out;
}

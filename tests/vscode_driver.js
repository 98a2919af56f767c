// Drives the VS Code workbench (code-server) in Debian's headless Chromium with playwright-core,
// for tests/test_vscode_e2e.py. Protocol: one JSON request per line on stdin
// ({id, op, timeout, ...params}), one JSON answer per line on stdout ({id, ok, result|error}).
// Only what a person does: keyboard shortcuts, the command palette, clicks, and reading what
// the workbench shows.
'use strict';
const { chromium } = require(process.env.PW_CORE);
const fs = require('fs');
const path = require('path');
const readline = require('readline');

let context;
let page;
let userDataDir;

const log = (...args) => process.stderr.write(`[driver ${new Date().toISOString()}] ${args.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeout, interval = 200) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${String(last).slice(0, 500)})`);
    await sleep(interval);
  }
}

// A click on something VS Code may re-render at any time (code lenses, notification buttons,
// dialog buttons): `find` looks it up afresh on every attempt and the click is retried when the
// element went away under it ("Element is not attached to the DOM", not visible, not stable).
// Waits on the element's state, never a fixed time; a handle is never reused across attempts.
const STALE = /not attached|detached|not visible|not stable|Element is outside of the viewport|intercepts pointer events|Timeout .* exceeded/i;

async function clickFresh(what, find, timeout) {
  let attempts = 0;
  return until(what, async () => {
    const handle = await find();
    if (!handle) return null;
    attempts += 1;
    try {
      // `trial` first: all actionability checks, no click, so a handle that detaches while
      // Playwright waits is never clicked; the real click follows at once
      await handle.click({ trial: true, timeout: 2000 });
      await handle.click({ timeout: 2000, force: true });
    } catch (e) {
      if (!STALE.test(String(e && e.message))) throw e;
      log(`${what}: attempt ${attempts} hit a re-rendered element (${String(e.message).split('\n')[0]}); finding it again`);
      return null;
    }
    return { attempts };
  }, timeout, 100);
}

const texts = (selector) => page.$$eval(selector, (els) => els.map((e) => e.innerText.replace(/\u00a0/g, ' ').trim()));

// the visible notification toasts (and, when the center is open, its items)
const notificationTexts = () =>
  page.$$eval('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item', (els) =>
    els.map((e) => {
      const msg = e.querySelector('.notification-list-item-message');
      const src = e.querySelector('.notification-list-item-source');
      return { message: msg ? msg.innerText.trim() : e.innerText.trim(), source: src ? src.innerText.trim() : '', progress: !!e.querySelector('.monaco-progress-container.active, .progress-bit') && e.querySelector('.monaco-progress-container')?.style.display !== 'none' };
    }));

async function focusEditor() {
  await page.click('.editor-instance .view-lines');
}

async function quickInput(prefixKey, text, pickRegex, timeout) {
  await page.keyboard.press(prefixKey);
  await page.waitForSelector('.quick-input-widget:not([style*="display: none"]) input', { timeout });
  await page.keyboard.type(text, { delay: 10 });
  const re = new RegExp(pickRegex ?? '.');
  // the list re-renders while it filters: find and click in one retried step
  let seen = [];
  return until(`a quick pick row matching ${re}`, async () => {
    seen = [];
    for (const r of await page.$$('.quick-input-widget .quick-input-list .monaco-list-row')) {
      const t = (await r.innerText()).replace(/\s+/g, ' ').trim();
      seen.push(t);
      if (re.test(t)) {
        await r.click({ timeout: 2000 });
        return t;
      }
    }
    throw new Error(`rows: ${JSON.stringify(seen)}`);
  }, timeout);
}

const ops = {
  async open({ url, dialog = false, timeout }) {
    userDataDir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'al-chrome-'));
    const home = process.env.DRIVER_HOME || path.join(userDataDir, 'home');
    fs.mkdirSync(home, { recursive: true });
    const t0 = Date.now();
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      // keep Chromium's crashpad/dconf files out of the real $HOME
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (e) => log('[pageerror]', String(e).slice(0, 300)));
    page.on('console', (m) => { if (m.type() === 'error') log('[console]', m.text().slice(0, 300)); });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
    await page.waitForSelector('.monaco-workbench', { timeout });
    await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout });
    // a modal dialog (workspace trust) is expected: the caller answers it with `dialog`
    if (dialog) await page.waitForSelector('.monaco-dialog-box', { timeout });
    else await page.click('.explorer-folders-view'); // keyboard focus for the shortcuts
    return { seconds: (Date.now() - t0) / 1000 };
  },

  // Ctrl+P, type the path, pick the row with that name and folder; waits for the editor
  async openFile({ file, timeout }) {
    await page.keyboard.press('Escape');
    const esc = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const parts = file.split('/');
    const name = parts.pop();
    const dir = parts.join('/');
    await quickInput('Control+P', file, dir ? `${esc(name)}\\s*${esc(dir)}` : esc(name), timeout);
    const crumbs = [...parts, name].join(' ');
    await until(`the editor for ${file}`, async () => {
      const tab = (await texts('.tabs-container .tab.active')).some((t) => t.includes(name));
      const trail = (await texts('.editor-group-container.active .breadcrumbs-control')).join(' ').replace(/[^\w.\-/ ]+/g, ' ').replace(/\s+/g, ' ');
      return tab && trail.includes(crumbs);
    }, timeout);
    await page.waitForSelector('.editor-instance .view-lines', { timeout });
    await focusEditor();
    return { tab: (await texts('.tabs-container .tab.active'))[0] };
  },

  // open the Problems panel and return its rows grouped by file ({"e2e/.../artifact.yml": [rows]}),
  // scrolling through the virtual list with the mouse wheel; waits until every code in `codes`
  // is listed (for `file`, when given)
  async problems({ codes = [], file, timeout }) {
    const visible = await page.$$eval('.markers-panel', (els) => els.some((e) => e.offsetParent !== null));
    if (!visible) await page.keyboard.press('Control+Shift+M');
    await page.waitForSelector('.markers-panel .monaco-list', { state: 'visible', timeout });
    const list = await page.$('.markers-panel .monaco-list');
    // where the list's vertical scrollbar is: at the end when the slider touches the bottom
    const slider = () => page.$eval('.markers-panel .monaco-list', (el) => {
      const bar = el.querySelector('.scrollbar.vertical');
      const s = bar && bar.querySelector('.slider');
      if (!bar || !s || s.offsetHeight === 0) return { top: true, end: true };
      return { top: s.offsetTop <= 0, end: s.offsetTop + s.offsetHeight >= bar.offsetHeight - 1 };
    });
    const read = async () => {
      const box = await list.boundingBox();
      await page.mouse.move(box.x + 24, box.y + box.height / 2); // the icons' column: no hover pop-ups
      for (let i = 0; i < 20 && !(await slider()).top; i++) {
        await page.mouse.wheel(0, -100000);
        await sleep(100);
      }
      const seen = new Map();
      for (let i = 0; i < 60; i++) {
        const rows = await page.$$eval('.markers-panel .monaco-list-row', (els) =>
          els.map((e) => ({ index: Number(e.getAttribute('data-index')), text: e.innerText.replace(/\u00a0/g, ' ').replace(/\s*\n+\s*/g, ' ').trim(), label: e.getAttribute('aria-label') || '' })));
        for (const r of rows) seen.set(r.index, r);
        if ((await slider()).end) break;
        await page.mouse.wheel(0, Math.max(40, box.height - 60));
        await sleep(200);
      }
      const grouped = {};
      let current = '?';
      for (const r of [...seen.values()].sort((a, b) => a.index - b.index)) {
        const m = /^\d+ problems? in file (.+?) of folder (.+)$/.exec(r.label);
        if (m) {
          current = `${m[2]}/${m[1]}`;
          grouped[current] = grouped[current] || [];
        } else {
          (grouped[current] = grouped[current] || []).push({ text: r.text, label: r.label });
        }
      }
      return grouped;
    };
    let grouped = {};
    const done = async () => { // leave the list at its top (for screenshots)
      for (let i = 0; i < 20 && !(await slider()).top; i++) {
        await page.mouse.wheel(0, -100000);
        await sleep(100);
      }
    };
    await until(`Problems rows with ${codes.join(', ')}${file ? ` for ${file}` : ''}`, async () => {
      grouped = await read();
      const rows = file ? grouped[file] || [] : Object.values(grouped).flat();
      const all = rows.map((r) => r.text).join('\n');
      if (codes.every((c) => new RegExp(`\\b${c}\\b`).test(all))) return true;
      throw new Error(`listed: ${JSON.stringify(Object.fromEntries(Object.entries(grouped).map(([f, rs]) => [f, rs.map((r) => (r.text.match(/\bAL\d{3}\b/g) || []).join(','))])))}`);
    }, timeout, 500).finally(done);
    return grouped;
  },

  // the squiggles the active editor shows (waits for at least `atLeast`)
  async squiggles({ atLeast = 0, timeout }) {
    const count = () => page.$$eval('.editor-instance .squiggly-error, .editor-instance .squiggly-warning, .editor-instance .squiggly-info', (els) => els.length);
    return until(`${atLeast} squiggles`, async () => { const n = await count(); return n >= atLeast ? { n } : null; }, timeout).then((r) => r.n);
  },

  // Ctrl+G line:col
  async goto({ line, column = 1, timeout }) {
    await focusEditor();
    await page.keyboard.press('Control+G');
    await page.waitForSelector('.quick-input-widget input', { timeout });
    await page.keyboard.type(`${line}:${column}`, { delay: 10 });
    await page.keyboard.press('Enter');
    await until(`the cursor at ${line}:${column}`, async () => {
      const status = (await texts('.statusbar-item[id$="status.editor.selection"]')).join(' ');
      return status.includes(`Ln ${line}, Col ${column}`) ? status : null;
    }, timeout);
    return true;
  },

  // Ctrl+. and the action list's titles; pick the one starting with `pick` (if given), else
  // close the menu again (unless `keepOpen`)
  async quickFix({ pick, shot, keepOpen = false, timeout }) {
    await page.keyboard.press('Control+.');
    const titles = await until('the code action menu', async () => {
      const t = await texts('.action-widget .monaco-list-row.action');
      return t.length ? t : null;
    }, timeout);
    if (shot) await page.screenshot({ path: shot });
    if (!pick) {
      if (!keepOpen) await page.keyboard.press('Escape');
      return { titles };
    }
    // arrow keys to the action, Enter (the menu blocks the mouse until it has moved)
    if (!titles.some((t) => t.startsWith(pick))) {
      await page.keyboard.press('Escape');
      throw new Error(`no code action starting with ${JSON.stringify(pick)} in ${JSON.stringify(titles)}`);
    }
    for (let i = 0; i <= titles.length; i++) {
      const focused = await texts('.action-widget .monaco-list-row.action.focused');
      if (focused.length && focused[0].startsWith(pick)) {
        await page.keyboard.press('Enter');
        await until('the code action menu to close', async () => !(await page.$('.action-widget .monaco-list-row.action')), timeout);
        return { titles, picked: focused[0] };
      }
      await page.keyboard.press('ArrowDown');
      await sleep(50);
    }
    throw new Error(`no code action starting with ${JSON.stringify(pick)} in ${JSON.stringify(titles)}`);
  },

  // click the code lens whose text matches `match` (a server command, run by the client).
  // VS Code asks for code lenses while the editor has focus (a blur cancels a pending request),
  // so click into the editor first, as a person would
  async codeLens({ match, timeout }) {
    const re = new RegExp(match);
    await focusEditor();
    // the lenses sit above the first line, and only what is scrolled into view is rendered:
    // go to the top first (an earlier step or the restored view state may have scrolled away)
    await page.keyboard.press('Control+Home');
    const clicked = await clickFresh(`a code lens matching ${re}`, async () => {
      for (const a of await page.$$('.contentWidgets .codelens-decoration a, .codelens-decoration a')) {
        if (re.test(((await a.innerText().catch(() => '')) || '').trim())) return a;
      }
      return null;
    }, timeout);
    return clicked;
  },

  async save({ timeout }) {
    await focusEditor();
    await page.keyboard.press('Control+S');
    await until('the editor to be saved', async () => !(await page.$('.tabs-container .tab.active.dirty')), timeout);
    return true;
  },

  // F1, the command's title, Enter (the palette's own fuzzy match, like a person)
  async command({ title, timeout }) {
    await page.keyboard.press('Escape');
    const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return quickInput('F1', title, `^${escaped}`, timeout);
  },

  async press({ key }) {
    await page.keyboard.press(key);
    return true;
  },

  async notifications() {
    return notificationTexts();
  },

  // wait until a notification matches `match` (a regex), then return them all
  async waitNotification({ match, timeout }) {
    const re = new RegExp(match);
    return until(`a notification matching ${re}`, async () => {
      const all = await notificationTexts();
      return all.some((n) => re.test(n.message)) ? all : null;
    }, timeout, 250);
  },

  // wait until no notification matches `match`
  async waitNoNotification({ match, timeout }) {
    const re = new RegExp(match);
    return until(`no notification matching ${re}`, async () => {
      const all = await notificationTexts();
      return all.some((n) => re.test(n.message)) ? null : all;
    }, timeout, 250);
  },

  // click a button (by its label) on the notification whose message matches `match`; with
  // `untilGone` (a button that closes its notification: a message's choice), wait until the
  // notification went away, clicking again while it is still there (a click that landed while
  // the toasts moved, as another one came or went, is lost)
  async notificationButton({ match, button, untilGone = false, timeout }) {
    const re = new RegExp(match);
    const what = `a notification matching ${re} with a ${button} button`;
    const find = async () => {
      for (const item of await page.$$('.notifications-toasts .notification-list-item')) {
        const msg = await item.$eval('.notification-list-item-message', (e) => e.innerText).catch(() => '');
        if (!re.test(msg)) continue;
        for (const b of await item.$$('.monaco-button')) {
          if (((await b.innerText().catch(() => '')) || '').trim() === button) return b;
        }
      }
      return null;
    };
    if (!untilGone) return clickFresh(what, find, timeout);
    let clicks = 0;
    return until(`${what} to close once clicked`, async () => {
      if (!(await find())) return clicks ? { clicks } : null;
      if (clicks) log(`${button}: the notification is still there after ${clicks} click(s); clicking again`);
      await clickFresh(what, find, timeout);
      clicks += 1;
      return null;
    }, timeout, 250);
  },

  // the open quick pick's rows ({text, label, description, checked}) once one matches `match`; with `accept`,
  // Enter (a multi-select pick accepts its ticked rows) and wait for the pick to close
  async quickPickRows({ match = '.', placeholder, accept = false, timeout }) {
    const re = new RegExp(match);
    const widget = '.quick-input-widget:not([style*="display: none"])';
    const rows = await until(`a quick pick row matching ${re}`, async () => {
      if (placeholder) {
        const ph = await page.$eval(`${widget} input`, (e) => e.getAttribute('placeholder') || e.getAttribute('aria-label') || '').catch(() => '');
        if (!ph.includes(placeholder)) throw new Error(`placeholder ${JSON.stringify(ph)}`);
      }
      const found = await page.$$eval(`${widget} .quick-input-list .monaco-list-row`, (els) =>
        els.map((e) => {
          const box = e.querySelector('input[type=checkbox], .quick-input-list-checkbox, [role=checkbox]');
          const checked = box ? (box.checked === true || box.getAttribute('aria-checked') === 'true' || box.classList.contains('checked')) : e.getAttribute('aria-checked') === 'true';
          const part = (sel) => (e.querySelector(sel)?.innerText || '').replace(/\s+/g, ' ').trim();
          return { text: e.innerText.replace(/\s+/g, ' ').trim(), label: part('.label-name'), description: part('.label-description'), checked };
        }));
      if (!found.some((r) => re.test(r.text))) throw new Error(`rows: ${JSON.stringify(found)}`);
      return found;
    }, timeout);
    if (accept) {
      await page.keyboard.press('Enter');
      await until('the quick pick to close', async () => !(await page.$(`${widget} .quick-input-list .monaco-list-row`)), timeout);
    }
    return rows;
  },

  // wait until a tab titled like each of `titles` is open and the active editor is a diff
  // editor whose original side contains `original` and modified side `modified`; returns
  // the tabs, both sides' text and the changed-line decorations
  async diffEditor({ titles = [], original = '', modified = '', timeout }) {
    const norm = (t) => t.replace(/\s+/g, ' ').trim();
    return until(`diff editor tabs ${JSON.stringify(titles)}`, async () => {
      const tabs = (await texts('.tabs-container .tab')).map(norm);
      const missing = titles.filter((t) => !tabs.some((x) => x.includes(t)));
      if (missing.length) throw new Error(`tabs: ${JSON.stringify(tabs)}`);
      const group = '.editor-group-container.active .monaco-diff-editor';
      if (!(await page.$(group))) throw new Error('the active editor is not a diff editor');
      const side = (name) => page.$eval(`${group} .editor.${name} .view-lines`, (el) => el.innerText.replace(/\u00a0/g, ' ')).catch(() => '');
      const result = {
        tabs,
        active: norm((await texts('.tabs-container .tab.active'))[0] || ''),
        original: await side('original'),
        modified: await side('modified'),
        deleted: await page.$$eval(`${group} .editor.original .line-delete, ${group} .editor.original .char-delete`, (els) => els.length),
        inserted: await page.$$eval(`${group} .editor.modified .line-insert, ${group} .editor.modified .char-insert`, (els) => els.length),
      };
      if (!result.original.includes(original) || !result.modified.includes(modified) || !result.deleted || !result.inserted) {
        throw new Error(`diff: ${JSON.stringify(result).slice(0, 1500)}`);
      }
      return result;
    }, timeout, 250);
  },

  // a modal dialog (workspace trust): its message, and click `button` when given
  async dialog({ button, timeout }) {
    await page.waitForSelector('.monaco-dialog-box', { timeout });
    const message = (await texts('.monaco-dialog-box .dialog-message-text, .monaco-dialog-box .dialog-message'))[0] || '';
    const buttons = await texts('.monaco-dialog-box .dialog-buttons .monaco-button');
    if (button) {
      if (!buttons.some((b) => b.startsWith(button))) throw new Error(`no dialog button ${button} in ${JSON.stringify(buttons)}`);
      await clickFresh(`the dialog button ${button}`, async () => {
        for (const b of await page.$$('.monaco-dialog-box .dialog-buttons .monaco-button')) {
          if (((await b.innerText().catch(() => '')) || '').trim().startsWith(button)) return b;
        }
        return null;
      }, timeout);
      await until('the dialog to close', async () => !(await page.$('.monaco-dialog-box')), timeout);
    }
    return { message, buttons };
  },

  // the text of the Output panel (the channel shown)
  async outputText({ top = false, timeout }) {
    const selector = '.output-view .view-lines';
    await page.waitForSelector(selector, { timeout });
    if (top) { // the channel's first lines
      await page.focus('.output-view textarea, .output-view .native-edit-context');
      await page.keyboard.press('Control+Home');
      await sleep(200);
    }
    return page.$eval(selector, (el) => el.innerText.replace(/\u00a0/g, ' '));
  },

  async clearNotifications() {
    await page.keyboard.press('Escape');
    for (const b of await page.$$('.notifications-toasts .codicon-notifications-clear, .notifications-toasts .codicon-close')) {
      await b.click().catch(() => {});
    }
    return true;
  },

  async editorText() {
    return page.$eval('.editor-instance .view-lines', (el) => el.innerText.replace(/\u00a0/g, ' '));
  },

  async screenshot({ path: out, clip }) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out, clip });
    return out;
  },

  async close() {
    if (context) await context.close().catch(() => {});
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    setTimeout(() => process.exit(0), 50);
    return true;
  },
};

const rl = readline.createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on('line', (line) => {
  chain = chain.then(async () => {
    let request;
    try {
      request = JSON.parse(line);
    } catch {
      return;
    }
    const { id, op, timeout = 30000, ...params } = request;
    const t0 = Date.now();
    try {
      if (!ops[op]) throw new Error(`unknown op ${op}`);
      const result = await ops[op]({ ...params, timeout });
      log(`${op} ok in ${Date.now() - t0} ms`);
      process.stdout.write(JSON.stringify({ id, ok: true, result }) + '\n');
    } catch (e) {
      log(`${op} FAILED in ${Date.now() - t0} ms: ${e && e.stack}`);
      process.stdout.write(JSON.stringify({ id, ok: false, error: String((e && e.message) || e) }) + '\n');
    }
  });
});
rl.on('close', () => { chain.then(() => ops.close()); });

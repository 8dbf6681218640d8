// DOM helpers. Data from the server only ever goes into the page as text (textContent), never as HTML.

/**
 * Builds an element. props: class, text, title, dataset {}, on {event: fn}, and any other property or attribute
 * (for, type, name, value, checked, disabled, ...). Children: nodes, strings (as text), arrays; null is skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    else if (key in el && !key.includes('-') && key !== 'list' && key !== 'form') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function text(value) {
  return value === null || value === undefined ? '' : String(value);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortTimeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** A time in the operator's time zone. */
export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return isNaN(date) ? String(iso) : timeFormat.format(date);
}

export function formatShortTime(date) {
  return shortTimeFormat.format(date);
}

/** "3 minutes ago". */
export function relativeTime(iso) {
  if (!iso) return 'never';
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 10) return 'just now';
  if (abs < 45) return relative.format(seconds, 'second');
  if (abs < 2700) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 79200) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

/** A <time> element showing a relative time, kept fresh, with the full local time on hover. */
export function timeAgo(iso) {
  const el = h('time', { datetime: iso || '', title: formatTime(iso), class: 'nowrap' }, relativeTime(iso));
  el.dataset.relative = iso || '';
  return el;
}

setInterval(() => {
  for (const el of document.querySelectorAll('time[data-relative]')) {
    if (el.dataset.relative) el.textContent = relativeTime(el.dataset.relative);
  }
}, 15000);

export function statusBadge(status) {
  return h('span', { class: ['badge', 'status', 'status-' + text(status)] }, text(status) || '—');
}

export function formatBytes(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1024 / 1024).toFixed(1) + ' MiB';
}

/** A short message at the bottom right. */
export function toast(message, bad = false) {
  const el = h('div', { class: ['toast', bad && 'bad'], role: bad ? 'alert' : 'status' }, message);
  document.getElementById('toasts').appendChild(el);
  setTimeout(() => el.remove(), bad ? 8000 : 4000);
}

/** An error box for a failed call: the problem's detail in words, and the field it is about. */
export function errorBox(error) {
  return h('div', { class: 'error', role: 'alert' }, describe(error));
}

export function describe(error) {
  if (!error) return '';
  if (error.field) return `${error.message} (${error.field})`;
  return error.message || String(error);
}

/** Shows an API error next to a form: a box at the top and the offending field marked. */
export function showFormError(form, box, error) {
  for (const el of form.querySelectorAll('.invalid')) el.classList.remove('invalid');
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  if (!error) {
    fill(box);
    return;
  }
  fill(box, errorBox(error));
  if (error.field) {
    const leaf = error.field.split('.').pop().replace(/\[\d+\]$/, '');
    const input = form.querySelector(`[name="${CSS.escape(error.field)}"]`) || form.querySelector(`[name="${CSS.escape(leaf)}"]`);
    if (input) {
      input.classList.add('invalid');
      input.setAttribute('aria-invalid', 'true');
      input.insertAdjacentElement('afterend', h('span', { class: 'field-error' }, error.message));
      input.focus();
    }
  }
}

/** A labelled input. */
export function field(labelText, input, hint) {
  return h('label', {}, labelText, input, hint ? h('span', { class: 'muted small' }, hint) : null);
}

export function table(headers, rows, options = {}) {
  return h('div', { class: 'table-wrap' }, h('table', { class: options.fixed ? 'fixed' : null },
    options.cols ? h('colgroup', {}, options.cols.map(c => h('col', { class: c }))) : null,
    h('thead', {}, h('tr', {}, headers.map(x => typeof x === 'string' ? h('th', {}, x) : x))),
    h('tbody', {}, rows)));
}

export function empty(message) {
  return h('div', { class: 'empty' }, message);
}

export function loading(message = 'Loading…') {
  return h('div', { class: 'loading' }, message);
}

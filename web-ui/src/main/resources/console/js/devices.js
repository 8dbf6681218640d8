// Device list: server-side filters, sort and cursor paging (fast at any fleet size), bulk selection, live status.
import { h, fill, errorBox, empty, timeAgo, statusBadge, toast, describe } from './dom.js';
import { get, post, del, query, events, debounce, enc } from './api.js';

let objectModels = null;
/** Object ids and names, for the object filter (fetched once). */
export async function objectList() {
  if (!objectModels) {
    const { items } = await get('/api/v1/objects');
    const byId = new Map();
    for (const m of items) byId.set(m.id, m.name);
    objectModels = [...byId.entries()].sort((a, b) => a[0] - b[0]);
  }
  return objectModels;
}

/** Endpoints chosen on the device list, handed to the campaign form. */
export const selection = new Set();

/** The columns the server sorts by (`?sort=`, '-' for descending) and the direction a first click picks. */
const SORTABLE = {
  endpoint: { label: 'Endpoint', first: '' },
  label: { label: 'Label', first: '' },
  status: { label: 'Status', first: '' },
  lastUpdate: { label: 'Last seen', first: '-' },
};

/** The header whose sort button was used: it gets the focus back once the list is drawn again in the new order. */
let refocusSort = null;

const STATUS_OF_EVENT = { registered: 'online', updated: 'online', awake: 'online', sleeping: 'sleeping',
  deregistered: 'offline', expired: 'offline' };

export function render(ctx) {
  const filters = {
    q: ctx.query.get('q') || '', status: ctx.query.get('status') || '', tag: ctx.query.get('tag') || '',
    object: ctx.query.get('object') || '', limit: ctx.query.get('limit') || '50',
    model: ctx.query.get('model') || '', version: ctx.query.get('version') || '', sort: ctx.query.get('sort') || '',
  };
  // Devices by firmware come from the firmware inventory; the other filters do not apply to that list.
  const byFirmware = !!(filters.model || filters.version);
  // The firmware list is by endpoint only; a sort the server does not know is left to it to refuse.
  if (byFirmware) filters.sort = '';
  const sortKey = filters.sort.replace(/^-/, '') || 'endpoint';
  const descending = filters.sort.startsWith('-');
  const cursors = [null];
  let page = 0;
  let rows = new Map();
  let loadToken = 0;

  const q = h('input', { name: 'q', type: 'search', value: filters.q, placeholder: 'endpoint or label contains…', id: 'filter-q' });
  const status = h('select', { name: 'status', id: 'filter-status' }, h('option', { value: '' }, 'any status'),
    ['online', 'sleeping', 'offline'].map(s => h('option', { value: s, selected: s === filters.status }, s)));
  const tag = h('input', { name: 'tag', value: filters.tag, placeholder: 'tag', id: 'filter-tag', size: 12 });
  const object = h('select', { name: 'object', id: 'filter-object' }, h('option', { value: '' }, 'any object'));
  const firmware = h('select', { name: 'firmware', id: 'filter-firmware' }, h('option', { value: '' }, 'any firmware'));
  if (byFirmware) firmware.appendChild(h('option', { value: filters.model + '|' + filters.version, selected: true }, `${filters.model || 'any model'} ${filters.version || ''}`.trim()));
  get('/api/v1/firmware/versions').then(({ items }) => {
    for (const v of items) {
      const value = (v.model || '') + '|' + (v.version || '');
      if (value === filters.model + '|' + filters.version) continue;
      firmware.appendChild(h('option', { value }, `${v.model || '?'} ${v.version || '?'} (${v.devices})`));
    }
  }).catch(() => {});
  const limit = h('select', { name: 'limit', 'aria-label': 'Page size' },
    ['25', '50', '100', '200', '500'].map(n => h('option', { value: n, selected: n === filters.limit }, n + ' per page')));
  const form = h('form', { class: 'inline', id: 'device-filters', role: 'search' },
    h('label', {}, 'Search', q), h('label', {}, 'Status', status), h('label', {}, 'Tag', tag),
    h('label', {}, 'Object', object), h('label', {}, 'Firmware', firmware), h('label', {}, 'Page size', limit),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'),
    h('button', { type: 'button', on: { click: () => ctx.navigate('#/devices') } }, 'Clear'));
  objectList().then(models => {
    for (const [id, name] of models) object.appendChild(h('option', { value: id, selected: String(id) === filters.object }, `${id} ${name}`));
  }).catch(() => {});

  const errors = h('div');
  const selectionBar = h('div', { class: 'selection-bar', id: 'selection-bar' });
  const allBox = h('input', { type: 'checkbox', 'aria-label': 'Select all on this page', id: 'select-page' });
  const tbody = h('tbody', { id: 'device-rows' });
  const info = h('span', { class: 'muted small', id: 'page-info' });
  const prev = h('button', { type: 'button', disabled: true }, '‹ Previous');
  const next = h('button', { type: 'button', disabled: true, id: 'next-page' }, 'Next ›');

  fill(ctx.el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Devices'),
      ctx.can('operator') ? h('span', { class: 'actions' }, h('a', { class: 'button', href: '#/provision' }, 'Add devices')) : null),
    h('section', { class: 'panel' }, form),
    errors, selectionBar,
    h('div', { class: 'panel' }, h('div', { class: 'table-wrap' }, h('table', { class: 'fixed', id: 'devices' },
      h('colgroup', {}, h('col', { class: 'check' }), h('col', { class: 'c-endpoint' }), h('col', { class: 'c-label' }), h('col', { class: 'c-status' }),
        h('col', { class: 'c-tags' }), h('col', { class: 'c-security' }), h('col', { class: 'c-seen' })),
      h('thead', {}, h('tr', {}, h('th', {}, allBox), header('endpoint'), header('label'), header('status'),
        h('th', {}, 'Tags'), h('th', {}, 'Security'), header('lastUpdate'))),
      tbody)),
      h('div', { class: 'pager' }, prev, next, info)));

  /** A column header; sortable ones hold a button that sorts by it, or turns the direction round. */
  function header(key) {
    const { label, first } = SORTABLE[key];
    if (byFirmware) return h('th', { title: 'Devices by firmware are listed by endpoint' }, label);
    const active = key === sortKey;
    const nextSort = active ? (descending ? '' : '-') + key : first + key;
    const arrow = active ? (descending ? '▼' : '▲') : '';
    const goes = active ? (descending ? 'ascending' : 'descending') : (first ? 'descending' : 'ascending');
    return h('th', { 'aria-sort': active ? (descending ? 'descending' : 'ascending') : 'none', dataset: { sort: key } },
      h('button', { type: 'button', class: 'sort' + (active ? ' active' : ''), title: `Sort by ${label.toLowerCase()}, ${goes}`,
        on: { click: () => sortBy(nextSort) } }, label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, arrow)));
  }

  /** A new order starts again at the first page; filters stay. */
  function sortBy(sort) {
    refocusSort = sort.replace(/^-/, '');
    const f = readForm();
    f.sort = sort === 'endpoint' ? '' : sort;
    if (f.limit === '50') delete f.limit;
    ctx.navigate('#/devices' + query(f));
  }

  if (refocusSort) {
    ctx.el.querySelector(`th[data-sort="${refocusSort}"] button`)?.focus();
    refocusSort = null;
  }

  function readForm() {
    const [model, version] = firmware.value ? firmware.value.split('|') : ['', ''];
    if (model || version) return { model, version, limit: limit.value };
    return { q: q.value.trim(), status: status.value, tag: tag.value.trim(), object: object.value, limit: limit.value,
      sort: filters.sort };
  }
  if (byFirmware) for (const el of [q, status, tag, object]) el.disabled = true;

  form.addEventListener('submit', e => {
    e.preventDefault();
    const f = readForm();
    if (f.limit === '50') delete f.limit;
    ctx.navigate('#/devices' + query(f));
  });
  limit.addEventListener('change', () => form.requestSubmit());
  status.addEventListener('change', () => form.requestSubmit());
  object.addEventListener('change', () => form.requestSubmit());
  firmware.addEventListener('change', () => form.requestSubmit());

  function drawSelection() {
    if (!selection.size) {
      fill(selectionBar, h('span', { class: 'muted small' }, 'Select devices to act on several at once.'));
      return;
    }
    const actions = [h('strong', {}, `${selection.size} selected`)];
    if (ctx.can('operator')) {
      actions.push(h('button', { type: 'button', id: 'bulk-campaign', on: { click: () => ctx.navigate('#/firmware/campaigns/new?selection=1') } }, 'Firmware campaign…'));
      actions.push(tagForm());
      actions.push(h('button', { type: 'button', class: 'danger', id: 'bulk-delete', on: { click: bulkDelete } }, 'Delete…'));
    }
    actions.push(h('button', { type: 'button', id: 'clear-selection', on: { click: () => { selection.clear(); syncChecks(); drawSelection(); } } }, 'Clear selection'));
    fill(selectionBar, actions);
  }

  function tagForm() {
    const add = h('input', { name: 'add', placeholder: 'add tags', size: 12, id: 'bulk-tag-add', 'aria-label': 'Tags to add, separated by commas' });
    const remove = h('input', { name: 'remove', placeholder: 'remove tags', size: 12, id: 'bulk-tag-remove', 'aria-label': 'Tags to remove, separated by commas' });
    const form = h('form', { class: 'inline', id: 'bulk-tag-form' }, add, remove, h('button', { type: 'submit' }, 'Apply tags'));
    const split = text => text.split(',').map(t => t.trim()).filter(Boolean);
    form.addEventListener('submit', async e => {
      e.preventDefault();
      try {
        const result = await post('/api/v1/devices:tags', { devices: [...selection], add: split(add.value), remove: split(remove.value) });
        toast(`Tags changed on ${result.updated} device(s)` + (result.missing.length ? `; ${result.missing.length} no longer exist` : '') + '.');
        fill(errors);
        load();
      } catch (error) {
        fill(errors, errorBox(error));
      }
    });
    return form;
  }

  async function bulkDelete() {
    const list = [...selection];
    if (!confirm(`Delete ${list.length} device(s) with their credentials, data and registration?\n\n${list.slice(0, 20).join('\n')}${list.length > 20 ? '\n…' : ''}`)) return;
    const failed = [];
    for (const endpoint of list) {
      try {
        await del('/api/v1/devices/' + enc(endpoint));
        selection.delete(endpoint);
      } catch (error) {
        failed.push(`${endpoint}: ${describe(error)}`);
      }
    }
    if (failed.length) fill(errors, h('div', { class: 'error', role: 'alert' }, 'Not deleted: ' + failed.join('; ')));
    else toast(`Deleted ${list.length} device(s).`);
    drawSelection();
    load();
  }

  function syncChecks() {
    for (const [endpoint, row] of rows) {
      row.check.checked = selection.has(endpoint);
      row.tr.classList.toggle('selected', selection.has(endpoint));
    }
    allBox.checked = rows.size > 0 && [...rows.keys()].every(e => selection.has(e));
  }

  allBox.addEventListener('change', () => {
    for (const endpoint of rows.keys()) {
      if (allBox.checked) selection.add(endpoint); else selection.delete(endpoint);
    }
    syncChecks();
    drawSelection();
  });

  function row(d) {
    const check = h('input', { type: 'checkbox', 'aria-label': 'Select ' + d.endpoint, checked: selection.has(d.endpoint) });
    check.addEventListener('change', () => {
      if (check.checked) selection.add(d.endpoint); else selection.delete(d.endpoint);
      syncChecks();
      drawSelection();
    });
    const statusCell = h('td', {}, statusBadge(d.status));
    const seenCell = h('td', {}, timeAgo(d.lastUpdate));
    const tr = h('tr', { dataset: { endpoint: d.endpoint }, class: selection.has(d.endpoint) ? 'selected' : null },
      h('td', {}, check),
      h('td', { title: d.endpoint }, h('a', { href: '#/devices/' + enc(d.endpoint), class: 'endpoint' }, d.endpoint)),
      h('td', { title: d.label || '' }, d.label || ''),
      statusCell,
      h('td', { title: (d.tags || []).join(', ') }, (d.tags || []).map(t => h('a', { class: 'badge tag', href: '#/devices?tag=' + enc(t) }, t))),
      h('td', {}, d.credentials ? d.credentials.kind : ''),
      seenCell);
    return { tr, check, statusCell, seenCell };
  }

  async function load() {
    const token = ++loadToken;
    const f = filters;
    try {
      const result = byFirmware
        ? await get('/api/v1/fleet/firmware/devices' + query({ model: f.model, version: f.version, limit: f.limit, cursor: cursors[page] }))
        : await get('/api/v1/devices' + query({ ...f, cursor: cursors[page] }));
      if (token !== loadToken) return;
      fill(errors);
      rows = new Map();
      for (const d of result.items) rows.set(d.endpoint, row(d));
      if (!result.items.length) {
        fill(tbody, h('tr', {}, h('td', { colSpan: 7 }, empty(page === 0
          ? (Object.entries(f).some(([k, v]) => v && k !== 'limit' && k !== 'sort') ? 'No device matches these filters.' : 'No devices yet. Provision one, or start the server with --demo.')
          : 'No more devices.'))));
      } else {
        fill(tbody, [...rows.values()].map(r => r.tr));
      }
      cursors[page + 1] = result.nextCursor;
      next.disabled = !result.nextCursor;
      prev.disabled = page === 0;
      info.textContent = result.items.length ? `Page ${page + 1} · ${result.items.length} device(s)${result.nextCursor ? ', more on the next page' : ''}` : '';
      syncChecks();
    } catch (error) {
      if (token === loadToken) fill(errors, errorBox(error));
    }
  }

  next.addEventListener('click', () => { page++; load(); });
  prev.addEventListener('click', () => { if (page > 0) { page--; load(); } });

  // Live: a device on this page changes status in place; new or deleted devices reload the page.
  ctx.onCleanup(events.on(Object.keys(STATUS_OF_EVENT), event => {
    const r = rows.get(event.endpoint);
    if (!r) return;
    const newStatus = STATUS_OF_EVENT[event.type];
    if (filters.status && filters.status !== newStatus) { reload(); return; }
    fill(r.statusCell, statusBadge(newStatus));
    if (event.type === 'registered' || event.type === 'updated' || event.type === 'awake') fill(r.seenCell, timeAgo(event.at));
  }));
  const reload = debounce(load, 800);
  ctx.onCleanup(events.on(['provisioned', 'deleted'], reload));
  ctx.onCleanup(events.on('registered', event => { if (filters.status && !rows.has(event.endpoint)) reload(); }));

  drawSelection();
  fill(tbody, h('tr', {}, h('td', { colSpan: 7 }, h('div', { class: 'loading' }, 'Loading devices…'))));
  load();
}

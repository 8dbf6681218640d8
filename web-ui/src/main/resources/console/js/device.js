// One device: identity and registration, the object tree from the models with current values, every operation
// typed by the model, live and historical charts, pending operations and the operation log.
import { h, fill, errorBox, empty, timeAgo, formatTime, statusBadge, toast, describe, field, table, showFormError } from './dom.js';
import { get, post, put, del, request, enc, query, events, notifications } from './api.js';
import { liveChart, historyChart } from './chart.js';
import { credentialsFields, credentialsError } from './provision.js';

const modelCache = new Map();
/** The model of an object (newest, or the version the device announced). */
export function model(objectId, version) {
  const key = objectId + '@' + (version || '');
  if (!modelCache.has(key)) {
    modelCache.set(key, get(`/api/v1/objects/${objectId}` + query({ version }))
      .catch(() => get(`/api/v1/objects/${objectId}`))
      .catch(error => { modelCache.delete(key); throw error; }));
  }
  return modelCache.get(key);
}

const NUMERIC = new Set(['INTEGER', 'UNSIGNED_INTEGER', 'FLOAT']);

/** A value as the page shows it. */
function show(value, type) {
  if (value === null || value === undefined) return '';
  if (type === 'TIME' && typeof value === 'string') return formatTime(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** An input for a value of a resource, typed by its model. Answers {input, read()} where read() gives the JSON value. */
export function valueInput(resource, name) {
  const type = resource.type;
  const range = resource.range || '';
  const label = resource.name + (resource.units ? ` (${resource.units})` : '');
  let input;
  let read;
  const choices = range.includes(',') && !range.includes('..') ? range.split(',').map(s => s.trim()).filter(Boolean) : null;
  if (type === 'BOOLEAN') {
    input = h('select', { name }, h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
    read = () => input.value === 'true';
  } else if (choices) {
    input = h('select', { name }, choices.map(c => h('option', { value: c }, c)));
    read = () => (NUMERIC.has(type) ? Number(input.value) : input.value);
  } else if (NUMERIC.has(type)) {
    input = h('input', { name, type: 'number', step: type === 'FLOAT' ? 'any' : '1', required: true });
    const bounds = range.match(/^\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*$/);
    if (bounds) { input.min = bounds[1]; input.max = bounds[2]; }
    if (type === 'UNSIGNED_INTEGER' && !bounds) input.min = '0';
    read = () => {
      if (input.value === '') throw Object.assign(new Error('a number is required'), { field: name });
      return Number(input.value);
    };
  } else if (type === 'TIME') {
    input = h('input', { name, type: 'datetime-local', step: '1', required: true });
    read = () => new Date(input.value).toISOString().replace(/\.\d{3}Z$/, 'Z');
  } else if (type === 'OPAQUE') {
    input = h('input', { name, placeholder: 'Base64, or choose a file', size: 30 });
    const file = h('input', { type: 'file', 'aria-label': 'Read the value from a file' });
    file.addEventListener('change', () => {
      const chosen = file.files[0];
      if (!chosen) return;
      const reader = new FileReader();
      reader.onload = () => { input.value = String(reader.result).replace(/^data:[^,]*,/, ''); };
      reader.readAsDataURL(chosen);
    });
    read = () => input.value.trim();
    return { input: h('span', { class: 'toolbar' }, input, file), read, label };
  } else if (type === 'OBJLNK') {
    input = h('input', { name, placeholder: 'object:instance, e.g. 3:0', pattern: '\\d+:\\d+' });
    read = () => input.value.trim();
  } else {
    input = h('input', { name, size: 30 });
    read = () => input.value;
  }
  return { input, read, label };
}

export function render(ctx) {
  const endpoint = ctx.params[0];
  const base = '/api/v1/devices/' + enc(endpoint);
  const canOperate = ctx.can('operator');
  let device = null;

  const head = h('div', { class: 'page-head' }, h('h1', {}, endpoint));
  const errors = h('div');
  const facts = h('div', {}, h('div', { class: 'loading' }, 'Loading…'));
  const objects = h('div', { class: 'objects', id: 'objects' });
  const activity = h('ul', { class: 'small', id: 'activity' });
  const liveEl = h('div', { id: 'live-chart' });
  const observationsEl = h('div', { id: 'observations' });
  const historyEl = h('div', { id: 'history-chart' });
  const historyControls = h('form', { class: 'inline', id: 'history-form' });
  const pendingEl = h('div', { id: 'pending' });
  const logEl = h('div', { id: 'operation-log' });
  const updatesEl = h('div', { id: 'firmware-updates' });

  fill(ctx.el, head, errors,
    h('div', { class: 'split' },
      h('div', {},
        h('section', { class: 'panel' }, h('h2', {}, 'Objects'), objects),
        h('section', { class: 'panel' }, h('h2', {}, 'Live values'), observationsEl, liveEl),
        h('section', { class: 'panel' }, h('h2', {}, 'History'), historyControls, historyEl)),
      h('div', {},
        h('section', { class: 'panel' }, h('h2', {}, 'Device'), facts),
        h('section', { class: 'panel' }, h('h2', {}, 'Recent events'), activity),
        h('section', { class: 'panel' }, h('h2', {}, 'Pending operations'), pendingEl),
        h('section', { class: 'panel' }, h('h2', {}, 'Operation log'), logEl),
        h('section', { class: 'panel' }, h('h2', {}, 'Firmware updates'), updatesEl))));

  // ---- identity and registration -------------------------------------------------------------------------------
  async function loadDevice(redrawObjects) {
    try {
      device = await get(base);
      drawHead();
      drawFacts();
      if (redrawObjects) drawObjects();
    } catch (error) {
      fill(errors, errorBox(error));
      if (error.status === 404) fill(facts, empty('No such device.'));
    }
  }

  function drawHead() {
    const actions = h('span', { class: 'actions' });
    if (canOperate) {
      actions.appendChild(h('button', { type: 'button', id: 'edit-tags', on: { click: editTags } }, 'Tags…'));
      actions.appendChild(h('button', { type: 'button', id: 'edit-credentials', on: { click: editCredentials } }, 'Credentials…'));
      actions.appendChild(h('button', { type: 'button', class: 'danger', id: 'delete-device', on: { click: async () => {
        if (!confirm(`Delete ${endpoint} with its credentials, data and registration?`)) return;
        try { await del(base); toast(`Deleted ${endpoint}.`); ctx.navigate('#/devices'); } catch (error) { toast(describe(error), true); }
      } } }, 'Delete device'));
    }
    fill(head, h('h1', { id: 'device-endpoint' }, endpoint), h('span', { id: 'device-status' }, statusBadge(device.status)),
      device.label ? h('span', { class: 'muted', id: 'device-label' }, device.label) : null,
      (device.tags || []).map(t => h('a', { class: 'badge tag', href: '#/devices?tag=' + enc(t) }, t)), actions);
  }

  function editTags() {
    const input = h('input', { name: 'tags', value: (device.tags || []).join(', '), size: 40, id: 'tags-input', 'aria-label': 'Tags, separated by commas' });
    const box = h('div');
    const form = h('form', { class: 'inline opform', id: 'tags-form' }, input, h('button', { type: 'submit', class: 'primary' }, 'Save tags'),
      h('button', { type: 'button', on: { click: () => form.remove() } }, 'Cancel'), box);
    form.addEventListener('submit', async e => {
      e.preventDefault();
      const wanted = input.value.split(',').map(t => t.trim()).filter(Boolean);
      const current = device.tags || [];
      const add = wanted.filter(t => !current.includes(t));
      const remove = current.filter(t => !wanted.includes(t));
      if (!add.length && !remove.length) { form.remove(); return; }
      try {
        await post('/api/v1/devices:tags', { devices: [endpoint], add, remove });
        toast('Tags saved.');
        form.remove();
        loadDevice(false);
      } catch (error) {
        showFormError(form, box, error.field === 'add' || error.field === 'remove' ? { message: error.message, field: 'tags' } : error);
      }
    });
    head.after(form);
    input.focus();
  }

  async function editCredentials() {
    const existing = document.getElementById('credentials-form');
    if (existing) { existing.remove(); return; }
    const current = h('p', { class: 'small muted' }, 'Loading the current credentials…');
    const fields = credentialsFields('rekey', () => endpoint);
    const box = h('div');
    const form = h('form', { class: 'stack opform', id: 'credentials-form' }, h('strong', {}, 'Replace the credentials'), current, fields.el,
      h('p', { class: 'small' }, 'The old credentials stop working at once; open DTLS sessions made with them are closed.'),
      h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Replace credentials'), ' ', h('button', { type: 'button', on: { click: () => form.remove() } }, 'Cancel')), box);
    form.addEventListener('submit', async e => {
      e.preventDefault();
      try {
        await put(base + '/credentials', fields.read());
        toast('Credentials replaced.');
        form.remove();
        loadDevice(false);
      } catch (error) {
        showFormError(form, box, credentialsError(error));
      }
    });
    form.addEventListener('keydown', e => { if (e.key === 'Escape') form.remove(); });
    head.after(form);
    try {
      const c = await get(base + '/credentials');
      current.textContent = 'Now: ' + [c.kind, c.identity ? 'identity ' + c.identity : null, c.fingerprint ? 'SHA-256 ' + c.fingerprint : null,
        c.publicKeySha256 ? 'SHA-256 ' + c.publicKeySha256 : null,
        c.certificate ? `pinned certificate ${c.certificate.subject} (SHA-256 ${c.certificate.sha256})` : c.kind === 'x509' ? 'any certificate of a trusted CA with this CN' : null]
        .filter(Boolean).join(', ') + '. Keys are never shown.';
    } catch (error) {
      current.textContent = describe(error);
    }
  }

  // How the device's DTLS session began, as this server saw it (kept in memory: unknown until it sends after a start).
  const SESSION_KINDS = { 'full-handshake': 'full handshake', resumed: 'resumed (abbreviated handshake)', restored: 'restored after a server restart (no handshake)' };
  function sessionFact(session) {
    if (!session) return h('span', { id: 'device-session', class: 'muted' }, 'none since the server started');
    return h('span', { id: 'device-session', dataset: { kind: session.kind } }, SESSION_KINDS[session.kind] || session.kind, ', ', timeAgo(session.since));
  }

  function drawFacts() {
    const r = device.registration;
    const rows = [
      ['Security', device.credentials ? device.credentials.kind + (device.credentials.identity ? ` (identity ${device.credentials.identity})` : '') : '—'],
      device.credentials && device.credentials.certificate ? ['Pinned certificate', h('span', { id: 'pinned-certificate' },
        `${device.credentials.certificate.subject}, issued by ${device.credentials.certificate.issuer}, valid until ${formatTime(device.credentials.certificate.notAfter)}`,
        h('div', { class: 'mono small', title: 'SHA-256 of the certificate' }, 'SHA-256 ' + device.credentials.certificate.sha256))] : null,
      ['Provisioned', formatTime(device.createdAt)],
      ['Last seen', r && r.lastUpdate ? timeAgo(r.lastUpdate) : 'never'],
      ['DTLS session', sessionFact(device.session)],
    ];
    if (r) {
      rows.push(['Registered', formatTime(r.registeredAt)], ['LwM2M version', r.lwm2mVersion], ['Binding', r.binding + (r.queueMode ? ' (queue mode: sleeps)' : '')],
        ['Lifetime', r.lifetime + ' s'], ['Address', r.peerAddress], ['Secured with', r.securityMode], ['Registration id', r.id]);
    } else {
      rows.push(['Registration', 'has never registered']);
    }
    fill(facts, h('dl', { class: 'facts', id: 'device-facts' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', { dataset: { fact: k } }, v instanceof Node ? v : String(v ?? '—'))])));
  }

  // ---- object tree -------------------------------------------------------------------------------------------
  function drawObjects() {
    const announced = device.registration ? device.registration.objects : [];
    if (!announced.length) {
      fill(objects, empty(device.registration ? 'The device announced no objects.' : 'The device has not registered yet: its objects are known once it does.'));
      return;
    }
    const byObject = new Map();
    for (const o of announced) {
      if (!byObject.has(o.objectId)) byObject.set(o.objectId, { version: o.version, name: o.name, modelVersion: o.modelVersion, versionAssumed: o.versionAssumed, instances: [] });
      if (o.instanceId !== null && o.instanceId !== undefined) byObject.get(o.objectId).instances.push(o.instanceId);
    }
    fill(objects, [...byObject.entries()].map(([objectId, o]) => objectNode(objectId, o)));
  }

  function objectNode(objectId, o) {
    const body = h('div', { class: 'instance' }, h('div', { class: 'loading' }, 'Loading model…'));
    const details = h('details', { dataset: { object: objectId } },
      h('summary', {}, h('span', { class: 'name' }, o.name || 'Object ' + objectId), h('code', {}, '/' + objectId),
        o.version ? h('span', { class: 'muted small' }, 'v' + o.version) : null,
        // The server lacks the announced version: it reads and writes with the nearest one it has.
        o.versionAssumed ? h('span', { class: 'assumed small', title: `The server has no model of version ${o.version}; it uses version ${o.modelVersion}.` }, `model v${o.modelVersion} assumed`) : null,
        h('span', { class: 'muted small' }, `${o.instances.length} instance(s)`)),
      body);
    let opened = false;
    details.addEventListener('toggle', async () => {
      if (!details.open || opened) return;
      opened = true;
      try {
        const m = await model(objectId, o.modelVersion || o.version);
        details.title = m.description || '';
        fill(body,
          o.instances.map(i => instanceNode(objectId, i, m)),
          canOperate && (m.multiple || !o.instances.length) ? createForm(objectId, m) : null);
      } catch (error) {
        fill(body, errorBox(error));
      }
    });
    return details;
  }

  function instanceNode(objectId, instanceId, m) {
    const path = `/${objectId}/${instanceId}`;
    const cells = new Map();
    const status = h('span', { class: 'muted small' });
    const rows = [];
    for (const r of m.resources) {
      const valueCell = h('td', { class: 'value', dataset: { path: `${path}/${r.id}` } });
      cells.set(r.id, valueCell);
      const ops = h('td', { class: 'ops' });
      const tr = h('tr', { dataset: { resource: `${path}/${r.id}` } },
        h('td', { title: r.description || '' }, r.name, r.mandatory ? '' : h('span', { class: 'muted small' }, ' (optional)')),
        h('td', { class: 'mono muted' }, String(r.id)),
        valueCell,
        h('td', { class: 'muted small' }, r.units || ''),
        ops);
      const opRow = h('tr', { hidden: true }, h('td', { colSpan: 5 }));
      const openForm = content => {
        fill(opRow.firstChild, content);
        opRow.hidden = !content;
        if (content) content.addEventListener('keydown', e => { if (e.key === 'Escape') { openForm(null); tr.querySelector('button')?.focus(); } });
      };
      const resourcePath = `${path}/${r.id}`;
      if (r.operations.includes('R')) {
        ops.appendChild(h('button', { type: 'button', class: 'small', title: 'Read ' + resourcePath, dataset: { op: 'read' },
          on: { click: () => readPath(resourcePath, m, cells, status) } }, 'Read'));
      }
      if (canOperate && r.operations.includes('W') && !r.multiple) {
        ops.appendChild(h('button', { type: 'button', class: 'small', title: 'Write ' + resourcePath, dataset: { op: 'write' },
          on: { click: () => openForm(opRow.hidden ? writeForm(resourcePath, r, () => openForm(null), m, cells, status) : null) } }, 'Write'));
      }
      if (canOperate && r.operations.includes('E')) {
        ops.appendChild(h('button', { type: 'button', class: 'small', title: 'Execute ' + resourcePath, dataset: { op: 'execute' },
          on: { click: () => openForm(opRow.hidden ? executeForm(resourcePath, r, () => openForm(null)) : null) } }, 'Execute'));
      }
      if (canOperate && r.operations.includes('R')) {
        ops.appendChild(h('button', { type: 'button', class: 'small', title: 'Observe ' + resourcePath, dataset: { op: 'observe' },
          on: { click: () => openForm(opRow.hidden ? observeForm(resourcePath, r, () => openForm(null)) : null) } }, 'Observe'));
      }
      rows.push(tr, opRow);
    }
    const showAll = h('input', { type: 'checkbox', 'aria-label': 'Show every resource of the model' });
    const actions = h('div', { class: 'toolbar' }, h('strong', {}, `Instance ${instanceId}`), h('code', {}, path),
      h('label', { class: 'check small' }, showAll, 'all resources of the model'),
      h('button', { type: 'button', class: 'small', dataset: { op: 'read-instance' }, on: { click: () => readPath(path, m, cells, status) } }, 'Read all'),
      canOperate && m.multiple ? h('button', { type: 'button', class: 'small danger', on: { click: async () => {
        if (!confirm(`Delete instance ${path} on the device?`)) return;
        try { report(await request('DELETE', `${base}/objects${path}`, { withStatus: true }), 'Deleted ' + path); } catch (error) { toast(describe(error), true); }
      } } }, 'Delete instance') : null, status);
    showAll.addEventListener('change', () => node.classList.toggle('show-all', showAll.checked));
    const node = h('div', { class: 'instance-block', dataset: { instance: path } }, actions,
      table(['Resource', 'ID', 'Value', 'Unit', ''], rows));
    fillLatest(path, cells, m);
    if (device.status === 'online') readPath(path, m, cells, status);
    else status.textContent = device.status === 'sleeping' ? 'Sleeping device: values shown are the last reported; a read waits until it wakes.' : '';
    return node;
  }

  async function fillLatest(path, cells, m) {
    try {
      const latest = await latestValues();
      for (const point of latest) {
        if (!point.path.startsWith(path + '/')) continue;
        const id = Number(point.path.split('/')[3]);
        const cell = cells.get(id);
        const r = m.resources.find(x => x.id === id);
        if (cell && !cell.textContent) {
          cell.textContent = show(point.value, r && r.type);
          cell.title = 'Last reported ' + formatTime(point.time);
        }
      }
    } catch { /* the tree still works without */ }
  }

  let latestPromise = null;
  function latestValues() {
    if (!latestPromise) latestPromise = get(base + '/telemetry/latest').then(r => r.items || []).catch(() => []);
    return latestPromise;
  }

  async function readPath(path, m, cells, status) {
    status.textContent = 'Reading ' + path + '…';
    try {
      const result = await request('GET', `${base}/objects${path}`, { withStatus: true });
      if (result.status === 202) {
        status.textContent = `Read queued (operation ${result.data.id}): it runs when the device wakes.`;
        refreshPending();
        return;
      }
      const resources = result.data.resources || (result.data.path ? [result.data] : []);
      if (result.data.resources) {
        // A whole instance was read: the resources it lacks are in the model only; fold them away.
        const present = new Set(resources.map(r => Number(r.path.split('/')[3])));
        for (const [id, cell] of cells) {
          const tr = cell.parentElement;
          const executable = tr.querySelector("button[data-op='execute']") && !tr.querySelector("button[data-op='read']");
          tr.classList.toggle('absent', !present.has(id) && !executable);
        }
      }
      for (const r of resources) {
        const id = Number(r.path.split('/')[3]);
        const cell = cells.get(id);
        if (!cell) continue;
        cell.textContent = r.values ? Object.entries(r.values).map(([k, v]) => `${k}: ${show(v, r.type)}`).join(', ') : show(r.value, r.type);
        cell.title = 'Read ' + formatTime(new Date().toISOString());
      }
      status.textContent = 'Read ' + new Date().toLocaleTimeString();
    } catch (error) {
      status.textContent = '';
      toast(`Read ${path}: ${describe(error)}`, true);
    } finally {
      refreshLog();
    }
  }

  function report(result, what) {
    if (result.status === 202) {
      toast(`${what}: queued (operation ${result.data.id}); it runs when the device wakes.`);
      refreshPending();
    } else {
      toast(what + ': done.');
    }
    refreshLog();
  }

  function writeForm(path, r, close, m, cells, status) {
    const { input, read, label } = valueInput(r, 'value');
    const box = h('div');
    const form = h('form', { class: 'inline opform', dataset: { form: 'write' } }, field(`New value of ${label}`, input),
      h('button', { type: 'submit', class: 'primary' }, 'Write'), h('button', { type: 'button', on: { click: close } }, 'Cancel'), box);
    form.addEventListener('submit', async e => {
      e.preventDefault();
      try {
        const value = read();
        const result = await request('PUT', `${base}/objects${path}`, { json: { value }, withStatus: true });
        report(result, 'Write ' + path);
        close();
        if (result.status !== 202) readPath(path, m, cells, status);
      } catch (error) {
        showFormError(form, box, error.field === 'value' || !error.field ? { message: error.message, field: 'value' } : error);
      }
    });
    setTimeout(() => input.querySelector ? (input.querySelector('input') || input).focus() : input.focus());
    return form;
  }

  function executeForm(path, r, close) {
    const args = h('input', { name: 'arguments', placeholder: "optional, e.g. 0='a',1", size: 28 });
    const box = h('div');
    const form = h('form', { class: 'inline opform', dataset: { form: 'execute' } }, field(`Execute ${r.name} with arguments`, args),
      h('button', { type: 'submit', class: 'primary' }, 'Execute'), h('button', { type: 'button', on: { click: close } }, 'Cancel'), box);
    form.addEventListener('submit', async e => {
      e.preventDefault();
      try {
        const body = args.value.trim() ? { arguments: args.value.trim() } : undefined;
        report(await request('POST', `${base}/objects${path}/execute`, { json: body, withStatus: true }), 'Execute ' + path);
        close();
      } catch (error) {
        showFormError(form, box, error);
      }
    });
    setTimeout(() => args.focus());
    return form;
  }

  function observeForm(path, r, close) {
    const inputs = {};
    const attr = (name, title) => {
      inputs[name] = h('input', { name, type: 'number', step: 'any', size: 6, title });
      return field(name, inputs[name]);
    };
    inputs.pmin = null;
    const box = h('div');
    const form = h('form', { class: 'inline opform', dataset: { form: 'observe' } },
      attr('pmin', 'Minimum period between notifications (s)'), attr('pmax', 'Maximum period between notifications (s)'),
      NUMERIC.has(r.type) ? [attr('gt', 'Notify when above'), attr('lt', 'Notify when below'), attr('st', 'Notify on a change of at least')] : null,
      h('button', { type: 'submit', class: 'primary' }, 'Observe'), h('button', { type: 'button', on: { click: close } }, 'Cancel'), box);
    inputs.pmin.value = '1';
    inputs.pmax.value = '5';
    form.addEventListener('submit', async e => {
      e.preventDefault();
      const attributes = {};
      for (const [name, input] of Object.entries(inputs)) if (input && input.value !== '') attributes[name] = Number(input.value);
      try {
        chart.series(path, r.name, r.units);
        await post(`${base}/observations`, { paths: [path], attributes: Object.keys(attributes).length ? attributes : undefined });
        toast('Observing ' + path);
        close();
        loadObservations();
        refreshLog();
      } catch (error) {
        showFormError(form, box, error.field && error.field.startsWith('attributes.') ? { message: error.message, field: error.field.split('.')[1] } : error);
      }
    });
    setTimeout(() => inputs.pmin.focus());
    return form;
  }

  function createForm(objectId, m) {
    const writable = m.resources.filter(r => r.operations.includes('W') && !r.multiple);
    const instanceId = h('input', { name: 'instanceId', type: 'number', min: 0, size: 6, placeholder: 'auto' });
    const values = writable.map(r => ({ r, ...valueInput(r, 'resources.' + r.id) }));
    // Mandatory resources must come with the new instance (a device refuses it otherwise); the others may be skipped.
    for (const v of values) if (v.input.required !== undefined) v.input.required = !!v.r.mandatory;
    const box = h('div');
    const form = h('form', { class: 'stack opform', dataset: { form: 'create' } },
      h('strong', {}, `New instance of ${m.name}`), field('Instance id', instanceId),
      values.map(v => field(v.label + (v.r.mandatory ? ' (mandatory)' : ' (leave empty to skip)'), v.input)),
      h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Create instance')), box);
    // Booleans and choices always have a value: let the operator leave them out with an empty choice.
    for (const v of values) if (v.input.tagName === 'SELECT' && !v.r.mandatory) v.input.prepend(h('option', { value: '', selected: true }, '(skip)'));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      try {
        const resources = [];
        for (const v of values) {
          const el = v.input.tagName === 'SPAN' ? v.input.querySelector('input') : v.input;
          if (el.value === '') continue;
          resources.push({ id: v.r.id, value: v.read() });
        }
        const body = { resources };
        if (instanceId.value !== '') body.instanceId = Number(instanceId.value);
        report(await request('POST', `${base}/objects/${objectId}`, { json: body, withStatus: true }), `Create /${objectId}`);
        loadDevice(true);
      } catch (error) {
        showFormError(form, box, error);
      }
    });
    return h('details', {}, h('summary', {}, 'Create an instance…'), form);
  }

  // ---- live values ---------------------------------------------------------------------------------------------
  const chart = liveChart(liveEl);
  ctx.onCleanup(() => chart.destroy());
  const names = new Map();
  ctx.onCleanup(notifications(endpoint, event => {
    for (const point of event.data.points || []) {
      if (!names.has(point.path)) continue;
      if (typeof point.value === 'number' && !pathSelect.querySelector(`option[value="${CSS.escape(point.path)}"]`)) {
        pathSelect.disabled = false;
        pathSelect.appendChild(h('option', { value: point.path, dataset: { name: chart.label(point.path) || point.path } }, `${chart.label(point.path) || ''} ${point.path}`.trim()));
      }
      chart.push(point.path, new Date(point.time).getTime() / 1000, typeof point.value === 'number' ? point.value : Number(point.value));
      const cell = objects.querySelector(`td.value[data-path="${CSS.escape(point.path)}"]`);
      if (cell) { cell.textContent = show(point.value); cell.title = 'Notified ' + formatTime(point.time); }
    }
  }));

  async function loadObservations() {
    try {
      const { items } = await get(base + '/observations');
      if (!items.length) {
        fill(observationsEl, h('p', { class: 'muted small' }, canOperate ? 'No observation. Use Observe on a resource in the object tree.' : 'No observation.'));
        return;
      }
      fill(observationsEl, table(['Observed', 'Attributes', 'Since', ''], items.map(o => {
        for (const p of o.paths) {
          names.set(p, true);
          const [, objectId, , resourceId] = p.split('/');
          model(Number(objectId)).then(m => {
            const r = m.resources.find(x => x.id === Number(resourceId));
            chart.series(p, r ? r.name : p, r && r.units);
          }).catch(() => chart.series(p, p));
        }
        return h('tr', {}, h('td', { class: 'mono' }, o.paths.join(', ')), h('td', { class: 'mono' }, o.attributes || ''), h('td', {}, timeAgo(o.createdAt)),
          h('td', {}, canOperate ? h('button', { type: 'button', class: 'small', on: { click: async () => {
            try { await del(`${base}/observations` + query({ paths: o.paths.join(',') })); toast('Observation cancelled.'); loadObservations(); } catch (error) { toast(describe(error), true); }
          } } }, 'Cancel') : null));
      })));
    } catch (error) {
      fill(observationsEl, errorBox(error));
    }
  }

  // ---- history ---------------------------------------------------------------------------------------------------
  const pathSelect = h('select', { name: 'path', id: 'history-path' });
  const rangeSelect = h('select', { name: 'range', id: 'history-range' },
    [['PT1H', 'last hour', 'PT20S'], ['PT6H', 'last 6 hours', 'PT2M'], ['PT24H', 'last 24 hours', 'PT5M'], ['P7D', 'last 7 days', 'PT1H']]
      .map(([v, l, step]) => h('option', { value: v, dataset: { step } }, l)));
  fill(historyControls, field('Resource', pathSelect), field('Time range', rangeSelect), h('button', { type: 'submit' }, 'Show'));
  let history = null;
  historyControls.addEventListener('submit', async e => {
    e.preventDefault();
    if (!pathSelect.value) return;
    const hours = { PT1H: 1, PT6H: 6, PT24H: 24, P7D: 168 }[rangeSelect.value];
    const to = new Date();
    const from = new Date(to.getTime() - hours * 3600 * 1000);
    fill(historyEl, h('div', { class: 'loading' }, 'Loading…'));
    try {
      const series = await get(base + '/telemetry' + query({ path: pathSelect.value, from: from.toISOString(), to: to.toISOString(),
        step: rangeSelect.selectedOptions[0].dataset.step }));
      if (history) history.destroy();
      const buckets = (series.buckets || []).filter(b => b.count > 0);
      if (!buckets.length) { fill(historyEl, empty('No numeric values in this time range.')); return; }
      const option = pathSelect.selectedOptions[0];
      history = historyChart(historyEl, { from: from.getTime() / 1000, to: to.getTime() / 1000, label: option.dataset.name || pathSelect.value, unit: option.dataset.unit,
        xs: buckets.map(b => new Date(b.time).getTime() / 1000), avg: buckets.map(b => b.avg), min: buckets.map(b => b.min), max: buckets.map(b => b.max) });
    } catch (error) {
      fill(historyEl, errorBox(error));
    }
  });
  ctx.onCleanup(() => history && history.destroy());

  async function loadHistoryPaths() {
    const latest = await latestValues();
    const numeric = latest.filter(p => typeof p.value === 'number');
    if (!numeric.length) {
      fill(historyEl, empty('No reported values yet: observe a resource, or wait for the device to send data.'));
      pathSelect.disabled = true;
      return;
    }
    pathSelect.disabled = false;
    fill(pathSelect, await Promise.all(numeric.map(async p => {
      const [, objectId, , resourceId] = p.path.split('/');
      let r = null;
      try { r = (await model(Number(objectId))).resources.find(x => x.id === Number(resourceId)); } catch { /* name unknown */ }
      return h('option', { value: p.path, dataset: { name: r ? r.name : p.path, unit: r && r.units ? r.units : '' } }, r ? `${r.name} ${p.path}` : p.path);
    })));
    fill(historyEl, empty('Choose a resource and a time range.'));
  }

  // ---- pending operations, operation log, firmware updates -------------------------------------------------------
  async function refreshPending() {
    try {
      const { items } = await get(base + '/pending');
      const waiting = items.filter(o => o.status === 'pending' || o.status === 'running' || o.status === 'sent');
      fill(pendingEl, !items.length ? empty('Nothing waiting for this device.') : table(['#', 'Operation', 'Path', 'Status', 'Asked', ''],
        items.slice(0, 20).map(o => h('tr', {}, h('td', {}, String(o.id)), h('td', {}, o.operation), h('td', { class: 'mono' }, o.path || ''),
          h('td', { title: o.failure || '' }, statusBadge(o.status)), h('td', {}, timeAgo(o.createdAt)),
          h('td', {}, canOperate && o.status === 'pending' ? h('button', { type: 'button', class: 'small', on: { click: async () => {
            try { await del('/api/v1/operations/' + o.id); refreshPending(); } catch (error) { toast(describe(error), true); }
          } } }, 'Cancel') : null)))));
      pendingEl.dataset.waiting = String(waiting.length);
    } catch (error) {
      fill(pendingEl, errorBox(error));
    }
  }

  let logCursor = null;
  async function refreshLog(more) {
    try {
      const page = await get(base + '/operations' + query({ limit: 20, cursor: more ? logCursor : null }));
      logCursor = page.nextCursor;
      const rows = page.items.map(o => h('tr', {}, h('td', { class: 'nowrap' }, timeAgo(o.requestedAt)), h('td', {}, o.operation, o.requestedBy ? h('div', { class: 'small muted' }, 'by ' + o.requestedBy) : null),
        h('td', { class: 'mono' }, o.target || ''), h('td', { title: o.detail || '' }, statusBadge(o.outcome === 'success' ? 'success' : 'failed'),
          h('span', { class: 'small muted' }, ` ${o.latencyMillis} ms`), o.detail ? h('div', { class: 'small muted' }, o.detail) : null)));
      if (!more) {
        fill(logEl, page.items.length ? table(['When', 'Operation', 'Target', 'Outcome'], rows) : empty('No operation yet.'));
      } else {
        logEl.querySelector('tbody').append(...rows);
      }
      const old = logEl.querySelector('.more');
      if (old) old.remove();
      if (logCursor) logEl.appendChild(h('button', { type: 'button', class: 'more small', on: { click: () => refreshLog(true) } }, 'Older…'));
    } catch (error) {
      fill(logEl, errorBox(error));
    }
  }

  const updateForm = h('form', { class: 'inline', id: 'firmware-update-form' });
  if (canOperate) {
    const imageSelect = h('select', { name: 'imageId', 'aria-label': 'Firmware image' }, h('option', { value: '' }, 'Loading images…'));
    const box = h('div');
    fill(updateForm, imageSelect, h('button', { type: 'submit' }, 'Update firmware'), box);
    get('/api/v1/firmware').then(({ items }) => fill(imageSelect, items.length
      ? items.slice().reverse().map(i => h('option', { value: i.id }, `${i.name} ${i.version}`)) : h('option', { value: '' }, 'no image uploaded')))
      .catch(() => {});
    updateForm.addEventListener('submit', async e => {
      e.preventDefault();
      if (!imageSelect.value) return;
      try {
        await post(base + '/firmware-updates', { imageId: Number(imageSelect.value) });
        showFormError(updateForm, box, null);
        toast('Firmware update started.');
        loadUpdates();
      } catch (error) {
        showFormError(updateForm, box, error);
      }
    });
  }

  async function loadUpdates() {
    try {
      const { items } = await get(base + '/firmware-updates');
      fill(updatesEl, canOperate ? updateForm : null, items.length ? table(['#', 'Image', 'Status', 'Changed', 'Failure'], items.slice(0, 10).map(u => h('tr', {},
        h('td', {}, String(u.id)), h('td', {}, String(u.imageId)), h('td', {}, statusBadge(u.status)), h('td', {}, timeAgo(u.changedAt)),
        h('td', { class: 'small' }, u.failure || '')))) : empty('No firmware update yet.'));
      if (canOperate) updateForm.hidden = device && device.status !== 'online';
    } catch (error) {
      fill(updatesEl, errorBox(error));
    }
  }

  // ---- live: this device's events --------------------------------------------------------------------------------
  const STATUS = { registered: 'online', updated: 'online', awake: 'online', sleeping: 'sleeping', deregistered: 'offline', expired: 'offline' };
  ctx.onCleanup(events.on(['registered', 'updated', 'awake', 'sleeping', 'deregistered', 'expired', 'operation', 'firmware', 'deleted'], event => {
    if (event.endpoint !== endpoint) return;
    const line = h('li', { dataset: { type: event.type } }, h('strong', {}, event.type), ' ', timeAgo(event.at),
      event.type === 'operation' ? ` · ${event.data.operation} ${event.data.path || ''} ${event.data.status}` : '',
      event.type === 'firmware' ? ` · ${event.data.status || ''}` : '');
    activity.querySelector('li.muted')?.remove();
    activity.prepend(line);
    while (activity.children.length > 12) activity.lastChild.remove();
    if ((event.type === 'updated' || event.type === 'awake') && device && device.registration) {
      device.registration.lastUpdate = event.at;
      drawFacts();
    }
    if (STATUS[event.type] && device) {
      device.status = STATUS[event.type];
      fill(document.getElementById('device-status') || h('span'), statusBadge(device.status));
    }
    if (event.type === 'registered') { latestPromise = null; loadDevice(false); loadObservations(); }
    // An instance created or deleted (here or elsewhere): the device announces its objects again.
    if (event.type === 'updated' && event.data.objectsChanged) loadDevice(true);
    if (event.type === 'operation') { refreshPending(); refreshLog(); }
    if (event.type === 'firmware') loadUpdates();
    if (event.type === 'deleted') fill(errors, h('div', { class: 'error' }, 'This device was deleted.'));
  }));

  fill(activity, h('li', { class: 'muted' }, 'Events of this device appear here as they happen.'));
  loadDevice(true).then(() => { if (device) { loadObservations(); loadHistoryPaths(); } });
  refreshPending();
  refreshLog();
  loadUpdates();
}

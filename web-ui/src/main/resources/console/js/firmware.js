// Firmware: images (upload with progress), campaigns (create, watch live, pause, resume, cancel).
import { h, fill, field, showFormError, table, statusBadge, toast, errorBox, empty, timeAgo, formatTime, formatBytes, describe } from './dom.js';
import { get, post, del, upload, query, events, debounce, enc } from './api.js';
import { selection } from './devices.js';

export function render(ctx) {
  const imagesEl = h('div', { id: 'images' }, h('div', { class: 'loading' }, 'Loading…'));
  const campaignsEl = h('div', { id: 'campaigns' }, h('div', { class: 'loading' }, 'Loading…'));
  fill(ctx.el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Firmware'),
      ctx.can('operator') ? h('span', { class: 'actions' }, h('a', { class: 'button primary', href: '#/firmware/campaigns/new', id: 'new-campaign' }, 'New campaign')) : null),
    ctx.can('operator') ? h('section', { class: 'panel' }, h('h2', {}, 'Upload an image'), uploadForm(loadImages)) : null,
    h('section', { class: 'panel' }, h('h2', {}, 'Images'), imagesEl),
    h('section', { class: 'panel' }, h('h2', {}, 'Campaigns'), campaignsEl));

  async function loadImages() {
    try {
      const { items } = await get('/api/v1/firmware');
      fill(imagesEl, items.length ? table(['#', 'Name', 'Version', 'Models', 'Size', 'SHA-256', 'Uploaded', ''], items.map(i => h('tr', { dataset: { image: i.id } },
        h('td', {}, String(i.id)), h('td', {}, i.name), h('td', { class: 'mono' }, i.version), h('td', {}, (i.models || []).join(', ') || 'any'),
        h('td', { class: 'num' }, formatBytes(i.size)), h('td', { class: 'mono small', title: i.sha256 }, (i.sha256 || '').slice(0, 12) + '…'),
        h('td', {}, timeAgo(i.uploadedAt), ' by ', i.uploadedBy || '?'),
        h('td', {}, ctx.can('operator') ? h('button', { type: 'button', class: 'small danger', on: { click: async () => {
          if (!confirm(`Delete image ${i.name} ${i.version}?`)) return;
          try { await del('/api/v1/firmware/' + i.id); loadImages(); } catch (error) { toast(describe(error), true); }
        } } }, 'Delete') : null)))) : empty('No firmware image yet.'));
    } catch (error) {
      fill(imagesEl, errorBox(error));
    }
  }

  async function loadCampaigns() {
    try {
      const [{ items }, images] = await Promise.all([get('/api/v1/campaigns'), get('/api/v1/firmware').catch(() => ({ items: [] }))]);
      const imageName = id => { const i = images.items.find(x => x.id === id); return i ? `${i.name} ${i.version}` : '#' + id; };
      fill(campaignsEl, items.length ? table(['#', 'Name', 'Status', 'Image', 'Stage', 'Created', 'Finished'], items.slice().reverse().map(c => h('tr', { dataset: { campaign: c.id } },
        h('td', {}, String(c.id)), h('td', {}, h('a', { href: '#/campaigns/' + c.id }, c.name)), h('td', {}, statusBadge(c.status), c.pausedReason ? h('div', { class: 'small muted' }, c.pausedReason) : null),
        h('td', {}, imageName(c.imageId)), h('td', {}, `${c.currentStage + 1} of ${Math.max(1, (c.stages || []).length)}`),
        h('td', {}, timeAgo(c.createdAt)), h('td', {}, c.finishedAt ? formatTime(c.finishedAt) : '')))) : empty('No campaign yet.'));
    } catch (error) {
      fill(campaignsEl, errorBox(error));
    }
  }

  ctx.onCleanup(events.on('campaign', debounce(loadCampaigns, 1000)));
  loadImages();
  loadCampaigns();
}

function uploadForm(onDone) {
  const name = h('input', { name: 'name', required: true, id: 'fw-name' });
  const version = h('input', { name: 'version', required: true, id: 'fw-version' });
  const models = h('input', { name: 'models', id: 'fw-models', placeholder: 'optional: SIM-EM-1, SIM-WM-1' });
  const file = h('input', { name: 'file', type: 'file', required: true, id: 'fw-file' });
  const progress = h('progress', { class: 'progress', max: 100, value: 0, hidden: true, id: 'fw-progress' });
  const progressText = h('span', { class: 'small muted', id: 'fw-progress-text' });
  const box = h('div');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const form = h('form', { class: 'stack', id: 'upload-form' },
    h('div', { class: 'toolbar' }, field('Name', name), field('Version', version), field('Models', models)),
    field('Image file', file), progress, progressText, h('div', {}, button), box);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    try {
      const image = await upload('/api/v1/firmware' + query({ name: name.value.trim(), version: version.value.trim(), models: models.value.replace(/\s+/g, '') }),
        chosen, (loaded, total) => {
          progress.value = total ? Math.round(100 * loaded / total) : 0;
          progressText.textContent = `${formatBytes(loaded)} of ${formatBytes(total)}`;
        });
      showFormError(form, box, null);
      progressText.textContent = `Uploaded ${image.name} ${image.version} (${formatBytes(image.size)}, SHA-256 ${image.sha256.slice(0, 12)}…).`;
      toast('Image uploaded.');
      form.reset();
      onDone();
    } catch (error) {
      progressText.textContent = '';
      showFormError(form, box, error);
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
  });
  return form;
}

export function renderNewCampaign(ctx) {
  if (!ctx.can('operator')) {
    fill(ctx.el, h('h1', {}, 'New campaign'), h('p', { class: 'muted' }, 'Your role cannot start campaigns.'));
    return;
  }
  const fromSelection = ctx.query.get('selection') === '1' && selection.size > 0;
  const name = h('input', { name: 'name', required: true, id: 'camp-name' });
  const image = h('select', { name: 'imageId', required: true, id: 'camp-image' }, h('option', { value: '' }, 'Loading images…'));
  const targets = ['selection', 'tag', 'version', 'list'];
  const targetLabels = { selection: `The ${selection.size} selected device(s)`, tag: 'Devices with a tag', version: 'Devices by model / firmware version', list: 'A list of endpoints' };
  const radios = targets.map(t => h('input', { type: 'radio', name: 'target', value: t, id: 'camp-target-' + t,
    checked: fromSelection ? t === 'selection' : t === 'tag', disabled: t === 'selection' && !selection.size }));
  const tag = h('input', { name: 'tag', id: 'camp-tag' });
  const model = h('input', { name: 'model', id: 'camp-model', placeholder: 'any model' });
  const fwVersion = h('input', { name: 'firmwareVersion', id: 'camp-fw-version', placeholder: 'any version' });
  const list = h('textarea', { name: 'devices', id: 'camp-devices', rows: 4, placeholder: 'one endpoint per line' });
  const concurrency = h('input', { name: 'concurrency', type: 'number', min: 1, value: 5, id: 'camp-concurrency' });
  const stages = h('input', { name: 'stages', id: 'camp-stages', placeholder: 'e.g. 10, 50, 100 (percent, cumulative)' });
  const success = h('input', { name: 'successThreshold', type: 'number', min: 0, max: 100, step: 'any', value: 90, id: 'camp-success' });
  const failure = h('input', { name: 'failureThreshold', type: 'number', min: 0, max: 100, step: 'any', value: 10, id: 'camp-failure' });
  const attempts = h('input', { name: 'maxAttempts', type: 'number', min: 1, value: 2, id: 'camp-attempts' });
  const backoff = h('input', { name: 'retryBackoff', type: 'number', min: 1, value: 30, id: 'camp-backoff' });
  const sections = {
    selection: h('p', { class: 'small' }, [...selection].slice(0, 30).join(', ') + (selection.size > 30 ? ', …' : '')),
    tag: field('Tag', tag),
    version: h('div', { class: 'toolbar' }, field('Model', model), field('Firmware version now', fwVersion)),
    list: field('Endpoints', list),
  };
  const showTarget = () => {
    const target = radios.find(r => r.checked).value;
    for (const [t, el] of Object.entries(sections)) el.hidden = t !== target;
  };
  radios.forEach(r => r.addEventListener('change', showTarget));
  const box = h('div');
  const form = h('form', { class: 'stack', id: 'campaign-form' },
    field('Name', name), field('Image', image),
    h('fieldset', {}, h('legend', {}, 'Target'), h('div', { class: 'radios' }, radios.map((r, i) => h('label', { class: 'check' }, r, targetLabels[targets[i]]))), Object.values(sections)),
    h('fieldset', {}, h('legend', {}, 'Safety'),
      h('div', { class: 'toolbar' }, field('Concurrency', concurrency, 'devices at once'), field('Stages', stages, 'empty: one stage')),
      h('div', { class: 'toolbar' }, field('Success needed to open the next stage (%)', success), field('Pause when failures exceed (%)', failure)),
      h('div', { class: 'toolbar' }, field('Attempts per device', attempts), field('Retry after (s, doubled each time)', backoff))),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Start campaign'), ' ', h('a', { href: '#/firmware' }, 'Cancel')), box);
  showTarget();
  get('/api/v1/firmware').then(({ items }) => {
    fill(image, items.length ? items.slice().reverse().map(i => h('option', { value: i.id }, `${i.name} ${i.version} (#${i.id})`))
      : h('option', { value: '' }, 'Upload an image first'));
  }).catch(error => fill(box, errorBox(error)));

  form.addEventListener('submit', async e => {
    e.preventDefault();
    const body = { name: name.value.trim(), imageId: Number(image.value), concurrency: Number(concurrency.value),
      successThreshold: Number(success.value) / 100, failureThreshold: Number(failure.value) / 100,
      maxAttempts: Number(attempts.value), retryBackoff: `PT${Number(backoff.value)}S` };
    const target = radios.find(r => r.checked).value;
    if (target === 'selection') body.devices = [...selection];
    if (target === 'tag') body.tag = tag.value.trim();
    if (target === 'version') { if (model.value.trim()) body.model = model.value.trim(); if (fwVersion.value.trim()) body.firmwareVersion = fwVersion.value.trim(); }
    if (target === 'list') body.devices = list.value.split(/[\s,]+/).map(s => s.trim()).filter(Boolean);
    if (stages.value.trim()) body.stages = stages.value.split(',').map(s => Number(s.trim())).filter(n => !isNaN(n));
    try {
      const created = await post('/api/v1/campaigns', body);
      const id = created.id ?? (created.campaign && created.campaign.id);
      if (target === 'selection') selection.clear();
      toast('Campaign started.');
      ctx.navigate('#/campaigns/' + id);
    } catch (error) {
      showFormError(form, box, error);
    }
  });
  fill(ctx.el, h('div', { class: 'page-head' }, h('h1', {}, 'New firmware campaign')), h('section', { class: 'panel' }, form));
  name.focus();
}

const STATES = ['pending', 'downloading', 'downloaded', 'updating', 'succeeded', 'failed', 'cancelled'];
const DEVICE_PAGE = 50;

export function renderCampaign(ctx) {
  const id = ctx.params[0];
  const head = h('div', { class: 'page-head' }, h('h1', {}, 'Campaign ' + id));
  const errors = h('div');
  const summary = h('div', { id: 'campaign-summary' });
  const countEls = {};
  // The devices table: a page at a time from the server, optionally of one state (a tile click chooses it too).
  const stateSelect = h('select', { id: 'campaign-state', 'aria-label': 'Devices in state' }, h('option', { value: '' }, 'All states'),
    STATES.map(s => h('option', { value: s }, s)));
  stateSelect.value = STATES.includes(ctx.query.get('state')) ? ctx.query.get('state') : '';
  const chooseState = s => { stateSelect.value = s; cursors = [null]; page = 0; loadDevices(); };
  stateSelect.addEventListener('change', () => chooseState(stateSelect.value));
  const tiles = h('div', { class: 'grid tiles', id: 'campaign-counts' }, STATES.map(s => {
    countEls[s] = h('span', { class: 'n', dataset: { state: s } }, '–');
    return h('div', { class: ['tile', s === 'succeeded' ? 'online' : s === 'failed' ? 'failed' : ''], role: 'button', tabIndex: 0,
      title: `Show the ${s} devices`, on: { click: () => chooseState(s), keydown: e => { if (e.key === 'Enter') chooseState(s); } } },
    countEls[s], h('span', { class: 'l' }, s));
  }));
  const devicesEl = h('div', { id: 'campaign-devices' }, h('div', { class: 'loading' }, 'Loading…'));
  const prev = h('button', { type: 'button', disabled: true, id: 'campaign-prev', on: { click: () => { if (page > 0) { page--; loadDevices(); } } } }, '‹ Previous');
  const next = h('button', { type: 'button', disabled: true, id: 'campaign-next', on: { click: () => { if (cursors[page + 1]) { page++; loadDevices(); } } } }, 'Next ›');
  const pageInfo = h('span', { class: 'muted small', id: 'campaign-page-info' });
  let cursors = [null];
  let page = 0;
  fill(ctx.el, head, errors, tiles, h('section', { class: 'panel' }, summary),
    h('section', { class: 'panel' }, h('div', { class: 'toolbar' }, h('h2', {}, 'Devices'), field('Show', stateSelect)), devicesEl,
      h('div', { class: 'pager' }, prev, next, pageInfo)));

  let devicesToken = 0;
  async function loadDevices() {
    const token = ++devicesToken;
    const state = stateSelect.value;
    try {
      const devices = await get(`/api/v1/campaigns/${id}/devices` + query({ limit: DEVICE_PAGE, after: cursors[page], state }));
      if (token !== devicesToken) return;
      fill(devicesEl, devices.items.length ? table(['Device', 'Stage', 'State', 'Update', 'Attempts', 'Last failure'], devices.items.map(d => h('tr', { dataset: { endpoint: d.endpoint } },
        h('td', {}, h('a', { href: '#/devices/' + enc(d.endpoint) }, d.endpoint)), h('td', {}, String(d.stage + 1)),
        h('td', {}, statusBadge(d.state || d.status)), h('td', {}, d.updateStatus || ''), h('td', { class: 'num' }, String(d.attempts)),
        h('td', { class: 'small' }, d.lastFailure || ''))))
        : empty(page > 0 ? 'No more devices.' : state ? `No device is ${state}.` : 'No target device.'));
      cursors[page + 1] = devices.nextCursor;
      next.disabled = !devices.nextCursor;
      prev.disabled = page === 0;
      pageInfo.textContent = devices.items.length ? `Page ${page + 1} · ${devices.items.length} device(s)${state ? ' ' + state : ''}${devices.nextCursor ? ', more on the next page' : ''}` : '';
    } catch (error) {
      if (token === devicesToken) fill(errors, errorBox(error));
    }
  }

  let image = null;
  async function load() {
    loadDevices();
    try {
      const view = await get('/api/v1/campaigns/' + id);
      if (!image) image = await get('/api/v1/firmware/' + view.campaign.imageId).catch(() => null);
      fill(errors);
      const c = view.campaign;
      const actions = h('span', { class: 'actions' });
      const act = (verb, label, cls) => h('button', { type: 'button', class: cls, id: 'campaign-' + verb, on: { click: async () => {
        if (verb === 'cancel' && !confirm('Cancel this campaign? Updates under way finish; the others are cancelled.')) return;
        try { await post(`/api/v1/campaigns/${id}:${verb}`); toast(`Campaign ${label.toLowerCase()}d.`); load(); } catch (error) { fill(errors, errorBox(error)); }
      } } }, label);
      if (ctx.can('operator')) {
        if (c.status === 'running') actions.append(act('pause', 'Pause'));
        if (c.status === 'paused') actions.append(act('resume', 'Resume', 'primary'));
        if (c.status === 'running' || c.status === 'paused') actions.append(act('cancel', 'Cancel', 'danger'));
      }
      fill(head, h('h1', {}, c.name), h('span', { id: 'campaign-status' }, statusBadge(c.status)), actions);
      for (const s of STATES) countEls[s].textContent = String(view.counts[s] ?? 0);
      fill(summary, h('dl', { class: 'facts' },
        h('dt', {}, 'Image'), h('dd', {}, image ? `${image.name} ${image.version} (#${c.imageId}, ${formatBytes(image.size)})` : '#' + c.imageId),
        h('dt', {}, 'Stage'), h('dd', {}, `${c.currentStage + 1} of ${Math.max(1, (c.stages || []).length)}` + (c.stages && c.stages.length ? ` (${c.stages.join('%, ')}%)` : '')),
        h('dt', {}, 'Concurrency'), h('dd', {}, String(c.concurrency)),
        h('dt', {}, 'Thresholds'), h('dd', {}, `next stage at ${Math.round(c.successThreshold * 100)}% success, pause above ${Math.round(c.failureThreshold * 100)}% failed`),
        h('dt', {}, 'Attempts'), h('dd', {}, `${c.maxAttempts}, retry after ${Math.round(c.retryBackoffMillis / 1000)} s`),
        h('dt', {}, 'Created'), h('dd', {}, formatTime(c.createdAt)),
        c.finishedAt ? [h('dt', {}, 'Finished'), h('dd', {}, formatTime(c.finishedAt))] : null,
        c.pausedReason ? [h('dt', {}, 'Paused because'), h('dd', { class: 'error' }, c.pausedReason)] : null));
    } catch (error) {
      fill(errors, errorBox(error));
    }
  }
  const reload = debounce(load, 700);
  ctx.onCleanup(events.on('campaign', event => { if (String(event.data.campaignId) === String(id)) reload(); }));
  ctx.onCleanup(events.on('firmware', reload));
  load();
}

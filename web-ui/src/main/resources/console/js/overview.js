// Fleet overview: devices by status, registrations over the last hours, firmware versions, authentication
// failures; kept live by the event stream (the numbers change in place, nothing moves).
import { h, fill, errorBox, table, empty, timeAgo, formatTime, formatShortTime } from './dom.js';
import { get, events, debounce } from './api.js';

export function render(ctx) {
  const tiles = {};
  for (const status of ['total', 'online', 'sleeping', 'offline']) {
    tiles[status] = h('span', { class: 'n', id: 'count-' + status }, '–');
  }
  const failuresTile = h('span', { class: 'n', id: 'count-auth-failures' }, '–');
  const alertsTile = h('span', { class: 'n', id: 'count-alerts' }, '–');
  const errors = h('div');
  const bars = h('div', { class: 'bars', id: 'registrations-chart', role: 'img', 'aria-label': 'Registrations per 10 minutes' });
  const axis = h('div', { class: 'axis' });
  const regTotal = h('span', { class: 'muted small' });
  const since = h('p', { class: 'muted small' }, 'Per 10 minutes, counted since the server started.');
  const perMinute = h('div', { id: 'per-minute' }, h('div', { class: 'loading' }, 'Loading…'));
  const versions = h('div', { id: 'firmware-versions' }, h('div', { class: 'loading' }, 'Loading…'));
  const failures = h('div', { id: 'auth-failures' }, h('div', { class: 'loading' }, 'Loading…'));
  const hoursSelect = h('select', { name: 'hours', 'aria-label': 'Time span' },
    [3, 6, 12, 24, 48].map(n => h('option', { value: n, selected: n === 6 }, `last ${n} hours`)));

  const statusLink = (status, label) => h('a', { class: ['tile', status], href: '#/devices' + (status === 'total' ? '' : '?status=' + status) },
    tiles[status], h('span', { class: 'l' }, label));
  fill(ctx.el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Fleet overview'),
      h('span', { class: 'muted small' }, 'Live: updates as devices register, sleep and go offline.')),
    errors,
    h('div', { class: 'grid tiles' },
      statusLink('total', 'devices'), statusLink('online', 'online'), statusLink('sleeping', 'sleeping'),
      statusLink('offline', 'offline'),
      h('div', { class: 'tile failed' }, failuresTile, h('span', { class: 'l' }, 'authentication failures (recent)')),
      h('a', { class: 'tile failed', href: '#/rules' }, alertsTile, h('span', { class: 'l' }, 'active alerts'))),
    h('div', { class: 'grid two' },
      h('section', { class: 'panel' }, h('div', { class: 'page-head' }, h('h2', {}, 'Registrations'), regTotal,
        h('span', { class: 'actions' }, hoursSelect)), bars, axis,
        since),
      h('section', { class: 'panel' }, h('h2', {}, 'Firmware versions'), versions)),
    h('section', { class: 'panel' }, h('h2', {}, 'Reconnections per minute'),
      h('p', { class: 'muted small' }, 'New registrations and full DTLS handshakes in each of the last 15 minutes: a rise in either is a reconnect storm coming. Updates, resumed sessions and sessions restored after a restart are not counted.'),
      perMinute),
    h('section', { class: 'panel' }, h('h2', {}, 'Devices that failed to authenticate recently'), failures));

  async function loadStats() {
    try {
      const stats = await get('/api/v1/fleet/stats?hours=' + hoursSelect.value);
      fill(errors);
      for (const status of Object.keys(tiles)) tiles[status].textContent = String(stats.devices[status] ?? 0);
      failuresTile.textContent = String(stats.authenticationFailures.length);
      drawBars(stats.registrations.buckets);
      since.textContent = `Per 10 minutes, counted since the server started (${formatTime(stats.registrations.since)}).`;
      drawFailures(stats.authenticationFailures);
      drawPerMinute(stats.perMinute.minutes);
    } catch (error) {
      fill(errors, errorBox(error));
    }
  }

  function drawBars(buckets) {
    const max = Math.max(1, ...buckets.map(b => b.count));
    const total = buckets.reduce((sum, b) => sum + b.count, 0);
    regTotal.textContent = `${total} in the ${hoursSelect.selectedOptions[0].textContent}`;
    fill(bars, buckets.map(b => {
      const bar = h('div', { class: ['bar', b.count === 0 && 'zero'], title: `${formatTime(b.from)}: ${b.count}` });
      bar.style.height = Math.max(1, Math.round(100 * b.count / max)) + '%';
      return bar;
    }));
    if (buckets.length) {
      fill(axis, h('span', {}, formatShortTime(new Date(buckets[0].from))),
        h('span', {}, 'max ' + max + ' per 10 min'), h('span', {}, 'now'));
    }
  }

  function drawPerMinute(minutes) {
    // Newest first: the minute that is running now is on top.
    fill(perMinute, table(['Minute', h('th', { class: 'num' }, 'Registrations'), h('th', { class: 'num' }, 'Full handshakes')],
      minutes.slice().reverse().map((m, i) => h('tr', { dataset: { from: m.from } },
        h('td', {}, formatShortTime(new Date(m.from)) + (i === 0 ? ' (now)' : '')),
        h('td', { class: 'num' }, String(m.registrations)), h('td', { class: 'num' }, String(m.fullHandshakes))))));
  }

  function drawFailures(items) {
    if (!items.length) {
      fill(failures, empty('No failed authentication since the server started.'));
      return;
    }
    fill(failures, table(['When', 'Endpoint', 'Peer', 'Request', 'Reason'], items.slice(0, 20).map(f => h('tr', {},
      h('td', {}, timeAgo(f.at)),
      h('td', {}, f.endpoint ? h('a', { href: '#/devices/' + encodeURIComponent(f.endpoint) }, f.endpoint) : h('span', { class: 'muted' }, 'unknown')),
      h('td', { class: 'mono' }, f.peer || ''), h('td', {}, f.request || ''), h('td', {}, f.reason || '')))));
  }

  async function loadVersions() {
    try {
      const { items } = await get('/api/v1/firmware/versions');
      if (!items.length) {
        fill(versions, empty('No device has reported its firmware version yet.'));
        return;
      }
      const max = Math.max(...items.map(v => v.devices));
      fill(versions, table(['Model', 'Version', h('th', { class: 'num' }, 'Devices'), ''], items.map(v => {
        const meter = h('span', { class: 'meter' });
        meter.style.width = Math.max(2, Math.round(120 * v.devices / max)) + 'px';
        const link = '#/devices' + '?' + new URLSearchParams({ model: v.model || '', version: v.version || '' });
        return h('tr', {}, h('td', {}, v.model || '—'), h('td', { class: 'mono' }, h('a', { href: link, title: 'List these devices' }, v.version || '—')),
          h('td', { class: 'num' }, String(v.devices)), h('td', {}, meter));
      })));
    } catch (error) {
      fill(versions, errorBox(error));
    }
  }

  async function loadAlerts() {
    try {
      const { counts } = await get('/api/v1/alerts?state=active&limit=1');
      alertsTile.textContent = String(counts.active);
      alertsTile.title = Object.entries(counts.activeBySeverity).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`).join(', ');
    } catch (error) {
      alertsTile.textContent = '?';
      alertsTile.title = error.message;
    }
  }

  hoursSelect.addEventListener('change', loadStats);
  ctx.onCleanup(events.on('alert', debounce(loadAlerts, 500)));
  loadAlerts();
  const refresh = debounce(loadStats, 700);
  const refreshVersions = debounce(loadVersions, 3000);
  ctx.onCleanup(events.on(['registered', 'deregistered', 'expired', 'sleeping', 'awake', 'provisioned', 'deleted',
    'authentication-failed'], refresh));
  ctx.onCleanup(events.on(['registered', 'firmware', 'deleted'], refreshVersions));
  const timer = setInterval(loadStats, 60000);
  ctx.onCleanup(() => clearInterval(timer));
  loadStats();
  loadVersions();
}

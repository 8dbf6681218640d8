// Rules & alerts: a read-only list of the rules and their firings. The full page (editing rules, alerts) is being
// built with the rules feature; this keeps its place in the navigation.
import { h, fill, table, statusBadge, errorBox, empty, timeAgo } from './dom.js';
import { get } from './api.js';

export function render(ctx) {
  const list = h('div', { id: 'rules' }, h('div', { class: 'loading' }, 'Loading…'));
  const firings = h('div', { id: 'firings' });
  fill(ctx.el, h('div', { class: 'page-head' }, h('h1', {}, 'Rules & alerts'), h('span', { class: 'muted small' }, 'Read-only for now: rules are edited over the REST API (/api/v1/rules).')),
    h('section', { class: 'panel' }, h('h2', {}, 'Rules'), list), h('section', { class: 'panel' }, firings));

  async function showFirings(rule) {
    fill(firings, h('h2', {}, `Firings of ${rule.name || 'rule ' + rule.id}`), h('div', { class: 'loading' }, 'Loading…'));
    try {
      const { items } = await get(`/api/v1/rules/${rule.id}/firings`);
      fill(firings, h('h2', {}, `Firings of ${rule.name || 'rule ' + rule.id}`), items.length ? table(['When', 'Device', 'Event', 'Value', 'Actions'], items.map(f => h('tr', {},
        h('td', {}, timeAgo(f.at)), h('td', {}, f.endpoint ? h('a', { href: '#/devices/' + encodeURIComponent(f.endpoint) }, f.endpoint) : ''),
        h('td', {}, statusBadge(f.state || '')), h('td', { class: 'mono' }, f.value === undefined ? '' : String(f.value)),
        h('td', { class: 'small' }, f.actions ? JSON.stringify(f.actions) : '')))) : empty('This rule has not fired yet.'));
    } catch (error) {
      fill(firings, errorBox(error));
    }
  }

  get('/api/v1/rules').then(({ items }) => {
    fill(list, items.length ? table(['#', 'Name', 'State', 'Watches', 'Condition', 'Actions', ''], items.map(r => {
      const t = r.trigger || {};
      const target = t.endpoint ? h('a', { href: '#/devices/' + encodeURIComponent(t.endpoint) }, t.endpoint) : t.tag ? 'tag ' + t.tag : '';
      const actions = (r.actions || []).map(a => `${a.type} ${a.path || ''} on ${a.endpoint || (a.tag ? 'tag ' + a.tag : '?')}`
        + (a.value !== undefined && a.value !== null ? ` = ${JSON.stringify(a.value)}` : '')).join('; ');
      return h('tr', { dataset: { rule: r.id } },
        h('td', {}, String(r.id)), h('td', {}, r.name || ''), h('td', {}, statusBadge(r.enabled === false ? 'disabled' : 'enabled')),
        h('td', {}, target), h('td', { class: 'mono small' }, `${t.path || ''} ${t.condition || ''} ${t.threshold ?? ''}` + (t.clear !== undefined ? ` (clears at ${t.clear})` : '')),
        h('td', { class: 'small' }, actions),
        h('td', {}, h('button', { type: 'button', class: 'small', on: { click: () => showFirings(r) } }, 'Firings')));
    })) : empty('No rule yet.'));
  }).catch(error => fill(list, errorBox(error)));
}

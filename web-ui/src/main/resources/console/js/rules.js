// Rules & alerts: the alerts rules raised (acknowledge them), the rules (create, edit as JSON, enable, disable,
// delete) and each rule's firing history; live from the event stream. The rule format is in docs/rules.md.
import { h, fill, table, statusBadge, errorBox, empty, loading, timeAgo, formatTime, toast, describe } from './dom.js';
import { get, post, put, del, query, events, debounce } from './api.js';

const TEMPLATE = {
  name: 'Ventilate on gas',
  trigger: { path: '/3325/0/5700', endpoint: 'demo-gas-detector-1', condition: 'above', threshold: 50, clear: 20 },
  actions: [
    { type: 'write', tag: 'ventilation-fan', path: '/3306/0/5850', value: true, clearValue: false },
    { type: 'alert', severity: 'major', message: 'Gas detected: ventilating' },
  ],
};

export function render(ctx) {
  const canOperate = ctx.can('operator');
  const counts = h('div', { class: 'grid tiles', id: 'alert-counts' });
  const stateSelect = h('select', { name: 'alert-state', 'aria-label': 'Which alerts' },
    [['active', 'active'], ['unacknowledged', 'not acknowledged'], ['cleared', 'cleared'], ['', 'all']]
      .map(([value, label]) => h('option', { value, selected: value === (ctx.query.get('alerts') || 'active') }, label)));
  const alertList = h('div', { id: 'alerts' }, loading());
  const ruleList = h('div', { id: 'rules' }, loading());
  const editor = h('div', { id: 'rule-editor' });
  const firings = h('div', { id: 'firings' });
  let shownFirings = null;

  fill(ctx.el,
    h('div', { class: 'page-head' }, h('h1', {}, 'Rules & alerts'),
      h('span', { class: 'muted small' }, 'Rules act on what devices report; live.')),
    counts,
    h('section', { class: 'panel' },
      h('div', { class: 'page-head' }, h('h2', {}, 'Alerts'), h('span', { class: 'actions' }, stateSelect)), alertList),
    h('section', { class: 'panel' },
      h('div', { class: 'page-head' }, h('h2', {}, 'Rules'), h('span', { class: 'actions' },
        canOperate ? h('button', { type: 'button', id: 'new-rule', on: { click: () => edit(null) } }, 'New rule') : null)),
      ruleList, editor),
    h('section', { class: 'panel' }, firings));

  async function loadAlerts() {
    try {
      const { items, counts: c } = await get('/api/v1/alerts' + query({ state: stateSelect.value, limit: 200 }));
      fill(counts,
        tile('active', c.active, 'active alerts', 'offline'),
        tile('unacknowledged', c.unacknowledged, 'not acknowledged', 'sleeping'),
        ...['critical', 'major', 'minor', 'warning'].map(s => tile('severity-' + s, c.activeBySeverity[s] || 0, s + ' (active)', '')));
      fill(alertList, items.length ? table(['Raised', 'Severity', 'Device', 'Rule', 'Message', 'Value', 'Cleared', 'Acknowledged'],
        items.map(alertRow)) : empty(stateSelect.value === 'active' ? 'No active alert.' : 'No alert here.'));
    } catch (error) {
      fill(alertList, errorBox(error));
    }
  }

  function tile(id, n, label, kind) {
    return h('div', { class: ['tile', kind], id: 'alerts-' + id }, h('span', { class: 'n' }, String(n ?? 0)), h('span', { class: 'l' }, label));
  }

  function alertRow(a) {
    const ack = a.acknowledgedAt
      ? h('span', { title: formatTime(a.acknowledgedAt) }, 'by ', a.acknowledgedBy || '?')
      : canOperate ? h('button', { type: 'button', class: 'small', dataset: { ack: a.id }, on: { click: () => acknowledge(a) } }, 'Acknowledge')
        : h('span', { class: 'muted' }, 'no');
    return h('tr', { dataset: { alert: a.id } },
      h('td', {}, timeAgo(a.raisedAt)),
      h('td', {}, h('span', { class: ['badge', 'severity-' + a.severity] }, a.severity)),
      h('td', {}, h('a', { href: '#/devices/' + encodeURIComponent(a.endpoint) }, a.endpoint)),
      h('td', {}, a.ruleName || ''),
      h('td', {}, a.message || ''),
      h('td', { class: 'mono' }, a.value === null || a.value === undefined ? '—' : JSON.stringify(a.value)),
      h('td', {}, a.clearedAt ? timeAgo(a.clearedAt) : statusBadge('active')),
      h('td', {}, ack));
  }

  async function acknowledge(alert) {
    try {
      await post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
      toast(`Alert ${alert.id} acknowledged`);
      loadAlerts();
    } catch (error) {
      toast(describe(error), true);
    }
  }

  async function loadRules() {
    try {
      const { items } = await get('/api/v1/rules');
      fill(ruleList, items.length ? table(['#', 'Name', 'State', 'Watches', 'Condition', 'Actions', ''], items.map(ruleRow))
        : empty(canOperate ? 'No rule yet: "New rule" starts from an example.' : 'No rule yet.'));
    } catch (error) {
      fill(ruleList, errorBox(error));
    }
  }

  function ruleRow(r) {
    const t = r.trigger || {};
    const target = t.endpoint ? h('a', { href: '#/devices/' + encodeURIComponent(t.endpoint) }, t.endpoint)
      : t.tag ? 'tag ' + t.tag : t.profile !== undefined ? 'every device with object ' + t.profile : '';
    const buttons = [h('button', { type: 'button', class: 'small', on: { click: () => showFirings(r) } }, 'Firings')];
    if (canOperate) {
      buttons.push(
        h('button', { type: 'button', class: 'small', on: { click: () => edit(r) } }, 'Edit'),
        h('button', { type: 'button', class: 'small', on: { click: () => setEnabled(r, r.enabled === false) } },
          r.enabled === false ? 'Enable' : 'Disable'),
        h('button', { type: 'button', class: 'small danger', on: { click: () => remove(r) } }, 'Delete'));
    }
    return h('tr', { dataset: { rule: r.id } },
      h('td', {}, String(r.id)), h('td', {}, r.name || ''),
      h('td', {}, statusBadge(r.enabled === false ? 'disabled' : 'enabled')),
      h('td', {}, target, ' ', h('span', { class: 'mono small' }, t.path || '')),
      h('td', { class: 'small' }, describeCondition(t)),
      h('td', { class: 'small' }, (r.actions || []).map(describeAction).join('; ')),
      h('td', { class: 'nowrap' }, buttons));
  }

  function describeCondition(t) {
    const hold = t.holdSeconds ? `, held ${t.holdSeconds} s` : '';
    switch (t.condition) {
      case 'above': return `above ${t.threshold}` + (t.clear !== undefined ? `, clears below ${t.clear}` : '') + hold;
      case 'below': return `below ${t.threshold}` + (t.clear !== undefined ? `, clears above ${t.clear}` : '') + hold;
      case 'equals': return `equals ${JSON.stringify(t.value)}` + hold;
      case 'silent': return `nothing reported for ${t.silentSeconds} s`;
      default: return t.condition || '';
    }
  }

  function describeAction(a) {
    const on = a.endpoint || (a.tag ? 'tag ' + a.tag : '');
    switch (a.type) {
      case 'write': return `write ${a.path} = ${JSON.stringify(a.value)} on ${on}` + (a.clearValue !== undefined ? ` (then ${JSON.stringify(a.clearValue)})` : '');
      case 'execute': return `execute ${a.path} on ${on}`;
      case 'alert': return `${a.severity || 'warning'} alert`;
      case 'webhook': return `webhook ${a.url}`;
      default: return a.type;
    }
  }

  /** Edits a rule as JSON (null: a new one from the example); the API's answer names the field at fault. */
  function edit(rule) {
    const definition = rule ? strip(rule) : TEMPLATE;
    const text = h('textarea', { name: 'definition', rows: 16, class: 'mono', spellcheck: false, 'aria-label': 'Rule as JSON' },
      JSON.stringify(definition, null, 2));
    const box = h('div');
    const form = h('form', { id: 'rule-form', on: { submit: async event => {
      event.preventDefault();
      let json;
      try {
        json = JSON.parse(text.value);
      } catch (e) {
        fill(box, h('div', { class: 'error', role: 'alert' }, 'This is not JSON: ' + e.message));
        return;
      }
      try {
        const saved = rule ? await put(`/api/v1/rules/${rule.id}`, json) : await post('/api/v1/rules', json);
        toast(`Rule ${saved.id} saved`);
        fill(editor);
        loadRules();
      } catch (error) {
        fill(box, errorBox(error));
      }
    } } },
    h('h3', {}, rule ? `Edit rule ${rule.id}` : 'New rule'),
    h('p', { class: 'muted small' }, 'Triggers, conditions and actions are described in docs/rules.md. A webhook secret left out keeps the one saved.'),
    box, text,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', on: { click: () => fill(editor) } }, 'Cancel')));
    fill(editor, form);
    text.focus();
  }

  function strip(rule) {
    const copy = JSON.parse(JSON.stringify(rule));
    for (const key of ['id', 'createdAt', 'updatedAt']) delete copy[key];
    for (const action of copy.actions || []) delete action.secretSet;
    return copy;
  }

  async function setEnabled(rule, enabled) {
    try {
      await put(`/api/v1/rules/${rule.id}`, { ...strip(rule), enabled });
      toast(`Rule ${rule.id} ${enabled ? 'enabled' : 'disabled'}`);
      loadRules();
    } catch (error) {
      toast(describe(error), true);
    }
  }

  async function remove(rule) {
    if (!confirm(`Delete rule ${rule.id} "${rule.name}"? Its firing history goes with it; its alerts stay.`)) return;
    try {
      await del(`/api/v1/rules/${rule.id}`);
      toast(`Rule ${rule.id} deleted`);
      if (shownFirings && shownFirings.id === rule.id) fill(firings);
      loadRules();
    } catch (error) {
      toast(describe(error), true);
    }
  }

  async function showFirings(rule) {
    shownFirings = rule;
    const title = h('h2', {}, `Firings of ${rule.name || 'rule ' + rule.id}`);
    if (!firings.firstChild) fill(firings, title, loading());
    try {
      const { items } = await get(`/api/v1/rules/${rule.id}/firings?limit=100`);
      fill(firings, title, items.length ? table(['When', 'Device', 'Event', 'Value', 'Actions and outcomes'], items.map(f => h('tr', {},
        h('td', {}, timeAgo(f.at)),
        h('td', {}, h('a', { href: '#/devices/' + encodeURIComponent(f.endpoint) }, f.endpoint)),
        h('td', {}, statusBadge(f.state)),
        h('td', { class: 'mono' }, f.value === null || f.value === undefined ? '—' : JSON.stringify(f.value)),
        h('td', { class: 'small' }, (f.actions || []).map(a => h('div', {},
          h('b', {}, a.type), ' ', a.target || a.severity || '', ': ', a.outcome || '')))))) : empty('This rule has not fired yet.'));
    } catch (error) {
      fill(firings, title, errorBox(error));
    }
  }

  stateSelect.addEventListener('change', loadAlerts);
  const refreshAlerts = debounce(loadAlerts, 500);
  const refreshFirings = debounce(() => shownFirings && showFirings(shownFirings), 500);
  ctx.onCleanup(events.on('alert', refreshAlerts));
  ctx.onCleanup(events.on('rule', refreshFirings));
  loadAlerts();
  loadRules();
}

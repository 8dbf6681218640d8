// Administration (admin): users and roles, API tokens, the audit log. Account (everyone): password and own tokens.
import { h, fill, field, showFormError, table, statusBadge, toast, errorBox, empty, timeAgo, formatTime, describe } from './dom.js';
import { get, post, put, del, query, enc } from './api.js';

const ROLES = ['viewer', 'operator', 'admin'];

export function render(ctx) {
  if (!ctx.can('admin')) {
    fill(ctx.el, h('h1', {}, 'Administration'), h('p', { class: 'muted' }, 'Only administrators manage users, tokens and the audit log.'));
    return;
  }
  const log = audit();
  fill(ctx.el, h('div', { class: 'page-head' }, h('h1', {}, 'Administration')),
    h('section', { class: 'panel' }, h('h2', {}, 'Users'), users(ctx, log.reload)),
    h('section', { class: 'panel' }, h('h2', {}, 'API tokens'), tokens(ctx, true, log.reload)),
    h('section', { class: 'panel' }, h('h2', {}, 'Audit log'), log.el));
}

export function renderAccount(ctx) {
  fill(ctx.el, h('div', { class: 'page-head' }, h('h1', {}, 'Your account'), h('span', { class: 'muted' }, `${ctx.session.username} · ${ctx.session.role}`)),
    h('div', { class: 'grid two' },
      h('section', { class: 'panel' }, h('h2', {}, 'Change password'), passwordForm()),
      h('section', { class: 'panel' }, h('h2', {}, 'Your API tokens'), tokens(ctx, false))));
}

function passwordForm() {
  const current = h('input', { name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true, minLength: 12 });
  const box = h('div');
  const form = h('form', { class: 'stack' }, field('Current password', current), field('New password', next, 'At least 12 characters. Your other sessions end.'),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Change password')), box);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    try {
      const fresh = await post('/api/v1/session/password', { currentPassword: current.value, newPassword: next.value });
      (await import('./api.js')).setCsrfToken(fresh.csrfToken);
      showFormError(form, box, null);
      form.reset();
      toast('Password changed.');
    } catch (error) {
      showFormError(form, box, error);
    }
  });
  return form;
}

function users(ctx, changed = () => {}) {
  const list = h('div', { id: 'users' }, h('div', { class: 'loading' }, 'Loading…'));
  const username = h('input', { name: 'username', required: true, id: 'user-name', autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', required: true, minLength: 12, id: 'user-password', autocomplete: 'new-password' });
  const role = h('select', { name: 'role', id: 'user-role' }, ROLES.map(r => h('option', { value: r }, r)));
  const oneTime = h('input', { type: 'checkbox', name: 'mustChangePassword', checked: true, defaultChecked: true });
  const box = h('div');
  const form = h('form', { class: 'inline', id: 'user-form' }, field('User name', username), field('Password', password), field('Role', role),
    h('label', { class: 'check' }, oneTime, 'must change it at first sign-in'), h('button', { type: 'submit', class: 'primary' }, 'Add user'), box);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    try {
      await post('/api/v1/users', { username: username.value.trim(), password: password.value, role: role.value, mustChangePassword: oneTime.checked });
      showFormError(form, box, null);
      toast(`User ${username.value.trim()} added.`);
      form.reset();
      load();
    } catch (error) {
      showFormError(form, box, error);
    }
  });

  async function change(user, body, what) {
    try {
      await put('/api/v1/users/' + enc(user.username), body);
      toast(`${user.username}: ${what}.`);
    } catch (error) {
      toast(`${user.username}: ${describe(error)}`, true);
    }
    load();
  }

  async function load() {
    try {
      const { items } = await get('/api/v1/users');
      fill(list, table(['User', 'Role', 'State', 'Created', 'Last sign-in', ''], items.map(u => {
        const roleSelect = h('select', { 'aria-label': 'Role of ' + u.username }, ROLES.map(r => h('option', { value: r, selected: r === u.role }, r)));
        roleSelect.addEventListener('change', () => change(u, { role: roleSelect.value }, 'role is now ' + roleSelect.value));
        return h('tr', { dataset: { user: u.username } }, h('td', {}, u.username, u.username === ctx.session.username ? h('span', { class: 'muted small' }, ' (you)') : null),
          h('td', {}, roleSelect),
          h('td', {}, statusBadge(u.disabled ? 'disabled' : 'enabled'), u.mustChangePassword ? h('span', { class: 'small muted' }, ' one-time password') : null),
          h('td', {}, formatTime(u.createdAt)), h('td', {}, u.lastLoginAt ? timeAgo(u.lastLoginAt) : 'never'),
          h('td', { class: 'nowrap' },
            h('button', { type: 'button', class: 'small', on: { click: () => change(u, { disabled: !u.disabled }, u.disabled ? 'enabled' : 'disabled') } }, u.disabled ? 'Enable' : 'Disable'), ' ',
            h('button', { type: 'button', class: 'small danger', on: { click: async () => {
              if (!confirm(`Delete user ${u.username}? Their sessions and tokens stop working.`)) return;
              try { await del('/api/v1/users/' + enc(u.username)); toast(`${u.username} deleted.`); } catch (error) { toast(describe(error), true); }
              load();
            } } }, 'Delete')));
      })));
      changed();
    } catch (error) {
      fill(list, errorBox(error));
    }
  }
  load();
  return h('div', {}, list, h('h3', {}, 'Add a user'), form);
}

function tokens(ctx, all, changed = () => {}) {
  const list = h('div', { id: 'tokens' }, h('div', { class: 'loading' }, 'Loading…'));
  const name = h('input', { name: 'name', required: true, id: 'token-name' });
  const roleOptions = ROLES.slice(0, ROLES.indexOf(ctx.session.role) + 1);
  const role = h('select', { name: 'role', id: 'token-role' }, roleOptions.map(r => h('option', { value: r, selected: r === 'viewer' }, r)));
  const expires = h('input', { name: 'expiresAt', type: 'date', id: 'token-expires' });
  const box = h('div');
  const secret = h('div', { id: 'token-secret' });
  const form = h('form', { class: 'inline', id: 'token-form' }, field('Name', name), field('Role', role), field('Expires (optional)', expires),
    h('button', { type: 'submit', class: 'primary' }, 'Create token'), box);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const body = { name: name.value.trim(), role: role.value };
    if (expires.value) body.expiresAt = new Date(expires.value + 'T23:59:59').toISOString();
    try {
      const created = await post('/api/v1/tokens', body);
      showFormError(form, box, null);
      const value = h('code', { id: 'token-value' }, created.token);
      fill(secret, h('div', { class: 'secret' }, h('strong', {}, `Token "${created.name}" (${created.role}): copy it now, it is shown only once.`), h('br'), value, ' ',
        h('button', { type: 'button', class: 'small', on: { click: () => navigator.clipboard && navigator.clipboard.writeText(created.token).then(() => toast('Copied.')) } }, 'Copy')));
      form.reset();
      load();
    } catch (error) {
      showFormError(form, box, error);
    }
  });
  async function load() {
    try {
      const { items } = await get('/api/v1/tokens');
      fill(list, items.length ? table(['#', 'Name', all ? 'Owner' : null, 'Role', 'Created', 'Expires', 'Last used', ''].filter(x => x !== null), items.map(t => h('tr', {},
        h('td', {}, String(t.id)), h('td', {}, t.name), all ? h('td', {}, t.owner) : null, h('td', {}, t.role), h('td', {}, formatTime(t.createdAt)),
        h('td', {}, t.expiresAt ? formatTime(t.expiresAt) : 'never'), h('td', {}, t.lastUsedAt ? timeAgo(t.lastUsedAt) : 'never'),
        h('td', {}, h('button', { type: 'button', class: 'small danger', on: { click: async () => {
          if (!confirm(`Revoke token ${t.name}? Programs using it are refused at once.`)) return;
          try { await del('/api/v1/tokens/' + t.id); toast('Token revoked.'); } catch (error) { toast(describe(error), true); }
          load();
        } } }, 'Revoke'))))) : empty('No token.'));
      changed();
    } catch (error) {
      fill(list, errorBox(error));
    }
  }
  load();
  return h('div', {}, secret, list, h('h3', {}, 'New token'), form);
}

function audit() {
  const actor = h('input', { name: 'actor', placeholder: 'actor, e.g. alice', id: 'audit-actor' });
  const filter = h('form', { class: 'inline' }, field('Actor', actor), h('button', { type: 'submit' }, 'Filter'));
  const list = h('div', { id: 'audit' }, h('div', { class: 'loading' }, 'Loading…'));
  let before = null;
  async function load(more) {
    try {
      const { items } = await get('/api/v1/audit' + query({ actor: actor.value.trim(), before: more ? before : null, limit: 50 }));
      before = items.length === 50 ? items[items.length - 1].id : null;
      const rows = items.map(a => h('tr', {}, h('td', { class: 'nowrap' }, formatTime(a.at)), h('td', {}, a.actor || '—'), h('td', {}, a.action),
        h('td', { class: 'mono small' }, a.target || ''), h('td', {}, a.outcome), h('td', { class: 'mono small' }, a.address || '')));
      if (more) list.querySelector('tbody').append(...rows);
      else fill(list, items.length ? table(['When', 'Actor', 'Action', 'Target', 'Outcome', 'Address'], rows) : empty('Nothing in the audit log for this filter.'));
      const old = list.querySelector('.more');
      if (old) old.remove();
      if (before) list.appendChild(h('button', { type: 'button', class: 'more small', on: { click: () => load(true) } }, 'Older…'));
    } catch (error) {
      fill(list, errorBox(error));
    }
  }
  filter.addEventListener('submit', e => { e.preventDefault(); load(false); });
  load(false);
  return { el: h('div', {}, filter, list), reload: () => load(false) };
}

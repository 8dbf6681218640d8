// The console's shell: who is signed in, the navigation, hash routing, and the shared event stream.
import { h, fill, showFormError, field, toast } from './dom.js';
import { get, post, del, setCsrfToken, onAuthProblem, events } from './api.js';
import * as overview from './overview.js';
import * as devices from './devices.js';
import * as device from './device.js';
import * as provision from './provision.js';
import * as firmware from './firmware.js';
import * as admin from './admin.js';
import * as rules from './rules.js';

const ROLES = ['viewer', 'operator', 'admin'];
const main = document.getElementById('main');
let session = null;
let cleanups = [];

/** Whether the signed-in user has at least this role. */
export function can(role) {
  return !!session && ROLES.indexOf(session.role) >= ROLES.indexOf(role);
}

const routes = [
  [/^\/?$/, overview.render, 'overview'],
  [/^\/devices$/, devices.render, 'devices'],
  [/^\/devices\/([^/]+)$/, device.render, 'devices'],
  [/^\/provision$/, provision.render, 'provision'],
  [/^\/firmware$/, firmware.render, 'firmware'],
  [/^\/firmware\/campaigns\/new$/, firmware.renderNewCampaign, 'firmware'],
  [/^\/campaigns\/(\d+)$/, firmware.renderCampaign, 'firmware'],
  [/^\/rules$/, rules.render, 'rules'],
  [/^\/admin$/, admin.render, 'admin'],
  [/^\/account$/, admin.renderAccount, null],
];

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search] = raw.split('?');
  return { path, query: new URLSearchParams(search || '') };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function cleanup() {
  for (const fn of cleanups) {
    try { fn(); } catch (e) { console.error(e); }
  }
  cleanups = [];
}

function route() {
  cleanup();
  if (!session) return;
  if (session.mustChangePassword) {
    renderPasswordChange();
    return;
  }
  const { path, query } = parseHash();
  const container = h('div', { class: 'page' });
  fill(main, container);
  for (const [pattern, render, nav] of routes) {
    const match = path.match(pattern);
    if (match) {
      highlight(nav);
      const params = match.slice(1).map(decodeURIComponent);
      const label = nav ? document.querySelector(`#nav a[data-nav="${nav}"]`)?.textContent : 'Account';
      document.title = (params[0] ? params[0] + ' · ' : '') + (label || '') + ' · LwM2M Fleet';
      try {
        render({ el: container, params, query, session, can, navigate, onCleanup: fn => cleanups.push(fn) });
      } catch (e) {
        console.error(e);
        fill(container, h('div', { class: 'error' }, 'This page failed: ' + e.message));
      }
      return;
    }
  }
  highlight(null);
  fill(container, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, path), '. ',
    h('a', { href: '#/' }, 'Back to the overview')));
}

function highlight(nav) {
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.nav === nav);
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

function showShell() {
  const signedIn = !!session && !session.mustChangePassword;
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('who').hidden = !session;
  if (session) {
    document.getElementById('who-name').textContent = session.username;
    document.getElementById('who-role').textContent = session.role;
  }
  for (const a of document.querySelectorAll('#nav a[data-role]')) a.hidden = !can(a.dataset.role);
}

function setSession(value) {
  session = value;
  setCsrfToken(value && value.csrfToken);
  showShell();
  if (session && !session.mustChangePassword) events.start();
  else events.stop();
}

function renderSignIn(message) {
  cleanup();
  setSession(null);
  const box = h('div');
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, id: 'signin-username' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true,
    id: 'signin-password' });
  const form = h('form', { class: 'stack', id: 'signin-form' },
    field('User name', username), field('Password', password),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    form.querySelector('button').disabled = true;
    try {
      const signedIn = await post('/api/v1/session', { username: username.value, password: password.value },
        { quietAuth: true });
      setSession(signedIn);
      route();
    } catch (error) {
      showFormError(form, box, error.status === 401 ? { message: 'Wrong user name or password.' } : error);
      password.value = '';
      password.focus();
    } finally {
      form.querySelector('button').disabled = false;
    }
  });
  fill(main, h('section', { class: 'panel signin' }, h('h1', {}, 'Sign in'),
    message ? h('p', { class: 'muted' }, message) : null, box, form));
  username.focus();
}

function renderPasswordChange() {
  const box = h('div');
  const current = h('input', { name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true, id: 'pw-current' });
  const next = h('input', { name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true, minLength: 12, id: 'pw-new' });
  const repeat = h('input', { name: 'repeat', type: 'password', autocomplete: 'new-password', required: true, id: 'pw-repeat' });
  const form = h('form', { class: 'stack', id: 'password-form' },
    field('Current (one-time) password', current), field('New password', next, 'At least 12 characters.'),
    field('New password again', repeat),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Change password')));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    if (next.value !== repeat.value) {
      showFormError(form, box, { message: 'The two new passwords differ.', field: 'repeat' });
      return;
    }
    try {
      const fresh = await post('/api/v1/session/password', { currentPassword: current.value, newPassword: next.value });
      setSession(fresh);
      toast('Password changed.');
      route();
    } catch (error) {
      showFormError(form, box, error);
    }
  });
  fill(main, h('section', { class: 'panel signin' }, h('h1', {}, 'Choose your password'),
    h('p', { class: 'muted' }, 'You signed in with a one-time password. Choose your own to continue.'), box, form));
  current.focus();
}

export async function signOut() {
  try { await del('/api/v1/session'); } catch { /* signed out either way */ }
  location.hash = '#/';
  renderSignIn('You are signed out.');
}

document.getElementById('sign-out').addEventListener('click', signOut);
onAuthProblem(error => {
  if (error.status === 401) renderSignIn('Your session ended. Please sign in again.');
  else if (session) { session.mustChangePassword = true; showShell(); renderPasswordChange(); }
});
const liveBanner = document.getElementById('live');
events.onState(connected => {
  liveBanner.hidden = connected || !session;
  liveBanner.textContent = connected ? '' : 'Live updates paused: reconnecting to the event stream…';
});
window.addEventListener('hashchange', route);

(async function boot() {
  try {
    setSession(await get('/api/v1/session', { quietAuth: true }));
    route();
  } catch (error) {
    renderSignIn(error.status === 401 ? null : error.message);
  }
})();

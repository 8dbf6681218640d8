// Provisioning: one device with its credentials and tags, or many from CSV with a report per row.
import { h, fill, field, showFormError, table, statusBadge, toast, errorBox, formatTime } from './dom.js';
import { post, request, enc } from './api.js';

function randomHex(bytes) {
  const data = new Uint8Array(bytes);
  crypto.getRandomValues(data);
  return [...data].map(b => b.toString(16).padStart(2, '0')).join('');
}

/** A certificate file as the API takes it: PEM as is, a binary (DER) file as Base64. */
async function readCertificateFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  if (text.includes('-----BEGIN')) return text;
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}

export function render(ctx) {
  if (!ctx.can('operator')) {
    fill(ctx.el, h('h1', {}, 'Provisioning'), h('p', { class: 'muted' }, 'Your role (viewer) can read the fleet but not add devices.'));
    return;
  }
  fill(ctx.el, h('div', { class: 'page-head' }, h('h1', {}, 'Provisioning')),
    h('div', { class: 'grid two' }, h('section', { class: 'panel' }, h('h2', {}, 'Add a device'), singleForm(ctx)),
      h('section', { class: 'panel' }, h('h2', {}, 'Import many (CSV)'), bulkForm())));
}

/**
 * The credentials part of a form: a choice of kind and its fields. prefix keeps element ids unique on a page;
 * endpoint() gives the endpoint, the PSK identity's default. read() answers the credentials object of the API.
 */
export function credentialsFields(prefix, endpoint) {
  const kinds = ['psk', 'rpk', 'x509', 'none'];
  const kindLabels = { psk: 'PSK', rpk: 'Raw public key', x509: 'X.509 certificate', none: 'None (plain CoAP)' };
  const radios = kinds.map(k => h('input', { type: 'radio', name: prefix + '-kind', value: k, checked: k === 'psk', defaultChecked: k === 'psk', id: prefix + '-kind-' + k }));
  const identity = h('input', { name: 'identity', id: prefix + '-identity', placeholder: 'defaults to the endpoint' });
  const key = h('input', { name: 'key', id: prefix + '-key', class: 'mono', size: 40, placeholder: 'hex, 4 to 64 bytes' });
  const generate = h('button', { type: 'button', on: { click: () => { key.value = randomHex(16); } } }, 'Generate');
  const publicKey = h('textarea', { name: 'publicKey', id: prefix + '-public-key', placeholder: '-----BEGIN PUBLIC KEY-----…' });
  const publicKeyFile = h('input', { type: 'file', accept: '.pem,.der,.pub,.txt', 'aria-label': 'Public key file' });
  publicKeyFile.addEventListener('change', async () => { if (publicKeyFile.files[0]) publicKey.value = await readFile(publicKeyFile.files[0]); });
  const certificate = h('textarea', { name: 'certificate', id: prefix + '-certificate', class: 'mono small', rows: 5,
    placeholder: '-----BEGIN CERTIFICATE-----… (optional)' });
  const certFile = h('input', { type: 'file', accept: '.pem,.crt,.cer,.der', id: prefix + '-certificate-file', 'aria-label': 'Device certificate file' });
  const certNote = h('p', { class: 'small muted', id: prefix + '-certificate-note' });
  certFile.addEventListener('change', async () => {
    const chosen = certFile.files[0];
    if (!chosen) return;
    try {
      certificate.value = await readCertificateFile(chosen);
      certNote.textContent = `${chosen.name} read; the server checks it when you submit.`;
    } catch (error) {
      certNote.textContent = `${chosen.name} cannot be read: ${error.message}`;
    }
  });
  const sections = {
    psk: h('fieldset', {}, h('legend', {}, 'Pre-shared key'), field('PSK identity', identity), h('label', {}, 'Key (hex)', h('span', { class: 'toolbar' }, key, generate))),
    rpk: h('fieldset', {}, h('legend', {}, 'Raw public key'), field('Public key (PEM, Base64 or hex)', publicKey), field('…or read it from a file', publicKeyFile)),
    x509: h('fieldset', {}, h('legend', {}, 'X.509'),
      h('p', { class: 'small' }, 'The device presents a certificate whose subject CN is its endpoint name. Without an uploaded certificate, any certificate with that CN from a CA the server trusts (--trusted-certificates) is accepted.'),
      h('p', { class: 'small' }, 'Upload the device\'s own certificate to pin it: the server then accepts that exact certificate only. It checks it now: the CN must be the endpoint name, it must not be expired, and it must be issued by a trusted CA when the server has some (without, the pinned certificate is trusted on its own, like a raw public key). Only the device\'s certificate is kept, never a private key.'),
      field('Device certificate file (PEM or DER)', certFile), field('…or paste it (PEM)', certificate), certNote),
    none: h('fieldset', {}, h('legend', {}, 'No security'), h('p', { class: 'small' }, 'The device registers over plain CoAP (UDP 5683), unauthenticated. Only for trusted networks.')),
  };
  const show = () => {
    const kind = radios.find(r => r.checked).value;
    for (const [k, el] of Object.entries(sections)) el.hidden = k !== kind;
  };
  radios.forEach(r => r.addEventListener('change', show));
  show();
  // A reset form forgets the chosen certificate and what was said about it.
  const clear = () => { certNote.textContent = ''; };
  return {
    clear,
    el: [h('fieldset', {}, h('legend', {}, 'Credentials'), h('div', { class: 'radios' }, radios.map((r, i) => h('label', { class: 'check' }, r, kindLabels[kinds[i]])))),
      Object.values(sections)],
    read() {
      const kind = radios.find(r => r.checked).value;
      const credentials = { kind };
      if (kind === 'psk') { credentials.identity = identity.value.trim() || endpoint(); credentials.key = key.value.trim(); }
      if (kind === 'rpk') credentials.publicKey = publicKey.value.trim();
      if (kind === 'x509' && certificate.value.trim()) credentials.certificate = certificate.value.trim();
      return credentials;
    },
    show,
  };
}

/** An API error about credentials.x names the input x. */
export function credentialsError(error) {
  const leaf = error.field ? error.field.replace(/^credentials\./, '') : null;
  return leaf && error.field !== leaf ? { message: error.message, field: leaf } : error;
}

function singleForm(ctx) {
  const endpoint = h('input', { name: 'endpoint', required: true, id: 'prov-endpoint', autocomplete: 'off', maxLength: 255 });
  const label = h('input', { name: 'label', id: 'prov-label' });
  const tags = h('input', { name: 'tags', id: 'prov-tags', placeholder: 'meters, floor-2' });
  const credentials = credentialsFields('prov', () => endpoint.value.trim());
  const box = h('div');
  const result = h('div', { id: 'prov-result' });
  const form = h('form', { class: 'stack', id: 'provision-form' },
    field('Endpoint name', endpoint, 'Letters, digits and . _ : @ + -'), field('Label', label), field('Tags', tags, 'Separated by commas'),
    credentials.el,
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Add device')), box, result);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const body = { endpoint: endpoint.value.trim(), credentials: credentials.read(),
      tags: tags.value.split(',').map(t => t.trim()).filter(Boolean) };
    if (label.value.trim()) body.label = label.value.trim();
    try {
      const created = await post('/api/v1/devices', body);
      showFormError(form, box, null);
      toast(`Added ${created.endpoint}.`);
      const pinned = created.credentials && created.credentials.certificate;
      fill(result, h('div', { class: 'success' }, 'Added ', h('a', { href: '#/devices/' + enc(created.endpoint), id: 'prov-created' }, created.endpoint),
        '. It shows as offline until it registers.',
        pinned ? h('div', { class: 'small', id: 'prov-pinned' }, `Pinned certificate ${pinned.subject}, issued by ${pinned.issuer}, valid until ${formatTime(pinned.notAfter)}, SHA-256 ${pinned.sha256}.`) : null));
      form.reset();
      credentials.clear();
      credentials.show();
    } catch (error) {
      showFormError(form, box, credentialsError(error));
    }
  });
  return form;
}

function bulkForm() {
  const text = h('textarea', { name: 'csv', id: 'bulk-csv', rows: 8,
    placeholder: 'endpoint,kind,identity,key,public_key,certificate,tags,label\nmeter-1,psk,meter-1,00112233445566778899aabbccddeeff,,,meters;floor-2,Kitchen' });
  const file = h('input', { type: 'file', accept: '.csv,text/csv', 'aria-label': 'CSV file' });
  file.addEventListener('change', async () => { if (file.files[0]) text.value = await readFile(file.files[0]); });
  const box = h('div');
  const report = h('div', { id: 'bulk-report' });
  const form = h('form', { class: 'stack', id: 'bulk-form' },
    h('p', { class: 'small muted' }, 'Columns: endpoint, kind (psk, rpk, x509, none), identity, key (hex), public_key, certificate (x509, optional: PEM in double quotes, or Base64 of DER), tags (separated by ;), label. A header line is required; columns may be left out. Each row is added on its own.'),
    field('CSV file', file), field('…or paste it', text),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Import')), box, report);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    try {
      const result = await request('POST', '/api/v1/devices:bulk', { body: text.value, contentType: 'text/csv' });
      showFormError(form, box, null);
      fill(report, h('p', { class: result.rejected ? 'error' : 'success' }, `${result.created} created, ${result.rejected} rejected.`),
        table(['Row', 'Endpoint', 'Result', 'Why'], result.rows.map(r => h('tr', {}, h('td', {}, String(r.row)),
          h('td', {}, r.endpoint ? (r.status === 'created' ? h('a', { href: '#/devices/' + enc(r.endpoint) }, r.endpoint) : r.endpoint) : '—'),
          h('td', {}, statusBadge(r.status === 'created' ? 'success' : 'failed'), ' ', r.status),
          h('td', {}, r.reason ? `${r.field ? r.field + ': ' : ''}${r.reason}` : '')))));
    } catch (error) {
      fill(report);
      showFormError(form, box, error);
    }
  });
  return form;
}

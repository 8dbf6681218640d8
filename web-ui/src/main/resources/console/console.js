// Placeholder console: lists devices from the public REST API and reloads on registration events.
const tbody = document.querySelector('#devices tbody');
const summary = document.querySelector('#summary');

function cell(text, className) {
  const td = document.createElement('td');
  if (className) {
    const span = document.createElement('span');
    span.className = className;
    span.textContent = text;
    td.appendChild(span);
  } else {
    td.textContent = text ?? '';
  }
  return td;
}

async function load() {
  try {
    const devices = [];
    let cursor = null;
    do {
      const url = '/api/v1/devices?limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
      const response = await fetch(url);
      if (!response.ok) throw new Error((await response.json()).detail ?? response.statusText);
      const page = await response.json();
      devices.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    tbody.replaceChildren(...devices.map(d => {
      const tr = document.createElement('tr');
      tr.dataset.endpoint = d.endpoint;
      tr.append(cell(d.endpoint), cell(d.status, 'status status-' + d.status), cell(d.label),
        cell(d.tags.join(', ')), cell(d.credentials.kind),
        cell(d.lastUpdate ? new Date(d.lastUpdate).toLocaleString() : 'never'));
      return tr;
    }));
    const online = devices.filter(d => d.status === 'online').length;
    summary.textContent = `${devices.length} devices, ${online} online`;
  } catch (e) {
    summary.textContent = 'Could not load devices: ' + e.message;
  }
}

let pending = null;
function reloadSoon() {
  if (!pending) pending = setTimeout(() => { pending = null; load(); }, 500);
}

load();
const events = new EventSource('/api/v1/events?type=registered,updated,deregistered,expired,sleeping,awake,provisioned,deleted');
['registered', 'updated', 'deregistered', 'expired', 'sleeping', 'awake', 'provisioned', 'deleted']
  .forEach(type => events.addEventListener(type, reloadSoon));

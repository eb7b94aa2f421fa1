/**
 * The chat's web pages: static HTML and one small script module that uses
 * portsocket/client (served at /client/index.js). No bundler, no framework; every piece
 * of user text goes into the page as text, never as HTML.
 */

const style = `
  :root { color-scheme: light; --accent: #2563eb; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; }
  * { box-sizing: border-box; }
  body { margin: 0; display: flex; flex-direction: column; height: 100vh; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; background: var(--bg); }
  header { display: flex; align-items: center; gap: 12px; padding: 10px 18px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 17px; margin: 0; }
  header .room { color: var(--muted); }
  header a { margin-left: auto; color: var(--muted); font-size: 13px; }
  button.link { background: none; border: 0; padding: 0; color: var(--muted); font: inherit; font-size: 13px; text-decoration: underline; cursor: pointer; }
  .status { font-size: 13px; padding: 3px 10px; border-radius: 999px; background: #e5e7eb; white-space: nowrap; }
  .status[data-state="open"] { background: #dcfce7; color: #166534; }
  .status[data-state="connecting"], .status[data-state="reconnecting"] { background: #fef3c7; color: #92400e; }
  .status[data-state="closed"] { background: #fee2e2; color: #991b1b; }
  main { flex: 1; min-height: 0; display: grid; grid-template-columns: 220px 1fr; }
  aside { border-right: 1px solid var(--line); background: #fff; padding: 14px; overflow: auto; }
  aside h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 0 8px; }
  aside ul { list-style: none; margin: 0 0 20px; padding: 0; }
  aside li { padding: 3px 0; }
  aside li.me::after { content: " (you)"; color: var(--muted); }
  aside button.room-link { background: none; border: 0; padding: 0; color: var(--accent); cursor: pointer; font: inherit; text-align: left; overflow-wrap: anywhere; }
  section.chat { display: flex; flex-direction: column; min-width: 0; }
  #messages { flex: 1; overflow: auto; list-style: none; margin: 0; padding: 14px 18px; }
  #messages li { padding: 4px 0; }
  #messages .name { font-weight: 600; margin-right: 6px; }
  #messages .time { color: var(--muted); font-size: 12px; margin-right: 6px; }
  #messages li.pending { opacity: .55; }
  #messages li.pending::after { content: " (sending…)"; color: var(--muted); font-size: 12px; }
  #messages li.notice { color: var(--muted); font-size: 13px; font-style: italic; }
  form.say { display: flex; gap: 8px; padding: 12px 18px; border-top: 1px solid var(--line); background: #fff; }
  input { font: inherit; padding: 8px 10px; border: 1px solid #d1d5db; border-radius: 8px; }
  form.say input { flex: 1; }
  button.primary { font: inherit; padding: 8px 16px; border: 0; border-radius: 8px; background: var(--accent); color: #fff; cursor: pointer; }
  #join { position: fixed; inset: 0; display: grid; place-items: center; background: rgba(248, 250, 252, .96); }
  #join form { display: grid; gap: 10px; width: 300px; padding: 24px; background: #fff; border: 1px solid var(--line); border-radius: 12px; }
  #join h2 { margin: 0 0 4px; font-size: 18px; }
  [hidden] { display: none !important; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); font-size: 14px; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; }
  code { font-size: 12px; }
`

export const chatPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>portsocket chat</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body>
<header>
  <h1>portsocket chat</h1>
  <span class="room" id="room-title"></span>
  <button class="link" id="change" type="button">change</button>
  <span class="status" id="status" data-state="idle">not connected</span>
  <a href="/admin">admin</a>
</header>
<main>
  <aside>
    <h2>Here now</h2>
    <ul id="members"></ul>
    <h2>Rooms</h2>
    <ul id="rooms"></ul>
  </aside>
  <section class="chat">
    <ul id="messages" aria-live="polite"></ul>
    <form class="say" id="say">
      <input id="text" autocomplete="off" placeholder="Write a message" maxlength="2000" aria-label="Message">
      <button class="primary">Send</button>
    </form>
  </section>
</main>
<div id="join">
  <form id="join-form">
    <h2>Join a room</h2>
    <input id="name" placeholder="Your name" maxlength="32" required aria-label="Name">
    <input id="room" placeholder="Room" maxlength="32" required list="room-list" value="lobby" aria-label="Room">
    <datalist id="room-list"></datalist>
    <button class="primary">Join</button>
  </form>
</div>
<script type="module" src="/chat.js"></script>
</body>
</html>
`

/** The page's script: a plain ES module that imports the client. */
export const chatScript = `import { connect } from '/client/index.js'

const $ = (id) => document.getElementById(id)
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props)
  node.append(...children)
  return node
}
const time = (at) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })

let client
let me = ''
const members = new Map() // connection id -> name
const shown = new Set() // message ids already on the page

function renderMembers() {
  $('members').replaceChildren(...[...members].map(([id, name]) => el('li', { className: id === me ? 'me' : '', textContent: name })))
}

function add(node) {
  const list = $('messages')
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40
  list.append(node)
  if (atBottom) list.scrollTop = list.scrollHeight
}

function notice(text) {
  add(el('li', { className: 'notice', textContent: text }))
}

function showMessage(m) {
  if (shown.has(m.id)) return
  shown.add(m.id)
  const node = el('li', {}, el('span', { className: 'time', textContent: time(m.at) }), el('span', { className: 'name', textContent: m.name }), el('span', { className: 'text', textContent: m.text }))
  node.dataset.id = m.id
  const pending = m.nonce && m.from === me ? document.querySelector('li.pending[data-nonce="' + CSS.escape(m.nonce) + '"]') : null
  if (pending) pending.replaceWith(node)
  else add(node)
}

function showStatus() {
  const status = $('status')
  status.dataset.state = client.state
  const last = client.lastClose
  const why = last ? ' (' + last.code + (last.reason ? ' ' + last.reason : '') + ')' : ''
  status.textContent = {
    connecting: 'connecting…',
    open: 'online',
    reconnecting: 'reconnecting, attempt ' + client.attempt + why,
    closed: 'disconnected' + why,
  }[client.state]
}

async function loadRooms() {
  try {
    const rooms = await (await fetch('/api/rooms')).json()
    $('room-list').replaceChildren(...rooms.map(({ room }) => el('option', { value: room })))
    $('rooms').replaceChildren(...rooms.map(({ room, members }) => el('li', {}, el('button', { className: 'room-link', type: 'button', textContent: room + ' (' + members + ')', onclick: () => join($('name').value || 'anonymous', room) }))))
  } catch {}
}

// After presence changes, a little later and only while connected (a server shutting
// down announces leaves just before it goes).
let roomsTimer
function refreshRooms() {
  clearTimeout(roomsTimer)
  roomsTimer = setTimeout(() => client?.state === 'open' && loadRooms(), 500)
}

function join(name, room) {
  client?.close()
  members.clear()
  shown.clear()
  $('messages').replaceChildren()
  $('join').hidden = true
  $('room-title').textContent = '# ' + room
  $('name').value = name
  $('room').value = room
  history.replaceState(null, '', '?' + new URLSearchParams({ room, name }))
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/chat?' + new URLSearchParams({ name, room })
  const c = (client = connect(url, {
    // On every (re)connection the server joins the room and sends a welcome: wait for it
    // before messages written while offline go out.
    ready: () => c.once('welcome'),
    // The server pings every 15 s (app-level): two missed pings mean the link is dead.
    heartbeat: { timeout: 35_000 },
  }))
  c.addEventListener('state', () => c === client && showStatus())
  let lost = false
  c.addEventListener('close', ({ code, retryIn }) => {
    if (c !== client) return
    showStatus()
    if (retryIn === undefined && code === 4001) notice('You were removed from the room by an admin.')
    else if (retryIn === undefined) notice('Disconnected.')
    else if (!lost) notice('Connection lost; reconnecting…')
    lost = retryIn !== undefined
  })
  c.addEventListener('open', ({ reconnected }) => {
    if (reconnected && c === client) notice('Reconnected.')
    lost = false
  })
  c.addEventListener('error', ({ error }) => console.warn('chat:', error))
  c.addEventListener('drop', () => notice('A message could not be sent (the offline buffer is full).'))
  c.on('welcome', (w) => {
    me = w.id
    members.clear()
    for (const m of w.members) members.set(m.id, m.name)
    renderMembers()
    for (const m of w.history) showMessage(m)
    loadRooms()
  })
  c.on('said', showMessage)
  c.on('presence', ({ action, member }) => {
    refreshRooms()
    if (action === 'join') {
      members.set(member.id, member.data.name)
      notice(member.data.name + ' joined')
    } else {
      members.delete(member.id)
      notice(member.data.name + ' left')
    }
    renderMembers()
  })
  showStatus()
  $('text').focus()
}

$('change').addEventListener('click', () => {
  $('join').hidden = false
  loadRooms()
  $('room').focus()
})

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault()
  join($('name').value.trim() || 'anonymous', $('room').value.trim() || 'lobby')
})

$('say').addEventListener('submit', (e) => {
  e.preventDefault()
  const text = $('text').value.trim()
  if (!text || !client || client.state === 'closed') return
  const nonce = Date.now().toString(36) + Math.random().toString(36).slice(2)
  if (client.emit('say', { text, nonce })) {
    const node = el('li', { className: 'pending' }, el('span', { className: 'name', textContent: $('name').value }), el('span', { className: 'text', textContent: text }))
    node.dataset.nonce = nonce
    add(node)
    $('text').value = ''
  }
})

const params = new URLSearchParams(location.search)
if (params.get('name')) join(params.get('name'), params.get('room') || 'lobby')
else {
  loadRooms()
  $('name').focus()
}
`

export const adminPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>portsocket chat: admin</title>
<link rel="icon" href="data:,">
<style>${style} body { display: block; height: auto; } .wrap { padding: 18px; }</style>
</head>
<body>
<header><h1>Connections</h1><span class="room" id="count"></span><a href="/">back to the chat</a></header>
<div class="wrap">
<table>
  <thead><tr><th>Name</th><th>Room</th><th>Connected</th><th>Instance</th><th>Id</th><th></th></tr></thead>
  <tbody id="rows"></tbody>
</table>
</div>
<script type="module">
  const rows = document.getElementById('rows')
  async function refresh() {
    const list = await (await fetch('/api/connections')).json()
    // With REDIS_URL the list spans every instance: say which one holds each connection.
    const instances = new Set(list.map((c) => c.instanceId)).size
    document.getElementById('count').textContent = list.length + ' connected' + (instances > 1 ? ' on ' + instances + ' instances' : '')
    rows.replaceChildren(...list.map((c) => {
      const tr = document.createElement('tr')
      const kick = Object.assign(document.createElement('button'), { className: 'primary', textContent: 'Kick' })
      kick.onclick = async () => { await fetch('/api/connections/' + encodeURIComponent(c.id), { method: 'DELETE' }); refresh() }
      for (const text of [c.data?.name ?? '', c.data?.room ?? '', new Date(c.connectedAt).toLocaleTimeString()]) tr.append(Object.assign(document.createElement('td'), { textContent: text }))
      const instance = document.createElement('td')
      instance.append(Object.assign(document.createElement('code'), { className: 'instance', textContent: (c.instanceId ?? '').slice(0, 8), title: c.instanceId ?? '' }))
      const id = document.createElement('td')
      id.append(Object.assign(document.createElement('code'), { textContent: c.id }))
      const action = document.createElement('td')
      action.append(kick)
      tr.append(instance, id, action)
      return tr
    }))
  }
  refresh()
  setInterval(() => refresh().catch(() => {}), 3000)
</script>
</body>
</html>
`

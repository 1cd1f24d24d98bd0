// Liên thông operator console. Plain JS, no build, no CDN: the gateway serves this file from
// console/. Every view reads the ops API with the operator key kept in sessionStorage. DOM is built with
// textContent only (h() below), never innerHTML, so nothing from the ledger can inject markup.
'use strict'

const KEY = 'lgsp.operatorKey'
const TIERS = { central: 'Trung ương', province: 'Tỉnh', district: 'Huyện', commune: 'Xã' }
const STATES = { dead: 'Đang chờ xử lý', replayed: 'Đã phát lại', discarded: 'Đã bỏ qua' }
const GATEWAY_LABELS = {
  ACCEPTED: 'Cổng đã tiếp nhận',
  ROUTED: 'Đã định tuyến',
  FORWARDED: 'Đã chuyển tiếp lên cổng khác',
  DELIVERED: 'Đã chuyển đến đơn vị nhận',
  DELIVERY_FAILED: 'Chuyển không thành công',
  DLQ_REPLAYED: 'Vận hành đã phát lại',
  DLQ_DISCARDED: 'Vận hành đã bỏ qua',
  PENDING: 'Chờ định tuyến',
  REDIRECTED: 'Chuyển cho cơ quan kế thừa',
  MOVED: 'Đã chuyển sang cơ quan kế thừa',
}
const LIFECYCLE = { active: 'Đang hoạt động', closed: 'Đã đóng' }
let poll = null
let healthPoll = null
const LIGHTS = { ok: { mark: '✓', text: 'bình thường' }, warn: { mark: '!', text: 'cần chú ý' }, bad: { mark: '✕', text: 'lỗi' } }

// ── tiny helpers ────────────────────────────────────────────────────────────────────────────────────────
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'class') el.className = v
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) el.append(kid instanceof Node ? kid : String(kid))
  return el
}
const $ = (sel) => document.querySelector(sel)
const fmtTime = (s) => (s ? new Date(s).toLocaleString('vi-VN', { hour12: false }) : '—')
const fmtAge = (sec) => {
  if (sec === null || sec === undefined) return '—'
  if (sec < 60) return `${sec} giây`
  if (sec < 3600) return `${Math.floor(sec / 60)} phút`
  if (sec < 86400) return `${Math.floor(sec / 3600)} giờ ${Math.floor((sec % 3600) / 60)} phút`
  return `${Math.floor(sec / 86400)} ngày`
}
const statusLabel = (code, label) => label || GATEWAY_LABELS[code] || code
const badge = (status, label) => h('span', { class: `badge s-${String(status).replace(/[^A-Za-z0-9_-]/g, '')}`, title: status }, statusLabel(status, label))
// the footer: an operator action's outcome for 10 s, otherwise when the health strip was last checked
let saidAt = 0
const say = (text) => {
  saidAt = Date.now()
  $('#status-line').textContent = text
}
const sayHealth = (v) => {
  if (Date.now() - saidAt < 10_000) return
  $('#status-line').textContent = !v
    ? 'Không kết nối được cổng'
    : `Kiểm tra lúc ${fmtTime(v.at)} · ${v.state === 'ok' ? 'mọi thành phần bình thường' : 'có thành phần cần chú ý (xem dải trạng thái)'}`
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const data = res.status === 204 ? null : await res.json().catch(() => null)
  if (res.status === 401 || res.status === 403) {
    logout(res.status === 401 ? 'Khóa không hợp lệ hoặc đã bị vô hiệu hóa' : 'Khóa này không phải khóa vận hành (operator)')
    throw new Error('unauthorised')
  }
  if (!res.ok) throw new Error(data ? `${data.code}: ${data.detail}` : `HTTP ${res.status}`)
  return data
}

function table(headers, rows, opts = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: opts.class },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((x) => h('th', { scope: 'col' }, x)),
        ),
      ),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted empty' }, opts.empty || 'Không có dữ liệu'))),
    ),
  )
}
// ── names beside codes ──────────────────────────────────────────────────────────────────────────────────
// organ(code) draws the code at once; fillNames() then asks the directory for the names of every code on
// the page in one call (cached for the session) and writes "name — code · tier" in place.
const names = new Map()
const organ = (code) => (code ? h('span', { class: 'organ', 'data-organ': code }, h('span', { class: 'mono' }, code)) : '—')
async function fillNames(root) {
  const els = [...root.querySelectorAll('.organ[data-organ]:not([data-named])')]
  const missing = [...new Set(els.map((e) => e.dataset.organ).filter((c) => !names.has(c)))]
  for (let i = 0; i < missing.length; i += 200) {
    const r = await api('GET', `/v1/ops/agency-names?codes=${encodeURIComponent(missing.slice(i, i + 200).join(','))}`)
    for (const [code, a] of Object.entries(r.items)) names.set(code, a)
  }
  for (const el of els) {
    const a = names.get(el.dataset.organ)
    el.dataset.named = '1'
    if (!a || !a.known) {
      el.append(h('span', { class: 'muted small' }, ' (không có trong danh bạ)'))
      continue
    }
    // replaceChildren (DOM) would print a null as the text "null": only real nodes go in
    const closed = !a.closed
      ? []
      : [
          h('span', { class: 'badge s-closed', title: `Cơ quan không còn nhận văn bản qua cổng này${a.closedOn ? ` (từ ${a.closedOn})` : ''}` }, 'Đã ngừng'),
          ...((a.successors || []).length
            ? [
                h(
                  'span',
                  { class: 'muted small successors' },
                  ' → ',
                  a.successors.map((s, i) => [i ? ', ' : '', s.name ? `${s.name} — ` : '', h('span', { class: 'mono' }, s.organId)]),
                ),
              ]
            : []),
        ]
    el.replaceChildren(
      h('span', { class: 'organ-name' }, a.name),
      ' — ',
      h('span', { class: 'mono' }, el.dataset.organ),
      h('span', { class: 'muted small' }, ` · ${TIERS[a.tier] || a.tier}`),
      ...closed,
    )
  }
}

// ── health strip ────────────────────────────────────────────────────────────────────────────────────────
function renderHealth(v) {
  const strip = $('#health')
  strip.hidden = false
  strip.dataset.state = v ? v.state : 'bad'
  sayHealth(v)
  if (!v)
    return strip.replaceChildren(
      h('span', { class: 'light l-bad', 'data-health': 'gateway', 'data-state': 'bad' }, h('b', { 'aria-hidden': 'true' }, LIGHTS.bad.mark), ' Không kết nối được cổng'),
    )
  strip.replaceChildren(
    ...v.items.map((i) =>
      h(
        'a',
        {
          class: `light l-${i.state}`,
          href: i.link,
          title: i.reason,
          'data-health': i.id,
          'data-state': i.state,
          'aria-label': `${i.label}: ${LIGHTS[i.state].text} — ${i.reason}`,
        },
        h('b', { 'aria-hidden': 'true' }, LIGHTS[i.state].mark),
        ` ${i.label}`,
      ),
    ),
  )
}
async function refreshHealth() {
  try {
    renderHealth(await api('GET', '/v1/ops/health'))
  } catch (e) {
    if (e.message !== 'unauthorised') renderHealth(null)
  }
}
function startHealth() {
  stopHealth()
  refreshHealth()
  healthPoll = setInterval(refreshHealth, 3000)
}
function stopHealth() {
  if (healthPoll) {
    clearInterval(healthPoll)
    healthPoll = null
  }
}

// each td carries its column name so the phone layout (CSS) can show it as a label
const row = (headers, cells, attrs) =>
  h(
    'tr',
    attrs || {},
    cells.map((c, i) => h('td', { 'data-label': headers[i] }, c)),
  )

// ── login ───────────────────────────────────────────────────────────────────────────────────────────────
function logout(reason) {
  sessionStorage.removeItem(KEY)
  stopPoll()
  stopHealth()
  $('#health').hidden = true
  $('#nav').hidden = true
  $('#view').replaceChildren()
  $('#login').hidden = false
  $('#login-error').textContent = reason || ''
}

async function login(key) {
  sessionStorage.setItem(KEY, key)
  try {
    await api('GET', '/v1/ops/queues')
  } catch (e) {
    if (sessionStorage.getItem(KEY)) logout(`Không kết nối được: ${e.message}`)
    return
  }
  $('#login').hidden = true
  $('#nav').hidden = false
  startHealth()
  if (!location.hash || location.hash === '#/') location.hash = '#/queues'
  else route()
}

// ── views ───────────────────────────────────────────────────────────────────────────────────────────────
function stopPoll() {
  if (poll) {
    clearInterval(poll)
    poll = null
  }
}

const SERIES_STYLE = { accepted: 'ln-1', delivered: 'ln-2', failed: 'ln-3' }
const SERIES_LABEL = { accepted: 'Tiếp nhận', delivered: 'Đã chuyển', failed: 'Không thành công' }
const TIER_STYLE = { central: 'ln-1', province: 'ln-2', district: 'ln-3', commune: 'ln-4' }

/** the trend charts: per tier, documents per bucket; then consumer lag per tier, webhook backlog and DLQ */
function drawHistory(box, v) {
  const per = v.stepSeconds === 60 ? 'phút' : `${v.stepSeconds / 60} phút`
  const common = { from: v.from, stepSeconds: v.stepSeconds }
  box.replaceChildren(
    ...Object.keys(TIERS).map((t) =>
      h(
        'div',
        { 'data-chart-tier': t },
        lineChart({
          ...common,
          id: `chart-${t}`,
          title: `Cấp ${TIERS[t]}`,
          unit: `văn bản / ${per}`,
          sum: true,
          series: Object.keys(SERIES_STYLE).map((k) => ({ key: k, label: SERIES_LABEL[k], style: SERIES_STYLE[k], values: v.series[`${t}.${k}`] })),
        }),
      ),
    ),
    lineChart({
      ...common,
      id: 'chart-lag',
      title: 'Độ trễ Kafka theo cấp',
      unit: 'bản ghi chưa đọc (cao nhất)',
      series: Object.keys(TIERS).map((t) => ({ key: `${t}.lag`, label: TIERS[t], style: TIER_STYLE[t], values: v.series[`${t}.lag`] })),
    }),
    lineChart({
      ...common,
      id: 'chart-backlog',
      title: 'Webhook và hàng đợi lỗi',
      unit: 'mục (cao nhất)',
      series: [
        { key: 'webhooks.backlog', label: 'Webhook chờ gửi', style: 'ln-1', values: v.series['webhooks.backlog'] },
        { key: 'dlq.delivery', label: 'Trong DLQ', style: 'ln-3', values: v.series['dlq.delivery'] },
      ],
    }),
  )
}

async function viewQueues(root, params) {
  const range = params.get('range') === '24h' ? '24h' : '1h'
  const historyBox = h('div', { class: 'charts', id: 'charts', 'data-range': range })
  const tiersBox = h('div', { class: 'tiers', id: 'tiers' })
  const stagesBox = h('div', { id: 'stages' })
  const stuckBox = h('div', { id: 'stuck' })
  const failedBox = h('div', { id: 'failed' })
  root.append(
    h('div', { class: 'head' }, h('h1', {}, 'Hàng đợi'), h('span', { class: 'muted', id: 'queues-at' }, '')),
    tiersBox,
    h(
      'div',
      { class: 'head' },
      h('h2', {}, 'Xu hướng'),
      h(
        'div',
        { class: 'filters range' },
        [
          ['1h', '1 giờ qua'],
          ['24h', '24 giờ qua'],
        ].map(([k, label]) => h('a', { class: `chip${k === range ? ' on' : ''}`, href: `#/queues?range=${k}`, 'data-range': k }, label)),
      ),
    ),
    historyBox,
    h('h2', {}, 'Các bước xử lý (độ trễ Kafka)'),
    stagesBox,
    h('h2', {}, 'Văn bản chưa chuyển quá 5 phút'),
    stuckBox,
    h('h2', {}, 'Chuyển không thành công'),
    failedBox,
  )
  const refresh = async () => {
    const q = await api('GET', '/v1/ops/queues')
    $('#queues-at') && ($('#queues-at').textContent = `Cập nhật ${fmtTime(q.at)} · tự làm mới mỗi 3 giây${q.kafka.ok ? '' : ` · Kafka: ${q.kafka.error}`}`)
    tiersBox.replaceChildren(
      ...q.tiers.map((t) =>
        h(
          'article',
          { class: `tier${t.inDlq ? ' warn' : ''}`, 'data-tier': t.tier },
          h('h3', {}, TIERS[t.tier] || t.tier),
          h(
            'dl',
            {},
            h('dt', {}, 'Độ trễ Kafka'),
            h('dd', { class: 'big', 'data-k': 'lag' }, t.lag === null ? '?' : t.lag),
            h('dt', {}, 'Chưa chuyển'),
            h('dd', { 'data-k': 'undelivered' }, t.undelivered),
            h('dt', {}, 'Cũ nhất'),
            h('dd', {}, fmtAge(t.oldestUndeliveredSeconds)),
            h('dt', {}, 'Đang thử lại'),
            h('dd', { 'data-k': 'inRetry' }, t.inRetry),
            h('dt', {}, 'Trong DLQ'),
            h('dd', { 'data-k': 'inDlq' }, t.inDlq ? h('a', { href: `#/dlq?tier=${t.tier}` }, t.inDlq) : 0),
          ),
        ),
      ),
    )
    const hs = ['Bước', 'Chủ đề', 'Độ trễ']
    stagesBox.replaceChildren(
      table(
        hs,
        q.stages.map((s) => row(hs, [s.group, s.topic, String(s.lag)])),
      ),
      h('p', { class: 'muted' }, `Webhook đang chờ gửi: ${q.webhooks.backlog} · webhook lỗi (DLQ): ${q.webhooks.dead}`),
    )
    const [stuck, failed] = await Promise.all([api('GET', '/v1/ops/deliveries/stuck?olderThanSeconds=300&limit=20'), api('GET', '/v1/ops/deliveries/failed?limit=20')])
    const hl = ['Văn bản', 'Nơi gửi', 'Nơi nhận', 'Trạng thái', 'Tuổi']
    const legRows = (items) =>
      items.map((l) => row(hl, [h('a', { href: `#/doc/${l.id}` }, l.documentId), organ(l.from), organ(l.recipient), badge(l.status), fmtAge(l.ageSeconds)]))
    stuckBox.replaceChildren(table(hl, legRows(stuck.items), { empty: 'Không có văn bản bị kẹt' }))
    failedBox.replaceChildren(table(hl, legRows(failed.items), { empty: 'Không có' }))
    drawHistory(historyBox, await api('GET', `/v1/ops/history?range=${range}`))
    await fillNames(root)
  }
  await refresh()
  poll = setInterval(() => refresh().catch((e) => say(`Lỗi làm mới: ${e.message}`)), 3000)
}

async function viewSearch(root, params) {
  const form = h(
    'form',
    { class: 'filters', id: 'search-form' },
    h('label', {}, 'Mã văn bản / trích yếu', h('input', { name: 'q', value: params.get('q') || '', placeholder: 'DocumentId, trích yếu hoặc mã định danh trên cổng' })),
    h('label', {}, 'Trạng thái', h('input', { name: 'status', value: params.get('status') || '', placeholder: 'vd. DELIVERY_FAILED, 01', list: 'status-codes' })),
    h(
      'datalist',
      { id: 'status-codes' },
      ['ROUTED', 'DELIVERED', 'DELIVERY_FAILED', 'FORWARDED', '01', '02', '03', '04', '05', '06'].map((c) => h('option', { value: c }, statusLabel(c))),
    ),
    h('label', {}, 'Nơi gửi', h('input', { name: 'sender', value: params.get('sender') || '', placeholder: 'mã định danh, vd. 000.21.30.H41' })),
    h('label', {}, 'Nơi nhận', h('input', { name: 'recipient', value: params.get('recipient') || '', placeholder: 'mã định danh' })),
    h('button', { type: 'submit' }, 'Tìm'),
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const p = new URLSearchParams([...new FormData(form)].filter(([, v]) => String(v).trim()))
    location.hash = `#/search?${p}`
  })
  const results = h('div', { id: 'results' })
  root.append(h('h1', {}, 'Tìm văn bản'), form, results)
  const q = new URLSearchParams([...params].filter(([k]) => ['q', 'status', 'sender', 'recipient'].includes(k)))
  q.set('limit', '50')
  const r = await api('GET', `/v1/ops/documents?${q}`)
  const hs = ['Văn bản', 'Trích yếu', 'Nơi gửi', 'Nơi nhận', 'Tiếp nhận']
  results.append(
    h('p', { class: 'muted' }, `${r.total} văn bản`),
    table(
      hs,
      r.items.map((d) =>
        row(hs, [
          h('a', { href: `#/doc/${d.id}`, class: 'doc-link' }, d.documentId),
          d.subject || '—',
          organ(d.from),
          h(
            'div',
            { class: 'legs' },
            d.recipients.map((l) => h('span', { class: 'leg' }, organ(l.organId), ' ', badge(l.status))),
          ),
          fmtTime(d.acceptedAt),
        ]),
      ),
      { empty: 'Không tìm thấy văn bản nào' },
    ),
  )
}

function dlqActions(item, after) {
  if (item.state !== 'dead') return h('span', { class: 'muted' }, `${STATES[item.state]} · ${item.resolvedBy || ''} · ${fmtTime(item.resolvedAt)}`)
  const act = (what) => async (ev) => {
    const btn = ev.currentTarget
    btn.disabled = true
    try {
      const done = await api('POST', `/v1/ops/dlq/${item.id}/${what}`, what === 'discard' ? {} : undefined)
      say(what === 'replay' ? `Đã phát lại ${item.documentId} → ${item.recipient}` : `Đã bỏ qua ${item.documentId} → ${item.recipient}`)
      await after(done)
    } catch (e) {
      btn.disabled = false
      say(`Không thực hiện được: ${e.message}`)
    }
  }
  return h(
    'div',
    { class: 'actions' },
    h('button', { type: 'button', class: 'replay', 'data-id': item.id, onclick: act('replay') }, 'Phát lại'),
    h('button', { type: 'button', class: 'secondary discard', 'data-id': item.id, onclick: act('discard') }, 'Bỏ qua'),
  )
}

async function viewDoc(root, id) {
  const d = await api('GET', `/v1/ops/documents/${encodeURIComponent(id)}`)
  root.append(
    h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => history.back() }, '← Quay lại')),
    h('h1', {}, 'Dòng thời gian'),
    h(
      'div',
      { class: 'card meta' },
      h(
        'dl',
        {},
        h('dt', {}, 'Mã văn bản'),
        h('dd', { id: 'doc-id' }, d.documentId),
        h('dt', {}, 'Trích yếu'),
        h('dd', {}, d.subject || '—'),
        h('dt', {}, 'Nơi gửi'),
        h('dd', {}, organ(d.from)),
        h('dt', {}, 'Tiếp nhận'),
        h('dd', {}, fmtTime(d.acceptedAt)),
        h('dt', {}, 'Chữ ký số'),
        h('dd', {}, d.signature && d.signature.signed ? `Hợp lệ — ${d.signature.signer ? d.signature.signer.subject : ''}` : 'Không ký'),
        h('dt', {}, 'SHA-256'),
        h('dd', { class: 'mono' }, d.sha256),
      ),
    ),
    h(
      'div',
      { class: 'timelines' },
      d.recipients.map((r) =>
        h(
          'article',
          { class: 'card timeline', 'data-recipient': r.organId },
          h('h3', {}, organ(r.organId), ' ', badge(r.status, r.label)),
          h(
            'ol',
            {},
            r.timeline.map((e) =>
              h(
                'li',
                { class: `ev ev-${e.status}` },
                h('time', {}, fmtTime(e.at)),
                ' ',
                badge(e.status, e.label),
                e.detail && e.detail.lastError ? h('div', { class: 'muted small' }, e.detail.lastError) : null,
                e.detail && e.detail.by ? h('div', { class: 'muted small' }, `bởi ${e.detail.by}`) : null,
              ),
            ),
          ),
        ),
      ),
    ),
  )
  if (d.deadLetters.length) {
    const hs = ['Nơi nhận', 'Lý do', 'Lỗi cuối', 'Thời điểm', '']
    root.append(
      h('h2', {}, 'Hàng đợi lỗi (DLQ)'),
      table(
        hs,
        d.deadLetters.map((x) => row(hs, [organ(x.recipient), x.reason, x.lastError, fmtTime(x.failedAt), dlqActions(x, () => route())])),
      ),
    )
  }
  const hs = ['#', 'Loại', 'Trạng thái', 'Thời điểm', 'Hash']
  root.append(
    h('h2', {}, 'Nhật ký chống sửa đổi'),
    table(
      hs,
      d.log.map((l) => row(hs, [String(l.seq), l.kind, l.status || l.action || '—', fmtTime(l.at), h('span', { class: 'mono small' }, l.hash.slice(0, 16) + '…')])),
    ),
  )
}

async function viewDlq(root, params) {
  const state = params.get('state') || 'dead'
  const tier = params.get('tier') || ''
  root.append(
    h('h1', {}, 'Hàng đợi lỗi (DLQ)'),
    h(
      'div',
      { class: 'filters' },
      ['dead', 'replayed', 'discarded'].map((s) => h('a', { class: `chip${s === state ? ' on' : ''}`, href: `#/dlq?state=${s}${tier ? `&tier=${tier}` : ''}` }, STATES[s])),
    ),
  )
  const q = new URLSearchParams({ state, limit: '100', ...(tier ? { tier } : {}) })
  const r = await api('GET', `/v1/ops/dlq?${q}`)
  const hs = ['Văn bản', 'Nơi nhận', 'Lý do', 'Lỗi cuối', 'Số lần thử', 'Thời điểm', 'Thao tác']
  root.append(
    h('p', { class: 'muted' }, `${r.total} mục`),
    table(
      hs,
      r.items.map((x) =>
        row(
          hs,
          [
            h('a', { href: `#/doc/${x.documentUuid}` }, x.documentId),
            organ(x.recipient),
            x.reason,
            h('span', { class: 'small' }, x.lastError),
            String(x.attempts),
            fmtTime(x.failedAt),
            dlqActions(x, () => route()),
          ],
          { 'data-dlq': x.id },
        ),
      ),
      { empty: 'Hàng đợi lỗi trống' },
    ),
  )
}

async function viewWebhooks(root, params) {
  const r = await api('GET', '/v1/ops/webhooks')
  const hs = ['Địa chỉ', 'Khách', 'Sự kiện', 'Chờ', 'Đã gửi', 'Lỗi', 'Gần nhất']
  root.append(
    h('h1', {}, 'Webhook'),
    table(
      hs,
      r.items.map((s) =>
        row(hs, [
          h('a', { href: `#/webhooks?sub=${s.id}` }, s.url),
          s.clientName || s.clientId,
          s.events.join(', '),
          String(s.deliveries.pending),
          String(s.deliveries.delivered),
          String(s.deliveries.dead),
          fmtTime(s.lastEventAt),
        ]),
      ),
      { empty: 'Chưa có đăng ký webhook' },
    ),
  )
  const sub = params.get('sub')
  if (!sub) return
  const d = await api('GET', `/v1/ops/webhooks/${encodeURIComponent(sub)}/deliveries?limit=50`)
  const hd = ['Sự kiện', 'Trạng thái', 'Lần thử', 'Nhật ký gửi', '']
  root.append(
    h('h2', {}, 'Nhật ký gửi'),
    table(
      hd,
      d.items.map((x) =>
        row(hd, [
          `${x.eventType} · ${x.eventKey}`,
          x.state,
          String(x.attempts),
          h(
            'ol',
            { class: 'attempts' },
            x.log.map((a) => h('li', {}, `${fmtTime(a.at)} · ${a.statusCode ?? '—'} · ${a.durationMs} ms${a.error ? ` · ${a.error}` : ''}`)),
          ),
          x.state === 'delivered'
            ? ''
            : h(
                'button',
                {
                  type: 'button',
                  onclick: async () => {
                    await api('POST', `/v1/ops/webhooks/${sub}/deliveries/${encodeURIComponent(x.id)}/replay`)
                    say('Đã xếp lại để gửi')
                    route()
                  },
                },
                'Phát lại',
              ),
        ]),
      ),
      { empty: 'Chưa có lần gửi nào' },
    ),
  )
}

// the document systems (QLVB) that speak the national axis' protocol at /vxp, and the OrganIds each may act for
async function viewVxp(root) {
  const r = await api('GET', '/v1/ops/vxp-systems')
  const hs = ['Mã hệ thống', 'Tên', 'Cơ quan', 'Quyền', 'Trạng thái', 'Tạo lúc', 'Đổi khóa lúc']
  root.append(
    h('h1', {}, 'Hệ thống kết nối trục VXP'),
    h('p', { class: 'muted' }, `${r.items.length} hệ thống · khóa bí mật không bao giờ hiển thị (lgsp vxp-system rotate để cấp khóa mới)`),
    table(
      hs,
      r.items.map((x) =>
        row(
          hs,
          [
            h('span', { class: 'mono' }, x.systemId),
            x.name,
            h(
              'span',
              {},
              x.organIds.flatMap((o, i) => [i ? h('br') : '', o.includes('*') ? h('span', { class: 'mono' }, `${o} (mọi cơ quan khớp mẫu)`) : organ(o)]),
            ),
            x.operator ? 'Vận hành (đăng ký/xóa cơ quan)' : 'Gửi/nhận văn bản',
            x.disabled ? h('span', { class: 'badge s-closed' }, 'Đã khóa') : 'Đang hoạt động',
            fmtTime(x.createdAt),
            fmtTime(x.rotatedAt),
          ],
          { 'data-vxp': x.systemId },
        ),
      ),
      { empty: 'Chưa có hệ thống nào' },
    ),
  )
}

async function viewDirectory(root, params) {
  const form = h(
    'form',
    { class: 'filters' },
    h('label', {}, 'Tên hoặc mã', h('input', { name: 'q', value: params.get('q') || '', placeholder: 'vd. Quỳnh hoặc H41' })),
    h(
      'label',
      {},
      'Cấp',
      h(
        'select',
        { name: 'tier' },
        h('option', { value: '' }, 'Tất cả'),
        Object.entries(TIERS).map(([k, v]) => h('option', { value: k, selected: params.get('tier') === k }, v)),
      ),
    ),
    h(
      'label',
      {},
      'Trạng thái',
      h(
        'select',
        { name: 'status' },
        h('option', { value: '' }, 'Tất cả'),
        Object.entries(LIFECYCLE).map(([k, v]) => h('option', { value: k, selected: params.get('status') === k }, v)),
      ),
    ),
    h('button', { type: 'submit' }, 'Lọc'),
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    location.hash = `#/directory?${new URLSearchParams([...new FormData(form)].filter(([, v]) => v))}`
  })
  const q = new URLSearchParams({ limit: '200' })
  if (params.get('q')) q.set('q', params.get('q'))
  if (params.get('tier')) q.set('tier', params.get('tier'))
  if (params.get('status')) q.set('status', params.get('status'))
  const r = await api('GET', `/v1/agencies?${q}`)
  const hs = ['Mã định danh', 'Tên cơ quan', 'Cấp', 'Cơ quan cấp trên', 'Nhận văn bản qua', 'Trạng thái']
  root.append(
    h('h1', {}, 'Danh bạ cơ quan'),
    form,
    h('p', { class: 'muted' }, `${r.total} cơ quan`),
    table(
      hs,
      r.items.map((a) =>
        row(hs, [
          h('span', { class: 'mono' }, a.organId),
          a.name,
          TIERS[a.tier] || a.tier,
          a.parent || '—',
          a.endpoint.kind === 'inbox' ? 'Hộp thư (kéo)' : `${a.endpoint.kind}: ${a.endpoint.url || ''}`,
          // a closed code stays in the directory (2025 reorganisation): its date and who took over
          a.closed ? h('span', { class: 'closed' }, `Đã đóng từ ${a.closed.on} → ${a.closed.successors.join(', ') || 'không có cơ quan kế thừa'}`) : LIFECYCLE.active,
        ]),
      ),
    ),
  )
}

async function viewLog(root) {
  const out = h('div', { id: 'verify-out' })
  const btn = h('button', { type: 'button', id: 'verify' }, 'Kiểm tra toàn vẹn chuỗi')
  btn.addEventListener('click', async () => {
    btn.disabled = true
    try {
      const v = await api('GET', '/v1/ops/log/verify')
      out.replaceChildren(
        v.ok
          ? h('p', { class: 'ok' }, `Toàn vẹn: ${v.checked} dòng, dòng cuối ${v.head.seq}`)
          : h(
              'div',
              { class: 'error' },
              h('p', {}, `Phát hiện ${v.problems.length} vấn đề:`),
              h(
                'ul',
                {},
                v.problems.map((p) => h('li', {}, `Dòng ${p.seq}: ${p.detail}`)),
              ),
            ),
      )
    } finally {
      btn.disabled = false
    }
  })
  const r = await api('GET', '/v1/ops/log?after=0&limit=1')
  const recent = await api('GET', `/v1/ops/log?after=${Math.max(0, r.head.seq - 50)}&limit=50`)
  const hs = ['#', 'Loại', 'Văn bản', 'Nơi gửi / người làm', 'Trạng thái / thao tác', 'Thời điểm', 'Hash']
  root.append(
    h('h1', {}, 'Nhật ký chống sửa đổi'),
    h('p', { class: 'muted' }, 'Mỗi dòng mang hash SHA-256 của dòng trước: sửa hay xóa một dòng đều bị phát hiện.'),
    btn,
    out,
    table(
      hs,
      recent.items
        .reverse()
        .map((l) =>
          row(hs, [
            String(l.seq),
            l.kind,
            l.documentUuid ? h('a', { href: `#/doc/${l.documentUuid}` }, l.documentId || l.documentUuid.slice(0, 8)) : '—',
            l.sender ? organ(l.sender) : l.actor || '—',
            l.status || l.action || '—',
            fmtTime(l.at),
            h('span', { class: 'mono small' }, l.hash.slice(0, 16) + '…'),
          ]),
        ),
    ),
  )
}

async function viewAlerts(root) {
  const r = await api('GET', '/v1/ops/alerts')
  root.append(
    h('h1', {}, 'Cảnh báo'),
    h(
      'p',
      { class: 'muted' },
      `Những gì đang sai lúc ${fmtTime(r.at)}, kèm việc cần làm. Cùng các điều kiện có trong quy tắc cảnh báo Prometheus (deploy/prometheus/lgsp-alerts.yml).`,
    ),
    r.items.length
      ? h(
          'div',
          { class: 'alerts' },
          r.items.map((a) =>
            h(
              'article',
              { class: `card alert a-${a.severity}`, 'data-alert': a.id },
              h('h3', {}, h('span', { class: `badge sev-${a.severity}` }, a.severity === 'critical' ? 'Nghiêm trọng' : 'Cảnh báo'), ' ', a.title),
              h('p', {}, a.detail),
              h('p', {}, h('strong', {}, 'Cần làm: '), a.action),
              h('p', {}, h('a', { href: a.link }, 'Xem chi tiết →')),
            ),
          ),
        )
      : h('p', { class: 'ok', id: 'no-alerts' }, 'Không có cảnh báo nào.'),
  )
  const hs = ['Thành phần', 'Tình trạng', 'Lý do']
  root.append(
    h('h2', {}, 'Tình trạng các thành phần'),
    table(
      hs,
      r.health.map((i) =>
        row(hs, [i.label, h('span', { class: `light l-${i.state}` }, h('b', { 'aria-hidden': 'true' }, LIGHTS[i.state].mark), ` ${LIGHTS[i.state].text}`), i.reason], {
          'data-health-row': i.id,
        }),
      ),
    ),
  )
}

// ── router ──────────────────────────────────────────────────────────────────────────────────────────────
const VIEWS = { queues: viewQueues, search: viewSearch, dlq: viewDlq, webhooks: viewWebhooks, vxp: viewVxp, directory: viewDirectory, log: viewLog, alerts: viewAlerts }

async function route() {
  if (!sessionStorage.getItem(KEY)) return logout()
  stopPoll()
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?')
  const [name, arg] = (path || 'queues').split('/')
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('on', a.dataset.view === name || (name === 'doc' && a.dataset.view === 'search'))
  // a fresh element per route: a view still awaiting its data for an earlier route (a search submitted
  // before the unfiltered list arrived) renders into the old one, now detached, and cannot mark this one ready
  const old = $('#view')
  const root = old.cloneNode(false)
  old.replaceWith(root)
  root.dataset.view = name
  // the hash this element was drawn for: a test (or a script) waits on the view of the current hash, not on
  // the previous view that is still ready between a hash change and its event
  root.dataset.route = location.hash
  root.dataset.ready = '0'
  try {
    if (name === 'doc') await viewDoc(root, decodeURIComponent(arg || ''))
    else await (VIEWS[name] || viewQueues)(root, new URLSearchParams(query || ''))
    await fillNames(root)
    root.dataset.ready = '1'
  } catch (e) {
    if (e.message !== 'unauthorised') root.append(h('p', { class: 'error' }, `Lỗi: ${e.message}`))
  }
}

window.addEventListener('hashchange', route)
document.addEventListener('DOMContentLoaded', () => {
  $('#login-form').addEventListener('submit', (ev) => {
    ev.preventDefault()
    login($('#key').value.trim())
  })
  $('#logout').addEventListener('click', () => logout())
  if (sessionStorage.getItem(KEY)) login(sessionStorage.getItem(KEY))
  else logout()
})

// Line charts for the console, drawn as SVG in the page (no library, no network). Each series is a path
// with its own dash pattern and point marker as well as its colour, so the chart reads without colour.
// Times are labelled in the browser's time zone (Asia/Ho_Chi_Minh on a machine set for Vietnam). Every
// path carries its raw values (data-values) so a test can compare what is drawn with the ledger. The
// point markers (#mk-ln-1 … #mk-ln-4) are defined once in index.html.
'use strict'

const SVG_NS = 'http://www.w3.org/2000/svg'
const CHART = { w: 380, h: 170, left: 34, right: 8, top: 14, bottom: 24 }

function svg(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v))
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)))
  return el
}

/** the smallest 1, 2 or 5 × 10^k at or above `v` (at least 1), so the four grid lines fall on round numbers */
function niceMax(v) {
  if (!(v > 0)) return 4
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 4, 5, 10]) if (m * p >= v) return Math.max(4, m * p)
  return 10 * p
}
const fmtNum = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1)).replace('.', ',')
const clock = (t) => new Date(t).toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit', hour12: false })
// ICU may name Vietnam's zone by its old alias Asia/Saigon (an IANA link to Asia/Ho_Chi_Minh)
const ZONE_ALIASES = { 'Asia/Saigon': 'Asia/Ho_Chi_Minh' }
function timeZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'giờ máy'
  const off = -new Date().getTimezoneOffset()
  const utc = `UTC${off < 0 ? '−' : '+'}${Math.floor(Math.abs(off) / 60)}${Math.abs(off) % 60 ? `:${String(Math.abs(off) % 60).padStart(2, '0')}` : ''}`
  return `${ZONE_ALIASES[zone] || zone} (${utc})`
}

/** true where bucket `t` deserves a time label: every 10 minutes on the hour view, every 3 hours on the day view */
function isTick(t, stepSeconds) {
  const d = new Date(t)
  return stepSeconds <= 60 ? d.getMinutes() % 10 === 0 : d.getMinutes() === 0 && d.getHours() % 3 === 0
}

/**
 * opts: { id, title, unit, from (ISO), stepSeconds, series: [{ key, label, values: (number|null)[], style }] }
 * style names a line style in style.css (.ln-1 … .ln-4): colour, dash pattern and marker shape together.
 */
function lineChart(opts) {
  const { w, h: ht, left, right, top, bottom } = CHART
  const n = Math.max(...opts.series.map((s) => s.values.length), 2)
  const from = Date.parse(opts.from)
  const step = opts.stepSeconds * 1000
  const max = niceMax(Math.max(0, ...opts.series.flatMap((s) => s.values.filter((v) => v !== null))))
  const x = (i) => left + (i * (w - left - right)) / (n - 1)
  const y = (v) => top + (ht - top - bottom) * (1 - v / max)
  const grid = [0, 1, 2, 3, 4].map((k) => {
    const v = (max * k) / 4
    return svg('g', { class: 'grid' }, svg('line', { x1: left, x2: w - right, y1: y(v), y2: y(v) }), svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtNum(v)))
  })
  const ticks = []
  for (let i = 0; i < n; i++) {
    const t = from + i * step
    if (isTick(t, opts.stepSeconds))
      ticks.push(
        svg(
          'g',
          { class: 'tick' },
          svg('line', { x1: x(i), x2: x(i), y1: ht - bottom, y2: ht - bottom + 4 }),
          svg('text', { x: x(i), y: ht - bottom + 15, 'text-anchor': 'middle' }, clock(t)),
        ),
      )
  }
  const lines = opts.series.map((s) => {
    let d = ''
    let pen = false
    const marks = []
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false
        return
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)} `
      pen = true
      if (v > 0) marks.push(svg('use', { href: `#mk-${s.style}`, x: x(i).toFixed(1), y: y(v).toFixed(1) }))
    })
    return svg(
      'g',
      { class: `series ${s.style}`, 'data-series': s.key },
      svg('path', { d: d.trim() || 'M0 0', 'data-series': s.key, 'data-values': s.values.map((v) => (v === null ? '' : v)).join(',') }),
      marks,
    )
  })
  const last = (s) => [...s.values].reverse().find((v) => v !== null)
  const summary = opts.series.map((s) => `${s.label}: ${opts.sum ? s.values.reduce((a, v) => a + (v || 0), 0) : fmtNum(last(s) ?? 0)}`).join(', ')
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${w} ${ht}`, class: 'chart', role: 'img', 'aria-label': `${opts.title} (${opts.unit}): ${summary}`, 'data-from': opts.from, 'data-step': opts.stepSeconds },
    svg('title', {}, `${opts.title} — ${summary}`),
    grid,
    svg('line', { class: 'axis', x1: left, x2: w - right, y1: ht - bottom, y2: ht - bottom }),
    ticks,
    lines,
    svg('text', { class: 'unit', x: left, y: top - 2 }, opts.unit),
  )
  const legend = h(
    'ul',
    { class: 'legend' },
    opts.series.map((s) =>
      h(
        'li',
        { class: s.style },
        svg(
          'svg',
          { viewBox: '0 0 30 10', class: 'swatch', 'aria-hidden': 'true' },
          svg('line', { x1: 0, x2: 30, y1: 5, y2: 5 }),
          svg('use', { href: `#mk-${s.style}`, x: 15, y: 5 }),
        ),
        `${s.label}${opts.sum ? ` (${s.values.reduce((a, v) => a + (v || 0), 0)})` : ''}`,
      ),
    ),
  )
  return h(
    'figure',
    { class: 'card chart-card', id: opts.id },
    h('figcaption', {}, h('strong', {}, opts.title), h('span', { class: 'muted small' }, ` ${opts.unit} · giờ ${timeZone()}`)),
    chart,
    legend,
  )
}

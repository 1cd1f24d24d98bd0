/**
 * The console's browser tests: Debian's chromium driven by playwright-core, headless, a fresh profile per
 * run, and the page's script errors collected so a test can assert there were none.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT } from './gateway.ts'

export const CHROMIUM = '/usr/bin/chromium'
/**
 * Where the browser tests put their screenshots: .tap/screenshots, beside tap's own reports, so a test run
 * leaves the tree as it was; with UPDATE_SCREENSHOTS=1 the README's pictures in docs/screenshots.
 */
export const SHOTS = path.join(ROOT, process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.tap/screenshots')
fs.mkdirSync(SHOTS, { recursive: true })
/** the tap `skip` option of a browser test: a reason when chromium is absent */
export const noChromium = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: apt-get install -y chromium`

export async function launchChromium(t: { teardown(fn: () => Promise<void> | void): void }) {
  const { chromium } = await import('playwright-core')
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-chromium-'))
  // launch() gives every run a fresh temporary profile; userDataDir is where chromium keeps its crash files
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--crash-dumps-dir=${userDataDir}`,
    ],
  })
  t.teardown(async () => {
    await browser.close()
    fs.rmSync(userDataDir, { recursive: true, force: true })
  })
  fs.mkdirSync(SHOTS, { recursive: true })
  const errors: string[] = []
  /** a page in Vietnamese and the Asia/Ho_Chi_Minh time zone whose script errors go to `errors` */
  const newPage = async (viewport = { width: 1280, height: 800 }) => {
    const page = await browser.newPage({ viewport, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' })
    page.on('pageerror', (e) => errors.push(e.message))
    // a refused key is an expected 401 in the network log; script errors are not
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text())
    })
    return page
  }
  return { browser, newPage, errors }
}

/**
 * Waits until the console has drawn the view of the page's current hash. Between setting `location.hash` and
 * its `hashchange` event the previous view is still on the page and still ready, so waiting for any ready
 * view can read the old one's rows.
 */
export async function viewReady(page: { waitForFunction(fn: () => boolean, arg?: unknown, opts?: { timeout?: number }): Promise<unknown> }, timeout = 15_000) {
  await page.waitForFunction(
    () => {
      const v = document.querySelector<HTMLElement>('#view')
      return v?.dataset.ready === '1' && v.dataset.route === location.hash
    },
    undefined,
    { timeout },
  )
}

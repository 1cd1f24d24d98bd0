/**
 * SSRF guard for subscriber URLs (STYLE.md §7; OWASP SSRF prevention): http(s) only, no credentials in the
 * URL, and every address the host resolves to must be public — loopback, private, link-local, CGNAT,
 * multicast and other special ranges are refused unless the deployment allows private targets
 * (WEBHOOK_ALLOW_PRIVATE, for tests and the one-machine demo). Cloud metadata endpoints are refused always.
 * The sender connects to the address checked here (a pinned lookup), so a DNS answer that changes between
 * check and connect (rebinding) cannot redirect the request.
 */
import dns from 'node:dns/promises'
import net from 'node:net'
import { GatewayError } from '../errors.ts'

const PRIVATE = new net.BlockList()
for (const [a, p] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(a, p, 'ipv4')
for (const [a, p] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) PRIVATE.addSubnet(a, p, 'ipv6')

const METADATA = new net.BlockList()
METADATA.addAddress('169.254.169.254', 'ipv4') // AWS, GCP, Azure, OpenStack
METADATA.addAddress('169.254.170.2', 'ipv4') // ECS task metadata
METADATA.addAddress('fd00:ec2::254', 'ipv6') // AWS IMDS over IPv6

export interface Target { url: URL; address: string; family: 4 | 6 }

/** Why `ip` may not be a webhook target, or null when it may. IPv4-mapped IPv6 is judged as IPv4. */
export function refusedAddress(ip: string, allowPrivate: boolean): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  const addr = mapped ? mapped[1]! : ip
  const type = net.isIPv4(addr) ? 'ipv4' : 'ipv6'
  if (METADATA.check(addr, type)) return `${ip} is a cloud metadata address`
  if (!allowPrivate && PRIVATE.check(addr, type)) return `${ip} is a loopback, private, link-local or reserved address`
  return null
}

/** Parses and checks `raw`; resolves the host; throws WEBHOOK_URL_REFUSED. Returns the address to connect to. */
export async function checkTarget(raw: string, allowPrivate: boolean): Promise<Target> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new GatewayError('WEBHOOK_URL_REFUSED', `not a URL: ${raw}`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new GatewayError('WEBHOOK_URL_REFUSED', `scheme ${url.protocol} is not allowed; use https: (or http:)`)
  if (url.username || url.password) throw new GatewayError('WEBHOOK_URL_REFUSED', 'credentials in the URL are not allowed; verify deliveries by their signature')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addrs: { address: string; family: number }[]
  if (net.isIP(host)) addrs = [{ address: host, family: net.isIP(host) }]
  else {
    try {
      addrs = await dns.lookup(host, { all: true, verbatim: true })
    } catch (e) {
      throw new GatewayError('WEBHOOK_URL_REFUSED', `cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  }
  // every answer must pass: otherwise the resolver's order would decide whether a private address is used
  for (const a of addrs) {
    const why = refusedAddress(a.address, allowPrivate)
    if (why) throw new GatewayError('WEBHOOK_URL_REFUSED', `${host}: ${why}`)
  }
  const first = addrs[0]
  if (!first) throw new GatewayError('WEBHOOK_URL_REFUSED', `${host} has no address`)
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 }
}

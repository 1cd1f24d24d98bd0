/**
 * The one SSRF guard for every outbound request (webhooks, push, SOAP push, upstream, status return;
 * STYLE.md §7; OWASP SSRF prevention): http(s) only, no credentials in the URL, and every address the host
 * resolves to must be public — loopback, private, link-local, CGNAT, multicast and other special ranges
 * (RFC 6890 special-purpose registries) are refused unless the caller allows private targets for this
 * endpoint. Cloud metadata endpoints are refused always. IPv6 forms that carry an IPv4 address
 * (IPv4-mapped and -compatible, RFC 4291 §2.5.5; 6to4, RFC 3056; NAT64, RFC 6052) are judged by that IPv4
 * address as well (6to4 is refused whole, RFC 7526 deprecates it); Teredo (RFC 4380) and site-local (RFC 3879) are refused. The sender connects to the
 * address checked here (a pinned lookup), so a DNS answer that changes between check and connect
 * (rebinding) cannot redirect the request.
 */
import dns from 'node:dns/promises'
import net from 'node:net'
import { GatewayError } from '../errors.ts'

const PRIVATE = new net.BlockList()
for (const [a, p] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(a, p, 'ipv4')
for (const [a, p] of [
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible form ::a.b.c.d; 64:ff9b::/96 is NAT64 (also judged
  // by its IPv4 below); 2001::/23 the IETF protocol block with Teredo 2001::/32; 2002::/16 6to4 (deprecated,
  // RFC 7526); fec0::/10 deprecated site-local. IPv4-mapped ::ffff:0:0/96 is not listed: BlockList already
  // matches those against the IPv4 rules, and listing it would match every IPv4 address
  ['::', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(a, p, 'ipv6')

const METADATA = new net.BlockList()
METADATA.addAddress('169.254.169.254', 'ipv4') // AWS, GCP, Azure, OpenStack
METADATA.addAddress('169.254.170.2', 'ipv4') // ECS task metadata
METADATA.addAddress('fd00:ec2::254', 'ipv6') // AWS IMDS over IPv6

export interface Target {
  url: URL
  address: string
  family: 4 | 6
}

/** Why `ip` may not be a target, or null when it may. An IPv4 address embedded in IPv6 is judged as IPv4 too. */
export function refusedAddress(ip: string, allowPrivate: boolean): string | null {
  for (const [addr, type] of [...embeddedIpv4(ip).map((v4): [string, 'ipv4'] => [v4, 'ipv4']), [ip, net.isIPv4(ip) ? 'ipv4' : 'ipv6'] as [string, 'ipv4' | 'ipv6']]) {
    if (METADATA.check(addr, type)) return `${ip} is a cloud metadata address`
    if (!allowPrivate && PRIVATE.check(addr, type)) return `${ip} is a loopback, private, link-local or reserved address`
  }
  return null
}

/** The 16 bytes of an IPv6 address (with or without a dotted-quad tail), or null. */
function ipv6Bytes(ip: string): number[] | null {
  if (!net.isIPv6(ip)) return null
  let s = ip.toLowerCase().split('%')[0]!
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (quad) {
    const b = quad[1]!.split('.').map(Number)
    s = s.slice(0, -quad[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  if (groups.length !== 8) return null
  return groups.flatMap((g) => {
    const n = parseInt(g || '0', 16)
    return [n >> 8, n & 0xff]
  })
}

/** IPv4 addresses an IPv6 address carries: ::a.b.c.d, ::ffff:a.b.c.d, 64:ff9b::a.b.c.d (last 32 bits), 2002:AABB:CCDD:: (6to4). */
function embeddedIpv4(ip: string): string[] {
  const b = ipv6Bytes(ip)
  if (!b) return []
  const v4 = (o: number) => b.slice(o, o + 4).join('.')
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0)
  const out: string[] = []
  if (zero(0, 10) && ((b[10] === 0 && b[11] === 0) || (b[10] === 0xff && b[11] === 0xff))) out.push(v4(12))
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) out.push(v4(12))
  if (b[0] === 0x20 && b[1] === 0x02) out.push(v4(2))
  return out
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

// The one SSRF guard: IPv6 forms that carry a loopback/private IPv4 address, deprecated ranges, Teredo and
// 6to4 are refused unless private targets are allowed; metadata addresses always; public addresses pass.
import t from 'tap'
import { checkTarget } from '../../src/net/ssrf.ts'

const verdict = (u: string, allowPrivate: boolean) =>
  checkTarget(u, allowPrivate).then(
    () => 'allowed',
    (e: { code?: string }) => e.code ?? 'error',
  )

t.test('IPv6 forms of private and loopback addresses are refused', async (t) => {
  for (const u of [
    'http://[::127.0.0.1]/', // IPv4-compatible loopback
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:10.0.0.1]/', // IPv4-mapped
    'http://[2002:7f00:1::]/',
    'http://[2002:0a00:0001::1]/', // 6to4 around 127.0.0.1 and 10.0.0.1
    'http://[fec0::1]/', // site-local (deprecated)
    'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
    'http://[2001:0000:4136:e378::1]/', // Teredo
    'http://[64:ff9b::7f00:1]/', // NAT64 of 127.0.0.1
    'http://[::1]/',
    'http://[fd12:3456::1]/',
    'http://[fe80::1]/',
  ])
    t.equal(await verdict(u, false), 'WEBHOOK_URL_REFUSED', `${u} refused`)
})

t.test('metadata always refused, in every spelling; public addresses allowed', async (t) => {
  for (const u of ['http://169.254.169.254/', 'http://[::ffff:169.254.169.254]/', 'http://[::ffff:a9fe:a9fe]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[fd00:ec2::254]/']) {
    t.equal(await verdict(u, true), 'WEBHOOK_URL_REFUSED', `${u} refused even with private targets allowed`)
  }
  for (const u of ['http://8.8.8.8/', 'http://[2001:4860:4860::8888]/', 'http://[2606:4700::1111]/', 'https://203.0.114.1/']) {
    t.equal(await verdict(u, false), 'allowed', `${u} allowed`)
  }
  t.equal(await verdict('http://[::ffff:127.0.0.1]/', true), 'allowed', 'loopback allowed where configured')
})

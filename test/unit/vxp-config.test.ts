// PEERS entries for a national axis speaking VXP (docs/vxp.md): protocol vxp needs systemId and secret, not a
// link key; the VXP settings have safe defaults and refuse what they cannot use.
import t from 'tap'
import { loadConfig } from '../../src/config/config.ts'

t.test('a VXP peer: systemId and secret instead of a key', async (t) => {
  const c = loadConfig({ PEERS: JSON.stringify([{ url: 'http://axis/vxp/', protocol: 'vxp', systemId: 'lgsp.h41', secret: 's3cr3t', jurisdiction: ['*.G*'] }]) })
  t.match(c.peers[0], { url: 'http://axis/vxp', protocol: 'vxp', systemId: 'lgsp.h41', secret: 's3cr3t', key: '' })
  const lgsp = loadConfig({ PEERS: JSON.stringify([{ url: 'http://peer', key: 'k'.repeat(16), jurisdiction: '*.H41' }]) })
  t.equal(lgsp.peers[0]!.protocol, undefined, 'without protocol: the federation API, as before')
  for (const [bad, why] of [
    [{ url: 'http://axis/vxp', protocol: 'vxp', jurisdiction: [] }, /needs systemId and secret/],
    [{ url: 'http://axis/vxp', protocol: 'vxp', systemId: 'x', jurisdiction: [] }, /needs systemId and secret/],
    [{ url: 'http://axis/vxp', protocol: 'soap', key: 'k'.repeat(16), jurisdiction: [] }, /protocol must be lgsp or vxp/],
    [{ url: 'http://peer', jurisdiction: [] }, /key must be/],
  ] as const)
    t.throws(() => loadConfig({ PEERS: JSON.stringify([bad]) }), why)
})

t.test('VXP settings: defaults and refusals', async (t) => {
  const c = loadConfig({})
  t.equal(c.vxpClockSkewMs, 300_000, 'a ±5 min freshness window')
  t.equal(c.vxpTimestampOffset, '+07:00', 'clients write Vietnam local time')
  t.equal(c.vxpSecretKey, '', 'a key generated into DATA_DIR unless given')
  t.equal(c.vxpPollMs, 5000)
  const err = t.throws(() => loadConfig({ VXP_TIMESTAMP_OFFSET: 'UTC+7', VXP_CLOCK_SKEW_MS: '10' })) as Error
  t.match(err.message, /VXP_TIMESTAMP_OFFSET/)
  t.match(err.message, /VXP_CLOCK_SKEW_MS/)
})

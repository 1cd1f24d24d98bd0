/**
 * Gauges the Prometheus alerting rules (deploy/prometheus/lgsp-alerts.yml) need beside the ones in
 * metrics.ts: whether Kafka answers and how many brokers it lists (from the bus probe), how many it should
 * have, and when the trust store's certificates expire and its CRLs are due. Read at scrape time through
 * prom-client's collect(), so they cost nothing between scrapes.
 */
import { Gauge } from 'prom-client'
import type { Runtime } from '../runtime.ts'

export function registerDependencyGauges(rt: Runtime): void {
  const registers = [rt.metrics.registry]
  if (rt.metrics.registry.getSingleMetric('lgsp_kafka_up')) return // a second app on the same runtime
  new Gauge({
    name: 'lgsp_kafka_up',
    help: 'Kafka answers the bus probe (1) or not (0)',
    registers,
    collect() {
      this.set(rt.bus.health().up ? 1 : 0)
    },
  })
  new Gauge({
    name: 'lgsp_kafka_brokers',
    help: 'Brokers in the cluster metadata at the last probe answer (0 while Kafka does not answer)',
    registers,
    collect() {
      const h = rt.bus.health()
      this.set(h.up ? (h.brokers ?? 0) : 0)
    },
  })
  new Gauge({
    name: 'lgsp_kafka_brokers_expected',
    help: 'Brokers this deployment expects (the replication factor of its topics: KAFKA_REPLICATION, or auto)',
    registers,
    collect() {
      this.set(rt.bus.replicationFactor())
    },
  })
  new Gauge({
    name: 'lgsp_trust_certificate_expiry_timestamp_seconds',
    help: 'Earliest notAfter (Unix seconds) of the trust store certificates, by kind (root | intermediate | agency)',
    labelNames: ['kind'],
    registers,
    collect() {
      const t = rt.signing.trust
      this.reset()
      for (const [kind, m] of [
        ['root', t.roots],
        ['intermediate', t.intermediates],
        ['agency', t.agencies],
      ] as const) {
        let first = Infinity
        for (const e of m.values()) first = Math.min(first, e.info.notAfter.getTime())
        if (first !== Infinity) this.set({ kind }, Math.floor(first / 1000))
      }
    },
  })
  new Gauge({
    name: 'lgsp_trust_crl_next_update_timestamp_seconds',
    help: 'nextUpdate (Unix seconds) of each CRL in the trust store, by issuer',
    labelNames: ['issuer'],
    registers,
    collect() {
      this.reset()
      for (const c of rt.signing.trust.crlStatus()) if (c.nextUpdate) this.set({ issuer: c.issuer }, Math.floor(Date.parse(c.nextUpdate) / 1000))
    },
  })
}

/**
 * Tracing: W3C trace context from the HTTP request that brought a document, through its Kafka
 * records (headers `traceparent` / `tracestate`), the router, the delivery workers and retries, and across
 * the federation hop (the upstream adapter sends `traceparent` to the peer gateway, whose accept span
 * continues the same trace).
 *
 * One tracer provider per runtime, never the global one: several gateways can share a process (tests,
 * federation), and each exports its own spans. Only the *context* is process-wide (the OpenTelemetry
 * AsyncLocalStorage context manager, registered once by the first runtime that traces): it is what lets
 * `bus.send` deep inside pipeline code pick up the span it runs under without every caller passing it.
 *
 * Disabled (no OTEL_EXPORTER_OTLP_ENDPOINT, no exporter handed in): no SDK is loaded, no context manager is
 * registered, `span()` just calls its function, and `traceHeaders()` finds no span and writes nothing.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { Logger } from 'pino'

export { SpanKind, type Span, type Context }

/** Headers as they come: HTTP (string | string[]) or Kafka (Buffer | string | array of them). */
export type Carrier = Record<string, string | Buffer | (string | Buffer)[] | undefined>

export interface SpanOptions {
  kind?: SpanKind
  attributes?: Attributes
  /** the parent; default the active context */
  parent?: Context
}

export interface Tracing {
  readonly enabled: boolean
  /** Runs `fn` in a new span (the active one while `fn` runs); an error thrown marks the span and is rethrown. */
  span<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T>
  /** A span for one HTTP request or Kafka record whose parent is the context its headers carry (a new trace if none). */
  startRemoteChild(name: string, carrier: Carrier | undefined, opts?: Omit<SpanOptions, 'parent'>): { span: Span; ctx: Context }
  /** Export what is pending and stop (runtime close). */
  shutdown(): Promise<void>
}

// the W3C propagator is stateless: one for the process, independent of any global registration
const w3c = new W3CTraceContextPropagator()

const getter: TextMapGetter<Carrier> = {
  keys: (c) => Object.keys(c),
  get(c, key) {
    const v = c[key] ?? c[key.toLowerCase()]
    const first = Array.isArray(v) ? v[0] : v
    return first === undefined ? undefined : first.toString()
  },
}

/** The context carried by HTTP or Kafka headers, on an empty base: an ambient context never leaks in. */
export function extractContext(carrier: Carrier | undefined): Context {
  return carrier ? w3c.extract(ROOT_CONTEXT, carrier, getter) : ROOT_CONTEXT
}

/**
 * `traceparent` (and `tracestate`) of `ctx` (default: the active context), or undefined when it holds no
 * span — always the case while tracing is disabled, so producers add nothing then.
 */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> | undefined {
  if (!trace.getSpan(ctx)) return undefined
  const out: Record<string, string> = {}
  w3c.inject(ctx, out, {
    set: (c, k, v) => {
      c[k] = v
    },
  })
  return out.traceparent ? out : undefined
}

/** Marks a span failed with the error's message (kept short: exception events carry the stack). */
export function markError(span: Span, e: unknown) {
  const err = e instanceof Error ? e : new Error(String(e))
  span.recordException(err)
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message.slice(0, 300) })
}

const NON_RECORDING = trace.wrapSpanContext({ traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: 0 })

export const NOOP_TRACING: Tracing = {
  enabled: false,
  span: (_name, _opts, fn) => fn(NON_RECORDING),
  startRemoteChild: () => ({ span: NON_RECORDING, ctx: ROOT_CONTEXT }),
  shutdown: async () => {},
}

export interface TracingOptions {
  /** OTLP/HTTP collector base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to <endpoint>/v1/traces */
  otlpEndpoint: string
  /** an exporter handed in by code (tests: InMemorySpanExporter); wins over the endpoint */
  exporter?: SpanExporter
  serviceInstance: string
  log: Logger
}

export async function createTracing(opts: TracingOptions): Promise<Tracing> {
  if (!opts.exporter && !opts.otlpEndpoint) return NOOP_TRACING
  // loaded only when tracing is on: a gateway that does not trace does not pay for the SDK
  const [{ BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ])
  await ensureContextManager()
  let processor
  if (opts.exporter) {
    // exported as each span ends, so a test sees a span as soon as the work it measures is done
    processor = new SimpleSpanProcessor(opts.exporter)
  } else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http')
    const base = opts.otlpEndpoint.replace(/\/+$/, '')
    const url = base.endsWith('/v1/traces') ? base : `${base}/v1/traces`
    processor = new BatchSpanProcessor(new OTLPTraceExporter({ url }))
    opts.log.info({ url }, 'tracing: exporting spans over OTLP/HTTP')
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'lien-thong-gateway', 'service.instance.id': opts.serviceInstance }),
    spanProcessors: [processor],
  })
  const tracer: Tracer = provider.getTracer('lien-thong-gateway')

  return {
    enabled: true,
    async span(name, o, fn) {
      const parent = o.parent ?? context.active()
      const span = tracer.startSpan(name, { kind: o.kind ?? SpanKind.INTERNAL, attributes: o.attributes }, parent)
      try {
        return await context.with(trace.setSpan(parent, span), () => fn(span))
      } catch (e) {
        markError(span, e)
        throw e
      } finally {
        span.end()
      }
    },
    startRemoteChild(name, carrier, o = {}) {
      const parent = extractContext(carrier)
      const span = tracer.startSpan(name, { kind: o.kind ?? SpanKind.SERVER, attributes: o.attributes }, parent)
      return { span, ctx: trace.setSpan(parent, span) }
    },
    async shutdown() {
      // an exporter handed in belongs to the caller (tests share one across gateways): flushed, not shut down
      await (opts.exporter ? provider.forceFlush() : provider.shutdown()).catch((err) => opts.log.warn({ err }, 'tracing: could not flush spans'))
    },
  }
}

let contextManager: Promise<void> | undefined
/** The process-wide AsyncLocalStorage context manager, registered once (or whichever one is already there). */
function ensureContextManager(): Promise<void> {
  return (contextManager ??= import('@opentelemetry/context-async-hooks').then(({ AsyncLocalStorageContextManager }) => {
    const cm = new AsyncLocalStorageContextManager().enable()
    if (!context.setGlobalContextManager(cm)) cm.disable() // another one was registered first: it does the same job
  }))
}

/** Consumer-side helper: one span per Kafka record, child of the context in the record's headers. */
export function consumeSpan<T>(tracing: Tracing, name: string, headers: Carrier | undefined, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  if (!tracing.enabled) return fn(NON_RECORDING)
  return tracing.span(name, { kind: SpanKind.CONSUMER, attributes, parent: extractContext(headers) }, fn)
}

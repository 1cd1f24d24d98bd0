// The package ships no types; it exports one function from the Prometheus text format to metric families.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[]
}

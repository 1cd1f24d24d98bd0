/**
 * The one place a value is given a type the compiler cannot see it has. Each use is a bridge between two
 * descriptions of the same thing: @xmldom's DOM and the DOM lib's types (the same W3C interfaces), a model
 * read by a reader that follows the national XSD field by field (src/schemas/model.ts) after the XSD has
 * validated the document, a configuration built key by key from its specification table, a CommonJS
 * default export. Values from outside (Kafka records, JSON bodies) are decoded instead (src/bus/records.ts,
 * the JSON Schema in src/schemas/json.ts).
 */
export function retype<T>(value: unknown): T {
  return value as T
}

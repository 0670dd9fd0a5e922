/**
 * Decoded request bodies remembered by their text. In a flash sale thousands of buyers send the same few bodies
 * (one event, one ticket type, 1–4 tickets), and each `JSON.parse` plus Schema decode costs more than looking the
 * text up. Only bodies that decode are kept, up to `maxLength` characters and `capacity` of them (when full it
 * starts over); the values are frozen, since every request with that text shares one.
 */
export const rememberDecodedBodies = <A>(
  decode: (text: string) => A | undefined,
  options: { readonly capacity: number; readonly maxLength: number }
): ((text: string) => A | undefined) => {
  const known = new Map<string, A>()
  return (text) => {
    const hit = known.get(text)
    if (hit !== undefined) return hit
    const decoded = decode(text)
    if (decoded === undefined || text.length > options.maxLength) return decoded
    if (known.size >= options.capacity) known.clear()
    known.set(text, deepFreeze(decoded))
    return decoded
  }
}

const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}

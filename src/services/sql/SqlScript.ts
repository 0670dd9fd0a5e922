/**
 * Splits a SQL script into its statements. `@effect/sql-pg` 4 speaks only the extended query protocol, where one
 * query is one statement, so a migration file is run statement by statement (in the migrator's transaction).
 *
 * Semicolons inside string literals ('…', E'…'), quoted identifiers ("…"), dollar-quoted bodies ($$…$$,
 * $tag$…$tag$) and comments (-- …, nested /* … *\/) do not split; statements that hold only comments and blanks
 * are dropped. SQL-standard function bodies (`BEGIN ATOMIC … END`) are not supported: write them dollar-quoted.
 */
export const splitStatements = (script: string): ReadonlyArray<string> => {
  const statements: Array<string> = []
  let start = 0
  let meaningful = false
  let i = 0
  const n = script.length
  const push = (end: number) => {
    if (meaningful) statements.push(script.slice(start, end).trim())
    start = end + 1
    meaningful = false
  }
  while (i < n) {
    const c = script[i] as string
    const next = script[i + 1]
    if (c === "-" && next === "-") {
      const eol = script.indexOf("\n", i)
      i = eol === -1 ? n : eol + 1
      continue
    }
    if (c === "/" && next === "*") {
      let depth = 1
      i += 2
      while (i < n && depth > 0) {
        if (script[i] === "/" && script[i + 1] === "*") {
          depth++
          i += 2
        } else if (script[i] === "*" && script[i + 1] === "/") {
          depth--
          i += 2
        } else i++
      }
      continue
    }
    if (c === ";") {
      push(i)
      i++
      continue
    }
    if (!/\s/.test(c)) meaningful = true
    if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(script[i - 1] as string) && !isIdentChar(script[i - 2])
      i = endOfQuoted(script, i + 1, "'", escapes)
      continue
    }
    if (c === '"') {
      i = endOfQuoted(script, i + 1, '"', false)
      continue
    }
    if (c === "$" && !isIdentChar(script[i - 1])) {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(script.slice(i, i + 64))
      if (tag !== null) {
        const close = script.indexOf(tag[0], i + tag[0].length)
        i = close === -1 ? n : close + tag[0].length
        continue
      }
    }
    i++
  }
  push(n)
  return statements
}

const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[\w$\u0080-\uffff]/.test(c)

/** The index just past the closing quote (a doubled quote is an escaped one). */
const endOfQuoted = (script: string, from: number, quote: string, backslashEscapes: boolean): number => {
  let i = from
  while (i < script.length) {
    const c = script[i]
    if (backslashEscapes && c === "\\") {
      i += 2
      continue
    }
    if (c === quote) {
      if (script[i + 1] === quote) {
        i += 2
        continue
      }
      return i + 1
    }
    i++
  }
  return i
}

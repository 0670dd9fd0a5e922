import { readdirSync, readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { MIGRATIONS_DIR } from "./Migrations.ts"
import { splitStatements } from "./SqlScript.ts"

describe("splitStatements", () => {
  it("splits on top-level semicolons and drops empty and comment-only statements", () => {
    expect(splitStatements("SELECT 1; ;\n-- only a comment;\nSELECT 2;\n/* a; b */")).toEqual([
      "SELECT 1",
      "-- only a comment;\nSELECT 2"
    ])
  })

  it("keeps semicolons inside strings, quoted identifiers, comments and dollar-quoted bodies", () => {
    const script = [
      "INSERT INTO t VALUES ('a;b', 'it''s;', E'\\';x')",
      'SELECT 1 AS "odd;name"',
      "SELECT 2 /* one; /* nested; */ still; */ + 1",
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$",
      "CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT '$$;' $body$",
      "SELECT $1::int, a$b FROM x"
    ]
    expect(splitStatements(`${script.join(";\n")};`)).toEqual(script)
  })

  it("splits every migration into non-empty statements", () => {
    for (const file of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql"))) {
      const statements = splitStatements(readFileSync(`${MIGRATIONS_DIR}/${file}`, "utf8"))
      expect(statements.length, file).toBeGreaterThan(0)
      for (const statement of statements) expect(statement, file).not.toMatch(/^\s*$/)
    }
  })
})

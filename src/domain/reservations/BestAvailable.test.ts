import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import { type ChooseOptions, chooseSeats, type SeatCandidate } from "./BestAvailable.ts"

// ---------------------------------------------------------------------------------------------------------------
// Venues: sections × rows × seats, `true` where the seat is available. Positions are 0-based, as the catalog
// writes them, and rowSize counts every seat of the row, taken ones included.
// ---------------------------------------------------------------------------------------------------------------

type Venue = ReadonlyArray<ReadonlyArray<ReadonlyArray<boolean>>>

const seatId = (section: number, row: number, position: number) => `s${section}-r${row}-p${position}`

const candidatesOf = (venue: Venue): Array<SeatCandidate> =>
  venue.flatMap((rows, sectionPosition) =>
    rows.flatMap((seats, rowPosition) =>
      seats.flatMap((available, position) =>
        available
          ? [
              {
                id: seatId(sectionPosition, rowPosition, position),
                sectionPosition,
                rowPosition,
                position,
                rowSize: seats.length
              }
            ]
          : []
      )
    )
  )

/** A venue from a picture: one string per row, one list of rows per section; "." is available, "x" taken. */
const venueOf = (...sections: ReadonlyArray<ReadonlyArray<string>>): Venue =>
  sections.map((rows) => rows.map((row) => [...row].map((c) => c === ".")))

const ids = (result: Option.Option<ReadonlyArray<string>>): ReadonlyArray<string> =>
  Option.getOrThrowWith(result, () => new Error("expected seats, got none"))

const byId = (candidates: ReadonlyArray<SeatCandidate>) => new Map(candidates.map((c) => [c.id, c]))

/** The longest run of consecutive available seats in each row, in venue order (section, then row). */
const rowRuns = (venue: Venue) =>
  venue.flatMap((rows, section) =>
    rows.map((seats, row) => {
      let longest = 0
      let current = 0
      for (const available of seats) {
        current = available ? current + 1 : 0
        longest = Math.max(longest, current)
      }
      return { section, row, longest }
    })
  )

/**
 * Every block of `quantity` adjacent available seats in one row, scored as the spec says: does it leave exactly one
 * available seat on a side of it, and how far is its middle from the centre of the row.
 */
const blocksOfRow = (seats: ReadonlyArray<boolean>, quantity: number) => {
  const blocks: Array<{ start: number; strandsOne: boolean; distance: number }> = []
  let runStart = 0
  for (let i = 0; i <= seats.length; i++) {
    if (i < seats.length && seats[i]) continue
    // [runStart, i) is a run of available seats (possibly empty).
    for (let start = runStart; start + quantity <= i; start++) {
      const left = start - runStart
      const right = i - (start + quantity)
      const middle = start + (quantity - 1) / 2
      blocks.push({
        start,
        strandsOne: left === 1 || right === 1,
        distance: Math.abs(middle - (seats.length - 1) / 2)
      })
    }
    runStart = i + 1
  }
  return blocks
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------------------------

/** Up to 3 sections of up to 4 rows of up to 12 seats; each venue has its own share of taken seats. */
const venueArb: fc.Arbitrary<Venue> = fc.integer({ min: 0, max: 90 }).chain((takenPercent) =>
  fc.array(
    fc.array(
      fc.array(
        fc.integer({ min: 0, max: 99 }).map((n) => n >= takenPercent),
        { minLength: 1, maxLength: 12 }
      ),
      {
        minLength: 1,
        maxLength: 4
      }
    ),
    { minLength: 1, maxLength: 3 }
  )
)

const optionsArb: fc.Arbitrary<ChooseOptions> = fc
  .record({
    allowSeparated: fc.boolean(),
    salt: fc.integer(),
    spread: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined })
  })
  .map(({ allowSeparated, salt, spread }) =>
    spread === undefined ? { allowSeparated, salt } : { allowSeparated, salt, spread }
  )

const quantityArb = fc.integer({ min: 1, max: 8 })

/** A venue, its candidates in venue order and the same candidates shuffled. */
const scenarioArb = fc.record({ venue: venueArb, quantity: quantityArb, options: optionsArb }).chain((s) => {
  const candidates = candidatesOf(s.venue)
  return fc
    .shuffledSubarray(candidates, { minLength: candidates.length, maxLength: candidates.length })
    .map((shuffled) => ({ ...s, candidates, shuffled }))
})

const RUNS = { numRuns: 1000 }

// ---------------------------------------------------------------------------------------------------------------

describe("chooseSeats", () => {
  describe("examples", () => {
    it("picks the two centre seats of an empty row of ten", () => {
      const candidates = candidatesOf(venueOf([".........."]))
      expect(ids(chooseSeats(candidates, 2, { allowSeparated: false, salt: 0, spread: 1 }))).toEqual([
        seatId(0, 0, 4),
        seatId(0, 0, 5)
      ])
    })

    it("picks the centre seat of an empty row of nine, and the centre block of three", () => {
      const candidates = candidatesOf(venueOf(["........."]))
      expect(ids(chooseSeats(candidates, 1, { allowSeparated: false, salt: 0, spread: 1 }))).toEqual([seatId(0, 0, 4)])
      expect(ids(chooseSeats(candidates, 3, { allowSeparated: false, salt: 0, spread: 1 }))).toEqual([
        seatId(0, 0, 3),
        seatId(0, 0, 4),
        seatId(0, 0, 5)
      ])
    })

    it("prefers the front row, even off-centre, to a better-centred row behind it", () => {
      const candidates = candidatesOf(venueOf(["..xxxxxxxx", ".........."]))
      expect(ids(chooseSeats(candidates, 2, { allowSeparated: false, salt: 0, spread: 1 }))).toEqual([
        seatId(0, 0, 0),
        seatId(0, 0, 1)
      ])
    })

    it("prefers the front section to any row of a section behind it", () => {
      const candidates = candidatesOf(venueOf(["xxxxxxxx", "..xxxxxx"], ["........"]))
      expect(ids(chooseSeats(candidates, 2, { allowSeparated: false, salt: 0, spread: 1 }))).toEqual([
        seatId(0, 1, 0),
        seatId(0, 1, 1)
      ])
    })

    it("skips a front row whose runs are too short for the block", () => {
      const candidates = candidatesOf(venueOf([".x.x.x.x.x", "xxx...xxxx"]))
      expect(ids(chooseSeats(candidates, 3, { allowSeparated: false, salt: 0, spread: 1 }))).toEqual([
        seatId(0, 1, 3),
        seatId(0, 1, 4),
        seatId(0, 1, 5)
      ])
    })

    it("avoids leaving a lone seat when a block in the same row does not, even one further from the centre", () => {
      // Row of 10, centre 4.5; seats 3..7 available. Blocks of 2 score [strandsOne, centreDistance]:
      // 3-4 [0, 1]; 4-5 [1, 0] (strands 3); 5-6 [1, 1] (strands 7); 6-7 [0, 2]. Best is 3-4, not the centre.
      const candidates = candidatesOf(venueOf(["xxx.....xx"]))
      expect(ids(chooseSeats(candidates, 2, { allowSeparated: false, salt: 0, spread: 1 }))).toEqual([
        seatId(0, 0, 3),
        seatId(0, 0, 4)
      ])
    })

    it("still takes a block that strands a seat in a front row over a clean block further back", () => {
      const candidates = candidatesOf(venueOf(["xxx...xxxx", ".........."]))
      // Both blocks of 2 in row 0 leave one seat alone; row 0 still comes first.
      expect(
        ids(chooseSeats(candidates, 2, { allowSeparated: false, salt: 0, spread: 1 })).every((id) =>
          id.includes("-r0-")
        )
      ).toBe(true)
    })

    it("spreads buyers over the best blocks that share no seat, by salt, in score order", () => {
      // Blocks of 2 in an empty row of 10, best first: 4-5 (distance 0), 3-4 and 5-6 (distance 1, but each shares
      // a seat with 4-5), 2-3 and 6-7 (distance 2), ...
      const candidates = candidatesOf(venueOf([".........."]))
      const pick = (salt: number, spread?: number) =>
        ids(
          chooseSeats(
            candidates,
            2,
            spread === undefined ? { allowSeparated: false, salt } : { allowSeparated: false, salt, spread }
          )
        )
      expect(pick(0, 3)).toEqual([seatId(0, 0, 4), seatId(0, 0, 5)])
      expect(pick(1, 3)).toEqual([seatId(0, 0, 2), seatId(0, 0, 3)])
      expect(pick(2, 3)).toEqual([seatId(0, 0, 6), seatId(0, 0, 7)])
      expect(pick(3, 3)).toEqual(pick(0, 3))
      expect(pick(-1, 3)).toEqual(pick(1, 3))
      // Spread 1 ignores the salt.
      for (const salt of [0, 1, 7, 12345, -9]) expect(pick(salt, 1)).toEqual(pick(0, 1))
      // The spread is capped at the number of blocks: one block, any salt.
      const pair = candidatesOf(venueOf(["xxxx..xxxx"]))
      expect(ids(chooseSeats(pair, 2, { allowSeparated: false, salt: 5, spread: 8 }))).toEqual([
        seatId(0, 0, 4),
        seatId(0, 0, 5)
      ])
    })

    it("returns none without a block of adjacent seats unless separated seats are allowed", () => {
      const candidates = candidatesOf(venueOf([".x.x.x.x.x", "x.x.x.x.x."]))
      expect(chooseSeats(candidates, 2, { allowSeparated: false, salt: 0 })).toEqual(Option.none())
      // Separated: the best single seats, front row first, then nearest the centre (4.5): 4, 6, 2.
      expect(ids(chooseSeats(candidates, 3, { allowSeparated: true, salt: 0 }))).toEqual([
        seatId(0, 0, 4),
        seatId(0, 0, 6),
        seatId(0, 0, 2)
      ])
    })

    it("keeps seats together when it can, even if separated seats are allowed", () => {
      const candidates = candidatesOf(venueOf([".x.x.x.x.x", "x..xxxxxxx"]))
      expect(ids(chooseSeats(candidates, 2, { allowSeparated: true, salt: 0, spread: 1 }))).toEqual([
        seatId(0, 1, 1),
        seatId(0, 1, 2)
      ])
    })

    it("returns none for fewer candidates than the quantity, or a quantity below 1", () => {
      const candidates = candidatesOf(venueOf(["xx...xx"]))
      expect(chooseSeats(candidates, 4, { allowSeparated: true, salt: 0 })).toEqual(Option.none())
      expect(chooseSeats(candidates, 0, { allowSeparated: true, salt: 0 })).toEqual(Option.none())
      expect(chooseSeats([], 1, { allowSeparated: true, salt: 0 })).toEqual(Option.none())
    })
  })

  describe("properties", () => {
    it("never picks a seat twice, only candidates, exactly `quantity` seats or none", () => {
      fc.assert(
        fc.property(scenarioArb, ({ candidates, quantity, options }) => {
          const result = chooseSeats(candidates, quantity, options)
          if (Option.isNone(result)) return
          const chosen = result.value
          expect(chosen).toHaveLength(quantity)
          expect(new Set(chosen).size).toBe(chosen.length)
          const known = byId(candidates)
          for (const id of chosen) expect(known.has(id)).toBe(true)
        }),
        RUNS
      )
    })

    it("without separated seats: one row, consecutive positions, or none iff no row has such a run", () => {
      fc.assert(
        fc.property(scenarioArb, ({ venue, candidates, quantity, options }) => {
          const result = chooseSeats(candidates, quantity, { ...options, allowSeparated: false })
          const blockExists = rowRuns(venue).some((r) => r.longest >= quantity)
          expect(Option.isSome(result)).toBe(blockExists)
          if (Option.isNone(result)) return
          const known = byId(candidates)
          const seats = result.value.map((id) => known.get(id) as SeatCandidate).sort((a, b) => a.position - b.position)
          const first = seats[0] as SeatCandidate
          seats.forEach((s, i) => {
            expect(s.sectionPosition).toBe(first.sectionPosition)
            expect(s.rowPosition).toBe(first.rowPosition)
            expect(s.position).toBe(first.position + i)
          })
        }),
        RUNS
      )
    })

    it("keeps seats together whenever a block exists, even when separated seats are allowed", () => {
      fc.assert(
        fc.property(scenarioArb, ({ venue, candidates, quantity, options }) => {
          fc.pre(rowRuns(venue).some((r) => r.longest >= quantity))
          const known = byId(candidates)
          const seats = ids(chooseSeats(candidates, quantity, { ...options, allowSeparated: true }))
            .map((id) => known.get(id) as SeatCandidate)
            .sort((a, b) => a.position - b.position)
          const first = seats[0] as SeatCandidate
          seats.forEach((s, i) => {
            expect([s.sectionPosition, s.rowPosition, s.position]).toEqual([
              first.sectionPosition,
              first.rowPosition,
              first.position + i
            ])
          })
        }),
        RUNS
      )
    })

    it("with separated seats: returns seats iff there are at least `quantity` candidates", () => {
      fc.assert(
        fc.property(scenarioArb, ({ candidates, quantity, options }) => {
          const result = chooseSeats(candidates, quantity, { ...options, allowSeparated: true })
          expect(Option.isSome(result)).toBe(candidates.length >= quantity)
        }),
        RUNS
      )
    })

    it("gives concurrent buyers (salts within the spread) the same block or blocks that share no seat", () => {
      fc.assert(
        fc.property(scenarioArb, ({ candidates, quantity, options }) => {
          const spread = options.spread ?? 8
          const picks = Array.from({ length: spread }, (_, salt) =>
            chooseSeats(candidates, quantity, { ...options, salt })
          ).flatMap((pick) => (Option.isSome(pick) ? [pick.value] : []))
          for (const a of picks)
            for (const b of picks) {
              const shared = a.filter((id) => b.includes(id))
              expect(shared.length === 0 || (shared.length === a.length && a.length === b.length)).toBe(true)
            }
        }),
        RUNS
      )
    })

    it("is deterministic: the same input and salt give the same seats", () => {
      fc.assert(
        fc.property(scenarioArb, ({ candidates, quantity, options }) => {
          expect(chooseSeats(candidates, quantity, options)).toEqual(chooseSeats(candidates, quantity, options))
          expect(chooseSeats(candidates, quantity, options)).toEqual(
            chooseSeats(
              candidates.map((c) => ({ ...c })),
              quantity,
              { ...options }
            )
          )
        }),
        RUNS
      )
    })

    it("does not depend on the order of the candidates", () => {
      fc.assert(
        fc.property(scenarioArb, ({ candidates, shuffled, quantity, options }) => {
          const inOrder = chooseSeats(candidates, quantity, options)
          expect(chooseSeats(shuffled, quantity, options)).toEqual(inOrder)
          expect(chooseSeats([...candidates].reverse(), quantity, options)).toEqual(inOrder)
        }),
        RUNS
      )
    })

    it("does not change the candidates it is given", () => {
      fc.assert(
        fc.property(scenarioArb, ({ shuffled, quantity, options }) => {
          const before = structuredClone(shuffled)
          chooseSeats(shuffled, quantity, options)
          expect(shuffled).toEqual(before)
        }),
        { numRuns: 200 }
      )
    })

    it("with spread 1: the front-most row with a block, then no lone seat, then nearest the centre", () => {
      fc.assert(
        fc.property(scenarioArb, ({ venue, candidates, quantity, options }) => {
          const front = rowRuns(venue).find((r) => r.longest >= quantity)
          fc.pre(front !== undefined)
          if (front === undefined) return
          const known = byId(candidates)
          const seats = ids(chooseSeats(candidates, quantity, { ...options, spread: 1 }))
            .map((id) => known.get(id) as SeatCandidate)
            .sort((a, b) => a.position - b.position)
          const first = seats[0] as SeatCandidate
          expect([first.sectionPosition, first.rowPosition]).toEqual([front.section, front.row])

          const row = venue[front.section]?.[front.row] ?? []
          const blocks = blocksOfRow(row, quantity)
          const chosen = blocks.find((b) => b.start === first.position)
          expect(chosen).toBeDefined()
          if (chosen === undefined) return
          // No block in that row leaves no lone seat when the chosen one does...
          if (chosen.strandsOne) expect(blocks.every((b) => b.strandsOne)).toBe(true)
          // ...and among those as good on lone seats, none is nearer the centre.
          for (const b of blocks)
            if (b.strandsOne === chosen.strandsOne) expect(chosen.distance).toBeLessThanOrEqual(b.distance)
        }),
        RUNS
      )
    })

    it("with any spread, picks one of the `spread` best blocks that share no seat", () => {
      // Blocks in score order (ties in venue order), each kept unless it shares a seat with a better kept one: the
      // pick is one of the first `spread` kept.
      fc.assert(
        fc.property(scenarioArb, ({ venue, candidates, quantity, options }) => {
          fc.pre(rowRuns(venue).some((r) => r.longest >= quantity))
          const spread = options.spread ?? 8
          const known = byId(candidates)
          const seats = ids(chooseSeats(candidates, quantity, options))
            .map((id) => known.get(id) as SeatCandidate)
            .sort((a, b) => a.position - b.position)
          const first = seats[0] as SeatCandidate
          const all = venue.flatMap((rows, section) =>
            rows.flatMap((row, rowPosition) =>
              blocksOfRow(row, quantity).map((b) => ({
                key: [section, rowPosition, b.strandsOne ? 1 : 0, b.distance],
                start: b.start
              }))
            )
          )
          const mine = all.find(
            (b) => b.key[0] === first.sectionPosition && b.key[1] === first.rowPosition && b.start === first.position
          )
          expect(mine).toBeDefined()
          if (mine === undefined) return
          const order = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
            for (let i = 0; i < a.length; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0)
            return 0
          }
          const overlaps = (a: (typeof all)[number], b: (typeof all)[number]) =>
            a.key[0] === b.key[0] && a.key[1] === b.key[1] && Math.abs(a.start - b.start) < quantity
          const kept: Array<(typeof all)[number]> = []
          for (const block of [...all].sort((a, b) => order(a.key, b.key)))
            if (!kept.some((k) => overlaps(k, block))) kept.push(block)
          expect(kept.slice(0, spread)).toContain(mine)
        }),
        RUNS
      )
    })
  })
})

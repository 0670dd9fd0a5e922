import { Option } from "effect"

/** An available seat as the chooser sees it: where it is, in the venue's own order. */
export interface SeatCandidate {
  readonly id: string
  readonly sectionPosition: number
  readonly rowPosition: number
  /** Position within the row: neighbours are position ± 1. */
  readonly position: number
  /** Number of seats in the whole row (taken ones included), to find its centre. */
  readonly rowSize: number
}

export interface ChooseOptions {
  readonly allowSeparated: boolean
  /** Spreads concurrent buyers over the few best blocks instead of all racing for the very best one. */
  readonly salt: number
  readonly spread?: number
}

interface Block {
  readonly seats: ReadonlyArray<SeatCandidate>
  readonly score: ReadonlyArray<number>
}

const compareScores = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

const centreDistance = (seats: ReadonlyArray<SeatCandidate>) => {
  const first = seats[0] as SeatCandidate
  const middle = seats.reduce((sum, s) => sum + s.position, 0) / seats.length
  return Math.abs(middle - (first.rowSize - 1) / 2)
}

/** Groups candidates into rows, each sorted by position, rows in venue order (section, then row). */
const rowsOf = (candidates: ReadonlyArray<SeatCandidate>) => {
  const rows = new Map<string, Array<SeatCandidate>>()
  for (const seat of candidates) {
    const key = `${seat.sectionPosition}:${seat.rowPosition}`
    const row = rows.get(key)
    if (row) row.push(seat)
    else rows.set(key, [seat])
  }
  return [...rows.values()].map((row) => row.sort((a, b) => a.position - b.position))
}

/**
 * Picks `quantity` seats: the best block of adjacent seats in one row (front sections and rows first, then the
 * block that leaves no lone seat behind, then the one nearest the row's centre); if there is none and the buyer
 * allows it, the best seats one by one. Concurrent buyers (different salts) are spread over the `spread` best blocks
 * that share no seat. Deterministic: the same candidates, quantity and salt give the same seats.
 */
export const chooseSeats = (
  candidates: ReadonlyArray<SeatCandidate>,
  quantity: number,
  options: ChooseOptions
): Option.Option<ReadonlyArray<string>> => {
  if (quantity < 1 || candidates.length < quantity) return Option.none()
  const blocks: Array<Block> = []
  for (const row of rowsOf(candidates)) {
    // Runs of consecutive positions; each window of `quantity` seats inside a run is a block.
    let start = 0
    for (let i = 1; i <= row.length; i++) {
      const current = row[i]
      const previous = row[i - 1] as SeatCandidate
      if (current !== undefined && current.position === previous.position + 1) continue
      const run = row.slice(start, i)
      for (let from = 0; from + quantity <= run.length; from++) {
        const seats = run.slice(from, from + quantity)
        const left = from
        const right = run.length - from - quantity
        const strandsOne = left === 1 || right === 1 ? 1 : 0
        const first = seats[0] as SeatCandidate
        blocks.push({ seats, score: [first.sectionPosition, first.rowPosition, strandsOne, centreDistance(seats)] })
      }
      start = i
    }
  }
  if (blocks.length > 0) {
    blocks.sort((a, b) => compareScores(a.score, b.score))
    // The best blocks that share no seat, best first: blocks of one run overlap (4-5, 3-4, 5-6, …), and buyers
    // spread over overlapping blocks would still race for the same seats.
    const wanted = Math.max(1, options.spread ?? 8)
    const distinct: Array<Block> = []
    const taken = new Set<string>()
    for (const block of blocks) {
      if (block.seats.some((s) => taken.has(s.id))) continue
      distinct.push(block)
      if (distinct.length === wanted) break
      for (const s of block.seats) taken.add(s.id)
    }
    const chosen = distinct[Math.abs(options.salt) % distinct.length] as Block
    return Option.some(chosen.seats.map((s) => s.id))
  }
  if (!options.allowSeparated) return Option.none()
  const best = [...candidates]
    .map((seat) => ({ seat, score: [seat.sectionPosition, seat.rowPosition, centreDistance([seat]), seat.position] }))
    .sort((a, b) => compareScores(a.score, b.score))
    .slice(0, quantity)
  return Option.some(best.map((b) => b.seat.id))
}

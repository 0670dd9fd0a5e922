import { Layer } from "effect"
import { RpcSerialization } from "effect/rpc"
import { Packr, Unpackr } from "msgpackr"

const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024

/**
 * MessagePack for RPC messages, with msgpackr (the library Effect 3's RPC used; Effect 4.1.5 ships JSON, NDJSON,
 * JSON-RPC and its own SchemaBinary, no MessagePack). The payload holes are filled as for JSON (`Schema.toCodecJson`),
 * so dates and branded values travel as NDJSON has them and any MessagePack library can read the frames: plain
 * MessagePack, no records or extensions. Values follow each other, so a byte stream frames itself: the bytes of an
 * incomplete value are kept for the next chunk (at most `maxBufferSize` of them; past it MaxBufferSizeExceeded).
 * Malformed bytes throw: the server answers the connection with a Defect and starts the next chunk clean.
 */
export const makeMsgpack = (options?: {
  readonly maxBufferSize?: number | undefined
}): RpcSerialization.RpcSerialization["Service"] => {
  const maxBufferSize = options?.maxBufferSize ?? DEFAULT_MAX_BUFFER
  return RpcSerialization.RpcSerialization.of({
    contentType: "application/msgpack",
    includesFraming: true,
    codecFor: RpcSerialization.json.codecFor,
    makeUnsafe: () => {
      const packr = new Packr({ useRecords: false, moreTypes: false })
      const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })
      const encoder = new TextEncoder()
      let pending: Uint8Array | undefined
      return {
        decode: (data) => {
          const chunk = typeof data === "string" ? encoder.encode(data) : data
          let bytes = chunk
          if (pending !== undefined) {
            bytes = new Uint8Array(pending.length + chunk.length)
            bytes.set(pending)
            bytes.set(chunk, pending.length)
            pending = undefined
          }
          try {
            return unpackr.unpackMultiple(bytes) ?? []
          } catch (cause) {
            const incomplete = cause as { incomplete?: boolean; lastPosition?: number; values?: Array<unknown> }
            if (incomplete.incomplete !== true) throw cause
            const rest = bytes.subarray(incomplete.lastPosition ?? 0)
            if (rest.length > maxBufferSize) throw new RpcSerialization.MaxBufferSizeExceeded({ maxBufferSize })
            pending = rest.slice()
            return incomplete.values ?? []
          }
        },
        encode: (message) => {
          if (!Array.isArray(message)) return packr.pack(message)
          if (message.length === 0) return undefined
          return Buffer.concat(message.map((m) => packr.pack(m)))
        }
      }
    }
  })
}

export const msgpack = makeMsgpack()

export const layerMsgpack = (options?: { readonly maxBufferSize?: number | undefined }) =>
  Layer.succeed(RpcSerialization.RpcSerialization, makeMsgpack(options))

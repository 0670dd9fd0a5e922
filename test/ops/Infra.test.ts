import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"

/*
 * The OpenTofu for AWS (infra/), checked without a cloud account: every file parses as HCL2, and the structure keeps
 * the promises of infra/README.md (only the ALB open to the internet, nothing else public, no secret in a variable or
 * in a task definition's plain environment).
 */

/** @cdktf/hcl2json, loaded by name: its typings pull in the DOM library, which would change `fetch`'s types project-wide. */
const hcl2json: string = "@cdktf/hcl2json"
const { parse } = (await import(hcl2json)) as { parse: (file: string, hcl: string) => Promise<unknown> }

type Block = Record<string, unknown>
type Blocks = Record<string, Record<string, ReadonlyArray<Block>>>

const dir = "infra"
const files = readdirSync(dir).filter((file) => file.endsWith(".tf"))
const text = files.map((file) => readFileSync(join(dir, file), "utf8")).join("\n")
const resources: Blocks = {}
const variables: Record<string, ReadonlyArray<Block>> = {}
const outputs: Record<string, ReadonlyArray<Block>> = {}
const locals: Array<Block> = []

beforeAll(async () => {
  for (const file of files) {
    const json = (await parse(file, readFileSync(join(dir, file), "utf8"))) as {
      resource?: Blocks
      variable?: Record<string, ReadonlyArray<Block>>
      output?: Record<string, ReadonlyArray<Block>>
      locals?: ReadonlyArray<Block>
    }
    for (const [type, byName] of Object.entries(json.resource ?? {}))
      resources[type] = { ...resources[type], ...byName }
    Object.assign(variables, json.variable ?? {})
    Object.assign(outputs, json.output ?? {})
    locals.push(...(json.locals ?? []))
  }
})

/** The one block of a resource, failing the test when it is not declared. */
const resource = (type: string, name: string): Block => {
  const block = resources[type]?.[name]?.[0]
  if (block === undefined) throw new Error(`infra/ declares no ${type}.${name}`)
  return block
}
/** How hcl2json renders a bare reference. */
const ref = (expression: string) => `\${${expression}}`
const all = (type: string): ReadonlyArray<[string, Block]> =>
  Object.entries(resources[type] ?? {}).map(([name, blocks]) => [name, blocks[0] as Block])

describe("the OpenTofu for AWS (infra/)", () => {
  it("declares the network, the ECS Fargate roles behind an ALB, and the managed PostgreSQL, Redis and RabbitMQ", () => {
    expect(files.length).toBeGreaterThan(5)
    resource("aws_vpc", "main")
    expect(resource("aws_subnet", "public").count).toBeDefined()
    expect(resource("aws_subnet", "private").count).toBeDefined()
    resource("aws_nat_gateway", "main")
    expect(resource("aws_lb", "api").internal).toBe(false)
    resource("aws_lb_listener", "https")
    expect(resource("aws_ecs_cluster", "main")).toBeDefined()
    expect(resource("aws_ecs_service", "role").launch_type).toBe("FARGATE")
    expect(resource("aws_ecs_task_definition", "role").requires_compatibilities).toEqual(["FARGATE"])
    const roles = locals.find((block) => block.roles !== undefined)?.roles as Record<string, { command: string[] }>
    expect(Object.keys(roles).sort()).toEqual(["api", "worker"])
    expect(roles.api?.command).toContain("dist/src/main.js")
    expect(roles.worker?.command).toContain("dist/src/worker.js")
    expect(resource("aws_db_instance", "main").engine).toBe("postgres")
    expect(resource("aws_elasticache_replication_group", "redis").engine).toBe("redis")
    expect(resource("aws_mq_broker", "rabbitmq").engine_type).toBe("RabbitMQ")
  })

  it("opens nothing to the internet but the ALB's 80 and 443", () => {
    for (const [name, group] of all("aws_security_group")) {
      expect(group.ingress, `aws_security_group.${name} has inline ingress rules`).toBeUndefined()
      expect(group.egress, `aws_security_group.${name} has inline egress rules`).toBeUndefined()
    }
    const open = all("aws_vpc_security_group_ingress_rule").filter(
      ([, rule]) => rule.cidr_ipv4 !== undefined || rule.cidr_ipv6 !== undefined
    )
    expect(open.map(([name]) => name).sort()).toEqual(["alb_http", "alb_https"])
    for (const [, rule] of open) {
      expect(rule.security_group_id).toBe(ref("aws_security_group.alb.id"))
      expect([80, 443]).toContain(rule.from_port)
      expect(rule.to_port).toBe(rule.from_port)
    }
    // Each data store accepts its one port from the tasks' group only.
    for (const [name, port] of [
      ["db_from_tasks", 5432],
      ["redis_from_tasks", 6379],
      ["mq_from_tasks", 5671]
    ] as const) {
      const rule = resource("aws_vpc_security_group_ingress_rule", name)
      expect(rule.referenced_security_group_id).toBe(ref("aws_security_group.tasks.id"))
      expect([rule.from_port, rule.to_port]).toEqual([port, port])
    }
    expect(resource("aws_vpc_security_group_ingress_rule", "tasks_from_alb").referenced_security_group_id).toBe(
      ref("aws_security_group.alb.id")
    )
    expect(resource("aws_ecs_service", "role").network_configuration).toEqual([
      expect.objectContaining({ assign_public_ip: false, subnets: ref("aws_subnet.private[*].id") })
    ])
  })

  it("keeps the database, Redis and the broker private and encrypted", () => {
    const db = resource("aws_db_instance", "main")
    expect(db.publicly_accessible).toBe(false)
    expect(db.storage_encrypted).toBe(true)
    expect(db.deletion_protection).toBe(true)
    expect(db.db_subnet_group_name).toBe(ref("aws_db_subnet_group.main.name"))
    expect(resource("aws_db_subnet_group", "main").subnet_ids).toBe(ref("aws_subnet.private[*].id"))
    const redis = resource("aws_elasticache_replication_group", "redis")
    expect(redis.transit_encryption_enabled).toBe(true)
    expect(redis.at_rest_encryption_enabled).toBe(true)
    expect(resource("aws_elasticache_parameter_group", "redis").parameter).toEqual([
      { name: "maxmemory-policy", value: "noeviction" }
    ])
    expect(resource("aws_mq_broker", "rabbitmq").publicly_accessible).toBe(false)
  })

  it("keeps every secret in Secrets Manager: no secret variable, none in a task's plain environment", () => {
    for (const name of Object.keys(variables))
      expect(name, `variable "${name}" looks like a secret`).not.toMatch(/password|secret|token|key/i)
    const plain = locals.find((block) => block.environment !== undefined)?.environment as ReadonlyArray<{
      name: string
    }>
    const secretNames = ["DATABASE_URL", "REDIS_URL", "AMQP_URL", "JWT_SECRET", "PAYMENT_WEBHOOK_SECRET", "SMTP_URL"]
    for (const { name } of plain) expect(secretNames).not.toContain(name)
    const keys = locals.flatMap((block) => [
      ...((block.app_secret_keys as string[] | undefined) ?? []),
      ...((block.external_secret_keys as string[] | undefined) ?? [])
    ])
    expect(keys.sort()).toEqual([...secretNames, "PAYMENT_PROVIDER_URL"].sort())
    const definition = String(resource("aws_ecs_task_definition", "role").container_definitions)
    expect(definition).toContain("secrets")
    expect(definition).not.toMatch(/random_password/)
    // The execution role reads exactly GoTicket's two secrets; the application's role has no policy.
    expect(text).toContain("resources = [aws_secretsmanager_secret.app.arn, aws_secretsmanager_secret.external.arn]")
    expect(all("aws_iam_role_policy").map(([, policy]) => policy.role)).toEqual([ref("aws_iam_role.execution.id")])
    expect(text).not.toMatch(/"Resource"\s*[:=]\s*"\*"|resources\s*=\s*\["\*"\]/)
  })

  it("documents every variable and output, and refers only to what it declares", () => {
    for (const [name, [variable]] of Object.entries(variables)) {
      expect(variable?.description, `variable "${name}"`).toBeTruthy()
      expect(variable?.type, `variable "${name}"`).toBeTruthy()
    }
    for (const [name, [output]] of Object.entries(outputs)) expect(output?.description, `output "${name}"`).toBeTruthy()
    for (const [, name] of text.matchAll(/\bvar\.([a-z_]+)/g)) expect(Object.keys(variables)).toContain(name)
    for (const [, type, name] of text.matchAll(/(?<!data\.)\b(aws_[a-z0-9_]+|random_password)\.([a-z_]+)\.[a-z_[]/g))
      expect(resources[type as string]?.[name as string], `${type}.${name}`).toBeDefined()
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain("tofu apply")
  })
})

import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { type ChainRow, auditRepository as repo, type UnsealedRow } from './repository.ts';

/** The `prev_hash` of the first event: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

export type ChainHead = { seq: number; hash: string };
export type ChainProblemKind = 'hash_mismatch' | 'content_mismatch' | 'broken_link' | 'gap' | 'missing_head' | 'head_mismatch' | 'unsealed';
/** `seq` is 0 for an event that has no position yet (unsealed); `id` names such an event. */
export type ChainProblem = { seq: number; id?: number; kind: ChainProblemKind; message: string };
export type ChainReport = {
  /** True when no problem was found. */
  ok: boolean;
  /** The last event of the chain as read; record it to detect a later truncation. */
  head: ChainHead | null;
  /** Sealed events read. */
  count: number;
  /** Events sealed by this verification before it read the chain. */
  sealed: number;
  /** Events still unsealed after sealing (committed since, or stuck: those older than the threshold are problems). */
  unsealed: number;
  /** The first problems found, in chain order (at most `maxProblems`). */
  problems: ChainProblem[];
  /** Problems found beyond `maxProblems` and not listed. */
  moreProblems: number;
};

/**
 * The hash of one event, computed in TypeScript exactly as `warden_audit_hash` does in SQL: SHA-256 (hex) of the
 * UTF-8 bytes of `concat_ws('|', …)` over the previous hash and the event's fields. `concat_ws` skips NULLs; the
 * nullable columns are coalesced to '' before it, so only a NULL in a NOT NULL column could be skipped.
 */
export function auditEventHash(row: Omit<ChainRow, 'seq' | 'hash' | 'id_text' | 'row_hash'>): string {
  const parts = [
    row.prev_hash,
    row.seq_text,
    row.at_text,
    row.actor_id ?? '',
    row.org_id ?? '',
    row.action,
    row.object_type ?? '',
    row.object_id ?? '',
    row.outcome,
    row.request_id ?? '',
    row.detail_text,
  ];
  return createHash('sha256')
    .update(parts.filter((p) => p !== null && p !== undefined).join('|'), 'utf8')
    .digest('hex');
}

/**
 * The per-row content hash, computed in TypeScript exactly as `warden_audit_row_hash` does in SQL: SHA-256 over
 * the event's id and content, set at insert, before the event is sealed into the chain. It detects an event
 * altered between insert and sealing, which the chain hash (computed at sealing) cannot.
 */
export function auditRowHash(
  row: Pick<ChainRow, 'id_text' | 'at_text' | 'actor_id' | 'org_id' | 'action' | 'object_type' | 'object_id' | 'outcome' | 'request_id' | 'detail_text'>,
): string {
  const parts = [
    row.id_text,
    row.at_text,
    row.actor_id ?? '',
    row.org_id ?? '',
    row.action,
    row.object_type ?? '',
    row.object_id ?? '',
    row.outcome,
    row.request_id ?? '',
    row.detail_text,
  ];
  return createHash('sha256').update(parts.join('|'), 'utf8').digest('hex');
}

/** How long an event may stay unsealed before verification reports it: the app seals every 200 ms. */
export const UNSEALED_GRACE_SECONDS = 60;

/** Parses `SEQ:HASH` as printed by `warden verify-audit`; undefined when it is not that shape. */
export function parseHead(text: string): ChainHead | undefined {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/i.exec(text.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const seq = Number(m[1]);
  return seq >= 1 ? { seq, hash: m[2].toLowerCase() } : undefined;
}

export const formatHead = (head: ChainHead | null) => (head ? `${head.seq}:${head.hash}` : 'none');

/**
 * Verifies the whole audit trail. Reads the chain in `seq` order in batches (memory stays flat at millions of
 * events), recomputes every hash independently of the database's own function, and checks that each event links
 * to the one before, that `seq` runs 1, 2, 3… with no gap, and — given a head recorded earlier — that the event
 * at that position still exists with that hash, which detects a truncated or rewritten tail that is otherwise
 * self-consistent. Needs a connection that can read every organisation's events (the owner, or the application
 * role in a deployment-wide scope).
 */
export async function verifyAuditChain(
  db: Kysely<DB>,
  options: { expectedHead?: ChainHead; batchSize?: number; maxProblems?: number; seal?: boolean; unsealedGraceSeconds?: number } = {},
): Promise<ChainReport> {
  const batchSize = options.batchSize ?? 5000;
  const maxProblems = options.maxProblems ?? 100;
  const problems: ChainProblem[] = [];
  let moreProblems = 0;
  const report = (seq: number, kind: ChainProblemKind, message: string, id?: number) => {
    if (problems.length < maxProblems) problems.push(id === undefined ? { seq, kind, message } : { seq, id, kind, message });
    else moreProblems++;
  };

  // Seal first: events committed since the last run of the periodic sealer join the chain and are verified too.
  const sealed = options.seal === false ? 0 : await repo.seal(db);

  let previous: { seq: number; hash: string } | null = null;
  let count = 0;
  for (;;) {
    const batch = await repo.chainBatch(db, previous?.seq ?? 0, batchSize);
    for (const row of batch) {
      count++;
      const expectedSeq: number = (previous?.seq ?? 0) + 1;
      if (row.seq !== expectedSeq) {
        const missing = row.seq - expectedSeq;
        report(
          expectedSeq,
          'gap',
          missing === 1 ? `event ${expectedSeq} is missing` : `events ${expectedSeq} to ${row.seq - 1} are missing (${missing} events)`,
        );
      } else {
        // After a gap the missing event explains the link; otherwise each event must name its predecessor's hash.
        const linkTo = previous?.hash ?? GENESIS_HASH;
        if (row.prev_hash !== linkTo)
          report(
            row.seq,
            'broken_link',
            previous
              ? `event ${row.seq} does not follow event ${previous.seq}: its previous hash is ${row.prev_hash}, but event ${previous.seq}'s hash is ${previous.hash}`
              : `event ${row.seq} is the first event but its previous hash is ${row.prev_hash}, not ${GENESIS_HASH}`,
          );
      }
      const computed = auditEventHash(row);
      if (computed !== row.hash)
        report(
          row.seq,
          'hash_mismatch',
          `event ${row.seq} (${row.action}) has been altered: its content hashes to ${computed}, but its stored hash is ${row.hash}`,
        );
      else if (auditRowHash(row) !== row.row_hash)
        // The chain hash matches, so the content was altered before sealing (or altered and re-chained).
        report(
          row.seq,
          'content_mismatch',
          `event ${row.seq} (${row.action}) has been altered: its content no longer matches the hash taken when it was written`,
        );
      previous = { seq: row.seq, hash: row.hash };
    }
    if (batch.length < batchSize) break;
  }

  // Events still unsealed: committed after the sealing above (normal), or stuck (a problem once past the grace).
  const grace = options.unsealedGraceSeconds ?? UNSEALED_GRACE_SECONDS;
  let unsealed = 0;
  let lastId = 0;
  for (;;) {
    const batch: UnsealedRow[] = await repo.unsealed(db, lastId, batchSize);
    for (const row of batch) {
      unsealed++;
      lastId = Number(row.id);
      if (auditRowHash(row) !== row.row_hash)
        report(
          0,
          'content_mismatch',
          `unsealed event id ${row.id} (${row.action}) has been altered: its content no longer matches the hash taken when it was written`,
          row.id,
        );
      else if (row.age_seconds > grace)
        report(0, 'unsealed', `event id ${row.id} (${row.action}) has been waiting ${Math.round(row.age_seconds)} s to be sealed into the chain`, row.id);
    }
    if (batch.length < batchSize) break;
  }

  const expected = options.expectedHead;
  if (expected) {
    // Read the recorded head's row directly: the walk above may have ended before it.
    const found = await repo.hashAt(db, expected.seq);
    if (!found)
      report(
        expected.seq,
        'missing_head',
        `the recorded head, event ${expected.seq}, no longer exists: the trail now ends at ${previous ? `event ${previous.seq}` : 'no event at all'} (truncated or rolled back)`,
      );
    else if (found.hash !== expected.hash.toLowerCase())
      report(expected.seq, 'head_mismatch', `event ${expected.seq} has hash ${found.hash}, not the recorded ${expected.hash}: the trail has been rewritten`);
  }

  return { ok: problems.length === 0 && moreProblems === 0, head: previous, count, sealed, unsealed, problems, moreProblems };
}

export const VERIFY_AUDIT_USAGE = 'warden verify-audit [--head SEQ:HASH]';

/**
 * `warden verify-audit`: verifies the chain and prints the head to record (for example in the operations log
 * or a ticket) so a later run with `--head` detects a truncated tail. Returns the exit status: 0 when intact,
 * 1 on any problem, 2 on bad arguments.
 */
export async function verifyAuditCommand(db: Kysely<DB>, args: string[], io: { out: (t: string) => void; err: (t: string) => void }): Promise<number> {
  let expectedHead: ChainHead | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = arg === '--head' ? args[++i] : arg.startsWith('--head=') ? arg.slice('--head='.length) : undefined;
    if (value === undefined) {
      io.err(`Unknown argument "${arg}".\nUsage: ${VERIFY_AUDIT_USAGE}`);
      return 2;
    }
    expectedHead = parseHead(value);
    if (!expectedHead) {
      io.err(`--head must be SEQ:HASH as printed by an earlier run, like 1234:${'ab'.repeat(32)}`);
      return 2;
    }
  }
  const result = await verifyAuditChain(db, { expectedHead });
  if (result.ok) {
    io.out(`audit trail OK: ${result.count} events, head ${formatHead(result.head)}`);
    return 0;
  }
  for (const p of result.problems) io.err(`${p.kind} at event ${p.seq}: ${p.message}`);
  if (result.moreProblems) io.err(`… and ${result.moreProblems} more problems`);
  io.err(`audit trail BROKEN: ${result.problems.length + result.moreProblems} problems in ${result.count} events, head ${formatHead(result.head)}`);
  return 1;
}

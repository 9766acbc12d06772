import { mkdirSync } from 'node:fs';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import { KernelError } from '../core/kernel-error.js';

/** One paged-out piece of an agent's context. */
export interface MemoryBlock {
  agentId: string;
  blockId: string;
  pid: number;
  role: string;
  text: string;
  summary: string;
  tokens: number;
  createdAt: number;
  pagedAt: number;
}

export interface RecalledBlock extends MemoryBlock {
  /** Reciprocal-rank-fused score of the vector and full-text rankings. */
  score: number;
  vectorRank: number | null;
  textRank: number | null;
}

const TABLE = 'blocks';
/**
 * Reciprocal rank fusion's constant. Cormack et al. use 60, which flattens the first ranks; with
 * small local embedding models the vector ranking is noisy, and a smaller constant lets a clear
 * first place in either ranking (a rare word the full-text index pins down) carry the result.
 */
const RRF_K = 10;

function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Long-term memory on disk: one LanceDB table of blocks (text, summary, embedding, token count,
 * timestamps) with a full-text index, searched by vector and by text and fused by reciprocal rank.
 * Every query is filtered to the agents the caller may read.
 */
export class MemoryStore {
  private constructor(
    private readonly connection: lancedb.Connection,
    private readonly table: lancedb.Table,
    readonly dimensions: number,
  ) {}

  /** Opens (or creates) the store; a missing, locked or corrupt directory gives a clear error. */
  static async open(directory: string, dimensions: number): Promise<MemoryStore> {
    try {
      mkdirSync(directory, { recursive: true });
      const connection = await lancedb.connect(directory);
      const names = await connection.tableNames();
      let table: lancedb.Table;
      if (names.includes(TABLE)) {
        table = await connection.openTable(TABLE);
        const vector = (await table.schema()).fields.find((field) => field.name === 'vector');
        const size = (vector?.type as FixedSizeList | undefined)?.listSize;
        if (size !== dimensions) {
          throw new Error(`its embeddings have ${size ?? 'no'} dimensions, the embedding model makes ${dimensions} (another model wrote it)`);
        }
        await table.countRows();
      } else {
        table = await connection.createEmptyTable(
          TABLE,
          new Schema([
            new Field('agent_id', new Utf8()),
            new Field('block_id', new Utf8()),
            new Field('pid', new Int32()),
            new Field('role', new Utf8()),
            new Field('text', new Utf8()),
            new Field('summary', new Utf8()),
            new Field('vector', new FixedSizeList(dimensions, new Field('item', new Float32(), true))),
            new Field('tokens', new Int32()),
            new Field('created_at', new Float64()),
            new Field('paged_at', new Float64()),
          ]),
        );
        await table.createIndex('text', { config: lancedb.Index.fts() });
      }
      return new MemoryStore(connection, table, dimensions);
    } catch (error) {
      throw new KernelError('MEMORY_UNAVAILABLE', `long-term memory at ${directory} cannot be used: ${(error as Error).message}`);
    }
  }

  async add(blocks: readonly (MemoryBlock & { vector: number[] })[]): Promise<void> {
    if (blocks.length === 0) return;
    await this.table.add(
      blocks.map((block) => ({
        agent_id: block.agentId,
        block_id: block.blockId,
        pid: block.pid,
        role: block.role,
        text: block.text,
        summary: block.summary,
        vector: block.vector,
        tokens: block.tokens,
        created_at: block.createdAt,
        paged_at: block.pagedAt,
      })),
    );
  }

  async count(agentId: string): Promise<number> {
    return this.table.countRows(`agent_id = ${quote(agentId)}`);
  }

  async list(agentId: string, limit = 200): Promise<MemoryBlock[]> {
    const rows = await this.table.query().where(`agent_id = ${quote(agentId)}`).limit(limit).toArray();
    return rows.map(toBlock).sort((a, b) => a.pagedAt - b.pagedAt);
  }

  /** Hybrid search over the given agents' blocks: vector and full text, fused by (weighted) reciprocal rank. */
  async search(agentIds: readonly string[], query: string, vector: number[], k: number, vectorWeight = 1): Promise<RecalledBlock[]> {
    if (agentIds.length === 0) return [];
    const filter = `agent_id IN (${agentIds.map(quote).join(', ')})`;
    const depth = Math.max(k * 4, 20);
    const [byVector, byText] = await Promise.all([
      this.table.vectorSearch(vector).where(filter).limit(depth).toArray(),
      this.table
        .query()
        .fullTextSearch(query)
        .where(filter)
        .limit(depth)
        .toArray()
        .catch(() => []),
    ]);
    // LanceDB does not promise the order when indexed and not-yet-indexed rows are both searched.
    byVector.sort((a, b) => Number(a._distance) - Number(b._distance));
    byText.sort((a, b) => Number(b._score) - Number(a._score));
    const fused = new Map<string, RecalledBlock>();
    const fold = (rows: Record<string, unknown>[], key: 'vectorRank' | 'textRank', weight: number): void => {
      rows.forEach((row, index) => {
        const id = `${String(row.agent_id)}/${String(row.block_id)}`;
        const entry = fused.get(id) ?? { ...toBlock(row), score: 0, vectorRank: null, textRank: null };
        entry.score += weight / (RRF_K + index + 1);
        entry[key] = index + 1;
        fused.set(id, entry);
      });
    };
    fold(byVector, 'vectorRank', vectorWeight);
    fold(byText, 'textRank', 1);
    return [...fused.values()].sort((a, b) => b.score - a.score).slice(0, k);
  }

  close(): void {
    this.table.close();
    this.connection.close();
  }
}

function toBlock(row: Record<string, unknown>): MemoryBlock {
  return {
    agentId: String(row.agent_id),
    blockId: String(row.block_id),
    pid: Number(row.pid),
    role: String(row.role),
    text: String(row.text),
    summary: String(row.summary),
    tokens: Number(row.tokens),
    createdAt: Number(row.created_at),
    pagedAt: Number(row.paged_at),
  };
}

// biome-ignore-all lint/suspicious/noExplicitAny: migrations work on any schema
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Kysely, type Migration, type MigrationProvider, type MigrationResult, Migrator } from 'kysely';

const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Loads `migrations/<timestamp>-<Name>.ts`, ordered by name (the timestamp). */
class DirectoryProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(migrationsDir)).filter((f) => /^\d{14}-[A-Za-z0-9]+\.ts$/.test(f)).sort();
    const out: Record<string, Migration> = {};
    for (const file of files) {
      out[file.replace(/\.ts$/, '')] = (await import(pathToFileURL(join(migrationsDir, file)).href)) as Migration;
    }
    return out;
  }
}

function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: new DirectoryProvider() });
}

/**
 * Applies every pending migration. Kysely takes a PostgreSQL advisory lock for the run, so two instances starting
 * together apply each migration once: the second waits, then finds nothing to do.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw new Error(`migration failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  return results ?? [];
}

/** Reverts the most recent migration. */
export async function migrateDown(db: Kysely<any>): Promise<MigrationResult[]> {
  const { error, results } = await migrator(db).migrateDown();
  if (error) throw new Error(`migration failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  return results ?? [];
}

/** Names of applied and pending migrations. */
export async function migrationStatus(db: Kysely<any>): Promise<{ name: string; executedAt: Date | undefined }[]> {
  return (await migrator(db).getMigrations()).map((m) => ({ name: m.name, executedAt: m.executedAt }));
}

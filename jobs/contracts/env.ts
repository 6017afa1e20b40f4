import type { z } from 'zod';

/**
 * Parses the environment with a schema, once, at start-up (bot and worker
 * alike). Throws one error naming every bad or missing variable, never a value.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv, what: string): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new Error(`invalid ${what} configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

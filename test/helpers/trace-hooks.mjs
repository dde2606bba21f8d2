// Module hooks that append the URL of every module Node loads to $IR_TRACE_FILE (test/integration/startup.test.ts).
import { appendFileSync } from 'node:fs';
import process from 'node:process';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.IR_TRACE_FILE) appendFileSync(process.env.IR_TRACE_FILE, `${result.url}\n`);
  return result;
}

import { na, verdict, type SweepCheck } from '../check.js';
import { argvText } from '../context.js';
import { appEnv, applications } from '../facts/apps.js';
import { dockerCommands } from '../facts/docker.js';

/** The database roles the applications log in as, from their .env (DB_USER, DATABASE_URL …). */
async function appRoles(ctx: Parameters<SweepCheck['run']>[0]): Promise<string[]> {
  const roles = new Set<string>();
  for (const app of await applications(ctx)) {
    const env = await appEnv(ctx, app);
    for (const k of ['DB_USER', 'DATABASE_USER', 'POSTGRES_USER', 'PGUSER', 'DB_USERNAME']) if (env.get(k)) roles.add(env.get(k)!);
    const url = /^postgres(?:ql)?:\/\/([^:@/]+)/.exec(env.get('DATABASE_URL') ?? '');
    if (url) roles.add(decodeURIComponent(url[1]!));
  }
  return [...roles].sort();
}

export const postgresRoleSuperuser: SweepCheck = {
  id: 'IR-PG-003',
  title: "The application's database role is not a superuser",
  area: 'app',
  severity: 'high',
  expected: 'rolsuper false for every role an application logs in as',
  remediation: 'ALTER ROLE name NOSUPERUSER; grant only CONNECT, USAGE and the table privileges the app needs.',
  source: 'Setup guide §3 Create Database User with Least Privilege, checklist "Database user has least privilege (not superuser)"',
  liveOnly: true,
  reads: ['APP/**/.env (DB_USER, DATABASE_URL)', "runuser -u postgres -- psql -XAtc 'SELECT rolname FROM pg_roles WHERE rolsuper'"],
  commands: dockerCommands,
  async run(ctx) {
    const roles = await appRoles(ctx);
    if (roles.length === 0) return na('no application names a database role (DB_USER, DATABASE_URL)', '.env');
    const argv = ['runuser', '-u', 'postgres', '--', 'psql', '-XAtc', 'SELECT rolname FROM pg_roles WHERE rolsuper'];
    const res = await ctx.run(argv, { timeoutMs: 15_000 });
    if (!res) return na('runuser or psql is not installed', argvText(argv));
    if (res.code !== 0) return na(`the database does not answer: ${(res.stderr.toString().trim().split('\n')[0] ?? '').slice(0, 200)}`, argvText(argv));
    const supers = new Set(res.stdout.toString().split('\n').map((s) => s.trim()).filter(Boolean));
    const bad = roles.filter((r) => supers.has(r));
    return verdict(bad.length === 0, bad.length ? `superuser: ${bad.join(', ')}` : `not superuser: ${roles.join(', ')}`, argvText(argv));
  },
};

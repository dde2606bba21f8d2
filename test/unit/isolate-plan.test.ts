import { containerStateFromInspect, parseDependsOn, restartFlag, startOrder } from '../../src/docker/containers.js';
import { isolationPlan, restorePlan } from '../../src/isolate/plan.js';
import { shellLine } from '../../src/core/shell.js';
import type { ActionResult, ContainerJournal, ContainerState } from '../../src/isolate/schema.js';

function container(name: string, over: Partial<ContainerState> = {}): ContainerState {
  return {
    id: `${name}0000000000000000`,
    name: `shop-${name}-1`,
    service: name,
    image: 'example/img',
    state: 'running',
    running: true,
    paused: false,
    hasHealthcheck: false,
    pid: 100,
    restartPolicy: { name: 'no', maximumRetryCount: 0 },
    networkMode: 'shop_back',
    networks: [{ network: 'shop_back', aliases: [`shop-${name}-1`, name] }],
    dependsOn: [],
    ...over,
  };
}

const web = container('web', { dependsOn: ['cache'], restartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, networks: [{ network: 'shop_back', aliases: ['web'] }, { network: 'shop_front', aliases: ['web'], staticIpv4: '192.0.2.10', ipv4: '192.0.2.10' }] });
const cache = container('cache');
const project = { name: 'shop', workingDir: '/srv/shop', configFiles: ['/srv/shop/compose.yaml'] };
const compose = { flavor: 'v2' as const, argv: ['docker', 'compose', '-p', 'shop', '-f', '/srv/shop/compose.yaml', '--project-directory', '/srv/shop'] };

function journal(mode: ContainerJournal['mode']): ContainerJournal {
  const plan = isolationPlan({ project, mode, compose, before: [web, cache] }).actions;
  const actions: ActionResult[] = plan.map((a) => ({ ...a, startedAt: 't', endedAt: 't', code: 0, ok: true }));
  return { version: 1, kind: 'containers', host: 'h', project, mode, compose, argv: [], toolVersion: '0', createdAt: 't', before: [web, cache], snapshot: null, plan, actions, restores: [] };
}

test('down stops first (the layers are copied in between), never removes volumes, and restore is compose up -d', () => {
  const j = journal('down');
  expect(j.plan.map((a) => `${a.kind} ${a.subject}`)).toEqual(['update-restart shop-web-1', 'stop shop-web-1', 'stop shop-cache-1', 'compose-down shop']);
  const down = j.plan[j.plan.length - 1]!;
  expect(down.argv.slice(-1)).toEqual(['down']);
  expect(down.argv).not.toContain('-v');
  expect(down.argv).not.toContain('--volumes');
  // the stopped containers are gone after down: only compose up brings the project back
  expect(restorePlan(j).map((a) => a.argv.slice(-2))).toEqual([['up', '-d']]);
});

test('stop drops the restart policy first, dependents first; restore starts dependencies first and gives the policy back', () => {
  const j = journal('stop');
  expect(j.plan.map((a) => `${a.kind} ${a.subject}`)).toEqual(['update-restart shop-web-1', 'stop shop-web-1', 'stop shop-cache-1']);
  expect(restorePlan(j).map((a) => shellLine(a.argv))).toEqual(['docker start cache0000000000000000', 'docker start web0000000000000000', 'docker update --restart on-failure:3 web0000000000000000']);
});

test('network disconnects every network and reconnects with the same aliases and the fixed address', () => {
  const j = journal('network');
  expect(j.plan.filter((a) => a.kind === 'disconnect')).toHaveLength(3);
  const back = restorePlan(j).find((a) => a.argv.includes('shop_front'))!;
  expect(back.argv).toEqual(['docker', 'network', 'connect', '--alias', 'web', '--ip', '192.0.2.10', 'shop_front', web.id]);
});

test('only what succeeded is undone', () => {
  const j = journal('pause');
  j.actions[1] = { ...j.actions[1]!, ok: false, code: 1 };
  expect(restorePlan(j).map((a) => a.subject)).toEqual(['shop-web-1']);
});

test('a container on the host network is reported, not silently skipped', () => {
  const p = isolationPlan({ project, mode: 'network', compose, before: [container('agent', { networkMode: 'host', networks: [{ network: 'host', aliases: [] }] })] });
  expect(p.actions).toHaveLength(0);
  expect(p.warnings.join()).toMatch(/host's network/);
});

test('inspect fields, depends_on, restart flags, start order', () => {
  const s = containerStateFromInspect({
    Id: 'abcdef0123456789',
    Name: '/shop-web-1',
    Config: { Image: 'img', Labels: { 'com.docker.compose.service': 'web', 'com.docker.compose.depends_on': 'cache:service_started:false,db:service_healthy:true' }, Healthcheck: { Test: ['CMD', 'true'] } },
    State: { Status: 'running', Running: true, Paused: false, Pid: 7, Health: { Status: 'healthy' } },
    HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 }, NetworkMode: 'shop_back' },
    NetworkSettings: { Networks: { shop_back: { Aliases: ['shop-web-1', 'web', 'abcdef012345'], IPAddress: '198.51.100.4', IPAMConfig: null } } },
  });
  expect(s.networks[0]!.aliases).toEqual(['shop-web-1', 'web']);
  expect(s.dependsOn).toEqual(['cache', 'db']);
  expect(s.hasHealthcheck).toBe(true);
  expect(parseDependsOn('')).toEqual([]);
  expect(restartFlag({ name: 'always', maximumRetryCount: 0 })).toBe('always');
  expect(startOrder([web, cache]).map((c) => c.service)).toEqual(['cache', 'web']);
});
